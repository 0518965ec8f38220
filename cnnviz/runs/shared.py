"""What several server processes over one store share beyond the runs: leases, which choose
one of them for a job (the dispatcher, see :mod:`cnnviz.runs.dispatcher`), and rate-limited
events that every process counts together (wrong guesses of the teacher secret, new browser
identities per address; the limits themselves are :mod:`cnnviz.classroom`'s).

A lease is a row (name, holder, expires, renewed), taken or renewed in one write transaction
(``BEGIN IMMEDIATE``), so two processes never both hold it. It ends when its holder releases
it, or when its holder stops renewing it (a process that died or hangs): past ``expires``
anyone may take it. A holder named ``host:pid:token`` whose process is gone from this host
lets it go at once. Times are the store's clock, so tests set them instead of sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from cnnviz.runfile import finite_lenient
from cnnviz.runs.artifacts import pid_alive
from cnnviz.runs.records import HOST

log = logging.getLogger("cnnviz.runs")
LEASE_S = 3.0  # a lease not renewed for this long is free: another process takes over
RENEW_S = 1.0  # how often its holder renews it
TAKE_LEASE = (
    "INSERT INTO leases (name, holder, expires, renewed) VALUES (?,?,?,?) ON CONFLICT(name)"
    " DO UPDATE SET holder=excluded.holder, expires=excluded.expires, renewed=excluded.renewed"
)


def lease_holder_name(token: str, pid: int) -> str:
    """How a process names itself as a lease's holder: ``host:pid:token``."""
    return f"{HOST}:{pid}:{token}"


def _holder_gone(holder: str) -> bool:
    """A holder on this host whose process is gone (other hosts: only the expiry tells)."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != HOST or not parts[1].isdigit():
        return False
    return not pid_alive(int(parts[1]))


class Shared:
    """Leases and rate-limited events."""

    # -- leases -----------------------------------------------------------------------------
    def _lease_free(self, row: tuple | None, holder: str, now: float) -> bool:
        if row is None or row[0] == holder:
            return True
        expires = finite_lenient(row[1])
        return expires is None or expires <= now or _holder_gone(row[0])

    def hold_lease(self, name: str, holder: str, ttl_s: float = LEASE_S) -> bool:
        """Take the lease ``name`` for ``holder``, or renew it when ``holder`` has it, for
        ``ttl_s`` seconds; False while another live holder has it. A process that does not
        get it writes nothing (one read), so waiting processes cost the store no writes."""
        sql = "SELECT holder, expires FROM leases WHERE name=?"
        found = self._q(sql, (name,))
        if not self._lease_free(found[0] if found else None, holder, self.clock()):
            return False

        def body(db) -> bool:
            now = self.clock()  # inside the write lock: no other holder can come in between
            if not self._lease_free(db.execute(sql, (name,)).fetchone(), holder, now):
                return False
            db.execute(TAKE_LEASE, (name, holder, now + ttl_s, now))
            return True

        return self._transaction(body)

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up (a process that exits cleanly): another takes it at once."""
        return bool(self._x("DELETE FROM leases WHERE name=? AND holder=?", (name, holder)))

    def lease_holder(self, name: str) -> str | None:
        """Who holds the lease ``name`` now (None: nobody, or it expired)."""
        rows = self._q("SELECT holder, expires FROM leases WHERE name=?", (name,))
        if not rows or self._lease_free(rows[0], "", self.clock()):
            return None
        return rows[0][0]

    # -- rate-limited events ----------------------------------------------------------------
    def take_attempt(
        self, scope: str, limits: Sequence[tuple[str, int]], window_s: float
    ) -> tuple[list[int], float]:
        """Count one attempt under every (key, most) of ``limits`` within ``window_s``, all or
        none, in one write transaction (two processes cannot both slip under a limit).
        Returns (the attempt's rows, 0) or, past a limit, ([], seconds until it has room)."""

        def body(db) -> tuple[list[int], float]:
            now = self.clock()
            self._forget_old(db, scope, now - window_s)
            for key, most in limits:
                times = [
                    t for (t,) in db.execute(
                        "SELECT at FROM rate_events WHERE scope=? AND key=? ORDER BY at",
                        (scope, key),
                    )
                ]  # fmt: skip
                if len(times) >= most:  # room once all but most - 1 of them are old
                    return [], max(0.0, times[len(times) - most] + window_s - now)
            rows = [
                db.execute(
                    "INSERT INTO rate_events (scope, key, at) VALUES (?,?,?)", (scope, key, now)
                ).lastrowid
                for key, _ in limits
            ]
            return rows, 0.0

        return self._transaction(body)

    def forget_attempt(self, rows: Sequence[int]) -> None:
        """Uncount an attempt (:meth:`take_attempt`'s rows): one that turned out to be right."""
        if rows:
            marks = ",".join("?" * len(rows))
            self._x(f"DELETE FROM rate_events WHERE rowid IN ({marks})", tuple(rows))

    def count_new(
        self, scope: str, key: str, most: int, window_s: float, make: Callable[[], str]
    ) -> tuple[str, bool]:
        """A new value made by ``make()`` and recorded under ``key``: (value, whether ``most``
        or more were already made under ``key`` within ``window_s``). A value is never handed
        out twice, whatever the count."""

        def body(db) -> tuple[str, bool]:
            now = self.clock()
            self._forget_old(db, scope, now - window_s)
            (made,) = db.execute(
                "SELECT COUNT(*) FROM rate_events WHERE scope=? AND key=?", (scope, key)
            ).fetchone()
            value = make()
            db.execute(
                "INSERT INTO rate_events (scope, key, at, value) VALUES (?,?,?,?)",
                (scope, key, now, value),
            )
            return value, made >= most

        return self._transaction(body)

    def _forget_old(self, db, scope: str, before: float) -> None:
        db.execute("DELETE FROM rate_events WHERE scope=? AND at<=?", (scope, before))
