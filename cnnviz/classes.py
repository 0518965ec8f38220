"""A class session: the teacher opens a class, students join it with a short code, and each
joined browser holds a seat (cnnviz goes beyond the book here: d2l trains alone).

Plain data and functions, no Streamlit: the pages ask them, the tests call them. Everything
lives in the run store (:mod:`cnnviz.runs.seating`), so every server process over one store
sees the same class, the same seats and the same rate limit.

- **Opening.** Only the teacher opens and closes a class (the role re-read from the store, as
  :class:`cnnviz.runs.service.RunService` does). A new class gets a new short code, never one
  an earlier class had; opening closes the class before. Closing keeps every seat and run.
- **Joining.** A student joins once per browser with the code and a display name: 1 to
  :data:`MAX_NAME` characters, control and formatting characters removed, spaces collapsed;
  unique in the class whatever its case. The projector shows a pseudonym ("Student 3") unless
  the teacher turns names on. Seats are made only by joining, and at most
  ``$CNNVIZ_SEATS_PER_ADDRESS`` per client address in :data:`MINT_WINDOW_S` (counted in the
  store).
- **One seat, one share.** While a class is open a student needs a seat to start or import
  runs, and a seat is held by one browser identity at a time: the per-student queue caps, the
  round-robin turn (:mod:`cnnviz.runs.queue`) and the disk quota, which count a run's owner,
  count its seat. A browser that cleared its cookie joins again under its old name and the
  seat's key (shown to its student) from the same address and gets its old seat back, runs and
  all (so its share stays one; a name alone never hands a seat over), once the
  seat's old browser has not been seen for :data:`REJOIN_IDLE_S`; until then the name is
  taken, and a seat under a new name starts as served now in the fair queue (it never jumps
  the line) and counts against the address's rate limit.
- **Without a class** nothing changes: solo use and demos need no code.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from cnnviz.classroom import User, same_text
from cnnviz.config import setting
from cnnviz.errors import KeyedText
from cnnviz.runs.seating import ClassError, ClassRow, JoinFacts, SeatRow, join_first
from cnnviz.runs.service import RunAccessError

log = logging.getLogger("cnnviz")

MAX_NAME = 24  # characters of a display name
MAX_PAGE = 64  # characters of a page's name kept for the roster
CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LEN = 6
MINT_WINDOW_S = 600.0  # the seat rate limit's window
REJOIN_IDLE_S = 90.0  # a seat's browser unseen this long: its name may take the seat back
TOUCH_S = 5.0  # a seat's last-seen time is written at most this often (per process)
HEARTBEAT_S = 30.0  # an open page of a seated browser says it is there this often
ENV_SEATS = "CNNVIZ_SEATS_PER_ADDRESS"


@dataclass(frozen=True)
class ClassSession:
    """A class: its id, its join code, when it opened and closed (None: open), and whether the
    projector shows the students' names (else their pseudonyms)."""

    class_id: str
    code: str
    opened: float
    closed: float | None
    show_names: bool

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass(frozen=True)
class Seat:
    """A student's place in a class: the browser identity that holds it now (``user_id``),
    the name they chose, the pseudonym the projector shows, its number in the class, when it
    was taken and last seen, and the page it was last seen on."""

    seat_id: str
    class_id: str
    user_id: str
    name: str
    pseudonym: str
    joined: float
    last_seen: float
    page: str | None
    number: int = 0
    address: str = ""


def _session(row: ClassRow) -> ClassSession:
    return ClassSession(row.class_id, row.code, row.opened, row.closed, row.show_names)


def _seat(row: SeatRow) -> Seat:
    return Seat(
        row.seat_id, row.class_id, row.user_id, row.name, pseudonym(row.number), row.joined,
        row.last_seen, row.page, row.number, row.address,
    )  # fmt: skip


def pseudonym(number: int) -> KeyedText:
    """What the projector calls seat ``number`` while names are off ("Student 3")."""
    return KeyedText(f"Student {number}", "class.pseudonym", n=number)


