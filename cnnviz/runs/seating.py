"""Class sessions in the store (see :mod:`cnnviz.classes`): the classes a teacher opened, the
seats students took by joining, and what every server process over one store must agree on
(the open class, who holds which seat, how many seats an address made lately).

Rows only: the rules (who may join, which name, when a seat changes browser) are the caller's,
passed in as a callback that runs inside the write transaction, so two processes never both
hand out one name or slip past the rate limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import NamedTuple

from cnnviz.errors import KeyedError
from cnnviz.runfile import finite_lenient
from cnnviz.runs.schema import NOTE_USER


class ClassError(KeyedError, ValueError):
    """A join or class action that cannot be done; the message says why and what to do."""


def join_first() -> ClassError:
    """Why a student without a seat may not start or import runs while a class is open."""
    return ClassError(
        "A class is open: join it with the code on the projector before starting runs "
        "(Class page).",
        "class.join_first",
    )


class ClassRow(NamedTuple):
    class_id: str
    code: str
    opened: float
    closed: float | None
    show_names: bool
    teacher_id: str | None


class SeatRow(NamedTuple):
    seat_id: str
    class_id: str
    number: int
    user_id: str
    name: str
    name_key: str
    address: str
    joined: float
    last_seen: float
    page: str | None


CLASS_COLUMNS = "class_id, code, opened, closed, show_names, teacher_id"
SEAT_COLUMNS = (
    "seat_id, class_id, number, user_id, name, name_key, address, joined, last_seen, page"
)


def _class(row: tuple) -> ClassRow:
    class_id, code, opened, closed, show, teacher = row
    return ClassRow(
        str(class_id), str(code), finite_lenient(opened) or 0.0, finite_lenient(closed),
        bool(show), teacher,
    )  # fmt: skip


def _seat(row: tuple) -> SeatRow:
    seat_id, class_id, number, user, name, key, address, joined, seen, page = row
    return SeatRow(
        str(seat_id), str(class_id), int(number or 0), str(user), str(name), str(key),
        str(address), finite_lenient(joined) or 0.0, finite_lenient(seen) or 0.0,
        page if isinstance(page, str) else None,
    )  # fmt: skip


class JoinFacts(NamedTuple):
    """What a join decides on, read inside its transaction."""

    mine: SeatRow | None  # the seat this user holds in the class already
    named: SeatRow | None  # the seat with the asked name (same key), whoever holds it
    minted: int  # seats made from the address since the rate limit's window began
    oldest_mint: float | None  # when the oldest of those was made (None: none)


class Seating:
    """The ``classes`` and ``seats`` tables."""

    # -- classes -------------------------------------------------------------------------------
    def open_class_row(self, class_id: str, code: str, teacher_id: str | None) -> ClassRow:
        """Close every open class and open a new one, in one transaction (one open class per
        store, whichever process asks)."""
        now = self.clock()

        def body(db: sqlite3.Connection) -> ClassRow:
            db.execute("UPDATE classes SET closed=? WHERE closed IS NULL", (now,))
            db.execute(
                f"INSERT INTO classes ({CLASS_COLUMNS}) VALUES (?,?,?,NULL,0,?)",
                (class_id, code, now, teacher_id),
            )
            return ClassRow(class_id, code, now, None, False, teacher_id)

        return self._transaction(body)

    def code_taken(self, code: str) -> bool:
        """Whether any class, open or closed, had this code (a new class gets a new one)."""
        return bool(self._q("SELECT 1 FROM classes WHERE code=?", (code,)))

    def open_class_now(self) -> ClassRow | None:
        rows = self._q(
            f"SELECT {CLASS_COLUMNS} FROM classes WHERE closed IS NULL"
            " ORDER BY opened DESC, rowid DESC LIMIT 1"
        )
        return _class(rows[0]) if rows else None

    def class_row(self, class_id: str) -> ClassRow | None:
        rows = self._q(f"SELECT {CLASS_COLUMNS} FROM classes WHERE class_id=?", (class_id,))
        return _class(rows[0]) if rows else None

    def class_rows(self) -> list[ClassRow]:
        """Every class, newest first."""
        return [
            _class(r)
            for r in self._q(
                f"SELECT {CLASS_COLUMNS} FROM classes ORDER BY opened DESC, rowid DESC"
            )
        ]

    def close_class_rows(self) -> int:
        """Close the open class (its seats and every run stay); returns how many closed."""
        return self._x("UPDATE classes SET closed=? WHERE closed IS NULL", (self.clock(),))

    def set_class_show_names(self, class_id: str, on: bool) -> None:
        self._x("UPDATE classes SET show_names=? WHERE class_id=?", (int(bool(on)), class_id))

    # -- seats ---------------------------------------------------------------------------------
    def seat_rows(self, class_id: str) -> list[SeatRow]:
        """A class's seats in the order they were taken."""
        rows = self._q(
            f"SELECT {SEAT_COLUMNS} FROM seats WHERE class_id=? ORDER BY number", (class_id,)
        )
        return [_seat(r) for r in rows]

    def seat_of_user(self, user_id: str) -> SeatRow | None:
        """The seat ``user_id`` holds in the open class, if any."""
        rows = self._q(
            f"SELECT {', '.join('s.' + c.strip() for c in SEAT_COLUMNS.split(','))}"
            " FROM seats s JOIN classes c ON c.class_id = s.class_id"
            " WHERE s.user_id=? AND c.closed IS NULL ORDER BY c.opened DESC LIMIT 1",
            (user_id,),
        )
        return _seat(rows[0]) if rows else None

    def join_seat(
        self,
        class_id: str,
        user_id: str,
        name: str,
        name_key: str,
        address: str,
        since: float,
        decide: Callable[[JoinFacts], str],
        new_seat_id: str,
    ) -> tuple[SeatRow, str]:
        """Seat ``user_id`` in the open class ``class_id`` under ``name``, in one transaction.

        ``decide(facts)`` (the rules, :class:`cnnviz.classes.Classes`) returns what to do:
        ``"keep"`` (the user's own seat, renamed to ``name``), ``"rejoin"`` (take over the seat
        with that name: it and its runs move to ``user_id``), or ``"new"`` (a new seat); or
        raises to refuse, and nothing is written. ``since``: the start of the rate limit's
        window (seats made from ``address`` after it are counted). Returns (the seat, what
        was done)."""
        now = self.clock()

        def body(db: sqlite3.Connection) -> tuple[SeatRow, str]:
            sql = "SELECT 1 FROM classes WHERE class_id=? AND closed IS NULL"
            if db.execute(sql, (class_id,)).fetchone() is None:
                raise LookupError(f"class {class_id} is not open")

            def one(where: str, args: tuple) -> SeatRow | None:
                row = db.execute(
                    f"SELECT {SEAT_COLUMNS} FROM seats WHERE class_id=? AND {where}",
                    (class_id, *args),
                ).fetchone()
                return _seat(row) if row else None

            minted, oldest = db.execute(
                "SELECT COUNT(*), MIN(joined) FROM seats WHERE address=? AND joined>?",
                (address, since),
            ).fetchone()
            facts = JoinFacts(
                one("user_id=?", (user_id,)), one("name_key=?", (name_key,)), int(minted),
                finite_lenient(oldest),
            )  # fmt: skip
            action = decide(facts)
            if action == "keep":
                seat = facts.mine
                db.execute(
                    "UPDATE seats SET name=?, name_key=?, last_seen=? WHERE seat_id=?",
                    (name, name_key, now, seat.seat_id),
                )
                seat = seat._replace(name=name, name_key=name_key, last_seen=now)
            elif action == "rejoin":
                seat = facts.named
                old = seat.user_id
                db.execute(
                    "UPDATE seats SET user_id=?, name=?, last_seen=?, page=NULL WHERE seat_id=?",
                    (user_id, name, now, seat.seat_id),
                )
                # the seat's runs come with it: its queue, its turn and its disk stay one
                db.execute("UPDATE runs SET user_id=? WHERE user_id=?", (user_id, old))
                seat = seat._replace(user_id=user_id, name=name, last_seen=now, page=None)
            elif action == "new":
                (number,) = db.execute(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM seats WHERE class_id=?",
                    (class_id,),
                ).fetchone()
                seat = SeatRow(
                    new_seat_id, class_id, int(number), user_id, name, name_key, address,
                    now, now, None,
                )  # fmt: skip
                db.execute(f"INSERT INTO seats ({SEAT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", seat)
            else:
                raise ValueError(f"unknown join action {action!r}")
            # the seat's user acted: their row, made now when new; a new seat counts as served
            # now in the fair queue (which reads a user's turn from this row and their runs'
            # starts), so a seat made after a cleared cookie never jumps the line
            db.execute(NOTE_USER, (user_id, now, now))
            if action == "new":
                db.execute(
                    "UPDATE users SET created=MAX(created, ?) WHERE user_id=?", (now, user_id)
                )
            return seat, action

        return self._transaction(body)

    def needs_seat(self, user_id: str) -> bool:
        """Whether a class is open and ``user_id`` holds no seat in it (one query)."""
        rows = self._q(
            "SELECT EXISTS (SELECT 1 FROM classes WHERE closed IS NULL), EXISTS (SELECT 1 FROM"
            " seats s JOIN classes c ON c.class_id = s.class_id"
            " WHERE s.user_id=? AND c.closed IS NULL)",
            (user_id,),
        )
        is_open, seated = rows[0]
        return bool(is_open) and not seated

    def set_seat_key(self, seat_id: str, key: str) -> None:
        """The key that takes a seat back from another browser (shown to its student)."""
        self._x("INSERT OR REPLACE INTO seat_keys (seat_id, seat_key) VALUES (?, ?)",
                (seat_id, key))  # fmt: skip

    def seat_key(self, seat_id: str) -> str | None:
        rows = self._q("SELECT seat_key FROM seat_keys WHERE seat_id=?", (seat_id,))
        return str(rows[0][0]) if rows else None

    def touch_seat(self, seat_id: str, page: str | None) -> None:
        """When the seat was last seen, and on which page."""
        self._x(
            "UPDATE seats SET last_seen=?, page=? WHERE seat_id=?", (self.clock(), page, seat_id)
        )