def clean_name(raw: object) -> str:
    """A display name as it is kept: Unicode NFC, control and formatting characters (bidi
    overrides, zero-width ones) removed, runs of spaces made one, trimmed.

    Raises:
        ClassError: nothing is left, or it is longer than :data:`MAX_NAME` characters.
    """
    text = unicodedata.normalize("NFC", str(raw if raw is not None else ""))
    kept = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace()
                   or not unicodedata.category(ch).startswith("C"))  # fmt: skip
    name = " ".join(kept.split())
    if not name:
        raise ClassError("Type a name to show to the teacher.", "class.name_empty")
    if len(name) > MAX_NAME:
        raise ClassError(
            f"That name has {len(name)} characters; a name may have at most {MAX_NAME}.",
            "class.name_long", n=len(name), most=MAX_NAME,
        )  # fmt: skip
    return name


def name_key(name: str) -> str:
    """Two names that read alike are one name ("Ann", "ANN", "ａｎｎ")."""
    return unicodedata.normalize("NFKC", name).casefold()


def clean_code(raw: object) -> str:
    """A typed join code: upper case, spaces and dashes dropped."""
    text = str(raw if raw is not None else "")[:64]
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def new_code() -> str:
    return "".join(secrets.choice(CODE_CHARS) for _ in range(CODE_LEN))


class Classes:
    """The class session over a run store.

    Args:
        store: the run store (:class:`cnnviz.runs.store.RunStore`).
        clock: the time (``time.time``); tests set it.
        role_check: ``role_check(user)`` re-reads whether a teacher still is one (the store's
            token) before a teacher's action; default: the role given is trusted (the CLI).
        seats_per_address: seats one client address may make per :data:`MINT_WINDOW_S`
            (default ``$CNNVIZ_SEATS_PER_ADDRESS``).
    """

    def __init__(
        self,
        store,
        clock: Callable[[], float] = time.time,
        role_check: Callable[[User], bool] | None = None,
        seats_per_address: int | None = None,
    ):
        self.store = store
        self.clock = clock
        self.role_check = role_check
        self.seats_per_address = (
            seats_per_address if seats_per_address is not None else setting(ENV_SEATS)
        )
        self._touched: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    # -- the teacher ---------------------------------------------------------------------------
    def _teacher(self, user: User) -> None:
        ok = user.is_teacher and (self.role_check is None or self.role_check(user))
        if not ok:
            raise RunAccessError("Only the teacher may do this.", "access.teacher")

    def open_class(self, user: User) -> ClassSession:
        """Open a new class with a new code (the open one, if any, closes: its seats and runs
        stay). Teacher only.

        Raises:
            RunAccessError: ``user`` is not the teacher (now).
        """
        self._teacher(user)
        code = new_code()
        while self.store.code_taken(code):  # 32⁶ codes: a repeat is rare, and refused
            code = new_code()
        row = self.store.open_class_row(uuid.uuid4().hex[:12], code, user.id)
        log.info("class %s opened by %s (code %s)", row.class_id, user.label, code)
        return _session(row)

    def close_class(self, user: User) -> None:
        """Close the open class: its seats, their runs and the board stay; students work alone
        again. Teacher only."""
        self._teacher(user)
        if self.store.close_class_rows():
            log.info("class closed by %s", user.label)

    def set_show_names(self, user: User, on: bool) -> None:
        """Whether the projector shows the students' names (else pseudonyms). Teacher only.

        Raises:
            ClassError: no class is open.
        """
        self._teacher(user)
        session = self._open()
        self.store.set_class_show_names(session.class_id, on)

    def roster(self, user: User, class_id: str | None = None) -> list[Seat]:
        """Every seat of the open class (or of ``class_id``), for the teacher's roster.

        Raises:
            RunAccessError: ``user`` is not the teacher (now).
        """
        self._teacher(user)
        return self.seats(class_id)

    # -- reading -------------------------------------------------------------------------------
    def current(self) -> ClassSession | None:
        """The open class, or None (cnnviz works as for one user)."""
        row = self.store.open_class_now()
        return _session(row) if row is not None else None

    def get(self, class_id: str) -> ClassSession | None:
        row = self.store.class_row(class_id)
        return _session(row) if row is not None else None

    def shown_class(self, user: User) -> ClassSession | None:
        """The class whose board ``user`` sees: the open class; without one, the newest
        closed class for the teacher only (its board stays hers), and nothing for a student
        (without an open class nothing of class mode shows)."""
        session = self.current()
        if session is not None:
            return session
        if not (user.is_teacher and (self.role_check is None or self.role_check(user))):
            return None
        history = self.history()
        return history[0] if history else None

    def history(self) -> list[ClassSession]:
        """Every class, the newest first."""
        return [_session(r) for r in self.store.class_rows()]

    def _open(self) -> ClassSession:
        session = self.current()
        if session is None:
            raise ClassError("No class is open now.", "class.none_open")
        return session

    def seats(self, class_id: str | None = None) -> list[Seat]:
        """The seats of ``class_id`` (default: the open class; none without one), in the order
        they were taken. The library's own view: pages for students ask :meth:`roster`."""
        if class_id is None:
            session = self.current()
            if session is None:
                return []
            class_id = session.class_id
        return [_seat(r) for r in self.store.seat_rows(class_id)]

    def seat_of(self, user_id: str) -> Seat | None:
        """The seat ``user_id`` holds in the open class, or None."""
        row = self.store.seat_of_user(user_id)
        return _seat(row) if row is not None else None

    def seat_key(self, user: User) -> str | None:
        """The key of ``user``'s own seat in the open class (it takes the seat back from
        another browser), or None (no seat, or a seat made without one)."""
        row = self.store.seat_of_user(user.id)
        return self.store.seat_key(row.seat_id) if row is not None else None

    def needs_seat(self, user: User) -> bool:
        """Whether ``user`` must join before starting or importing runs: a student without a
        seat while a class is open (the teacher, and everyone without a class, need none)."""
        return not user.is_teacher and self.store.needs_seat(user.id)

    def check_may_run(self, user: User) -> None:
        """Raise unless ``user`` may start or import runs now (see :meth:`needs_seat`).

        Raises:
            ClassError: a class is open and this student has not joined it.
        """
        if self.needs_seat(user):
            raise join_first()

    @staticmethod
    def display_name(seat: Seat, for_projector: bool, show_names: bool = False) -> str:
        """What to call a seat: its name for the teacher's own screen, or on the projector its
        pseudonym unless ``show_names`` (the class's switch). Plain text: escape it for
        Markdown where it is shown."""
        if for_projector and not show_names:
            return seat.pseudonym
        return seat.name

    def projector_name(self, seat: Seat) -> str:
        """A seat's name as the projector shows it now (the open class's switch)."""
        session = self.get(seat.class_id)
        return self.display_name(seat, True, bool(session and session.show_names))

    # -- students ------------------------------------------------------------------------------
    def join(self, user_id: str, code: str, name: str, address: str, seat_key: str = "") -> Seat:
        """Seat ``user_id`` (a browser) in the open class whose code is ``code``.

        A browser that already holds a seat keeps it (and may change its name). A name that
        another seat holds is taken, unless that seat was made from ``address``, its browser
        has not been seen for :data:`REJOIN_IDLE_S` and ``seat_key`` is the seat's key (shown
        to its student, :meth:`seat_key`): then this browser takes the seat back with its runs
        (a cleared cookie). A name and an address alone never hand a seat over: in a
        classroom every student shares the address and knows the others' names. Otherwise a
        new seat, within the address's rate limit, with a new key.

        Raises:
            ClassError: no class is open, the code is wrong, the name is empty, too long or
                taken (or its seat's key was not given), or the address made too many seats
                lately.
        """
        session = self.current()
        if session is None:
            raise ClassError(
                "No class is open now: cnnviz works without one. Ask the teacher to open it.",
                "class.none_open",
            )  # fmt: skip
        if clean_code(code) != session.code:
            raise ClassError(
                "That code does not match the open class; check the code on the projector.",
                "class.bad_code",
            )  # fmt: skip
        shown = clean_name(name)
        key = name_key(shown)
        address = str(address or "unknown")[:64]
        now = self.clock()
        most = self.seats_per_address
        given = clean_code(seat_key)
        named_now = next((r for r in self.store.seat_rows(session.class_id) if r.name_key == key),
                         None)  # fmt: skip
        stored = self.store.seat_key(named_now.seat_id) if named_now is not None else None
        key_ok = bool(given and stored) and same_text(given, str(stored))

        def decide(facts: JoinFacts) -> str:
            if facts.mine is not None:
                if facts.named is not None and facts.named.seat_id != facts.mine.seat_id:
                    raise self._taken(shown)
                return "keep"
            if facts.named is not None:
                named = facts.named
                idle = now - named.last_seen
                if named.address == address and idle >= REJOIN_IDLE_S:
                    if key_ok and named_now is not None and named.seat_id == named_now.seat_id:
                        return "rejoin"
                    raise ClassError(
                        f"“{shown}” is taken. If it is your seat, type its seat key (shown on "
                        "the Class page after you joined) to take it back; otherwise pick "
                        "another name.",
                        "class.seat_key", name=shown,
                    )  # fmt: skip
                if named.address == address:
                    wait = max(1, round(REJOIN_IDLE_S - idle))
                    raise ClassError(
                        f"“{shown}” is in use in another browser. If it is yours (you cleared "
                        f"its cookies or changed browser), try again in {wait} s; otherwise "
                        "pick another name.",
                        "class.name_busy", name=shown, s=wait,
                    )  # fmt: skip
                raise self._taken(shown)
            if facts.minted >= most:
                wait = max(1, round((facts.oldest_mint or now) + MINT_WINDOW_S - now))
                log.warning("class: a seat from %s refused (rate limit)", address)
                raise ClassError(
                    f"Too many seats were made from your network address lately (at most "
                    f"{most} in {MINT_WINDOW_S / 60:.0f} min). Try again in {wait} s, or ask "
                    "the teacher.",
                    "class.seat_rate", most=most, min=round(MINT_WINDOW_S / 60), s=wait,
                )  # fmt: skip
            return "new"

        try:
            row, action = self.store.join_seat(
                session.class_id, user_id, shown, key, address, now - MINT_WINDOW_S, decide,
                uuid.uuid4().hex[:12],
            )  # fmt: skip
        except LookupError as exc:  # closed between the read and the write
            raise ClassError(
                "No class is open now: cnnviz works without one. Ask the teacher to open it.",
                "class.none_open",
            ) from exc
        if action == "new":
            self.store.set_seat_key(row.seat_id, new_code())
        with self._lock:  # the seat's first page view is written at once
            self._touched.pop(user_id, None)
        if action == "rejoin":
            log.info("class %s: seat %d taken back by a new browser", row.class_id, row.number)
        return _seat(row)

    @staticmethod
    def _taken(name: str) -> ClassError:
        return ClassError(
            f"“{name}” is already taken in this class; pick another name.",
            "class.name_taken", name=name,
        )  # fmt: skip

    def touch(self, user_id: str, page: str | None) -> bool | None:
        """Note that ``user_id``'s seat was just seen on ``page`` (cheap: on the same page, one
        read and one write per user at most every :data:`TOUCH_S` in this process; a change
        of page is written at once). Returns whether ``user_id`` holds a seat in the open
        class (None: not looked up, the call came too soon after the last)."""
        page = str(page)[:MAX_PAGE] if page is not None else None
        now = self.clock()
        with self._lock:
            last_page, last = self._touched.get(user_id, (None, float("-inf")))
            if last_page == page and now - last < TOUCH_S:
                return None
            self._touched[user_id] = (page, now)
            if len(self._touched) > 10_000:
                self._touched = {user_id: (page, now)}
        row = self.store.seat_of_user(user_id)
        if row is not None:
            self.store.touch_seat(row.seat_id, page)
        return row is not None
