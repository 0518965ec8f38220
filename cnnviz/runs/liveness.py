"""Which runs are alive: heartbeats, the reaper of runs whose process is gone, queued runs
adopted after a restart, and the queue's view of who is training and who was served."""

from __future__ import annotations

import json
import logging
import os

from cnnviz.config import RunConfig
from cnnviz.runfile import (
    finite_lenient,
)
from cnnviz.runs.artifacts import pid_alive
from cnnviz.runs.db import RunNotFoundError
from cnnviz.runs.records import HOST, LIVE, REAPED

log = logging.getLogger("cnnviz.runs")
HEARTBEAT_S = 1.0
STALE_S = 60.0  # a heartbeat older than this means the owner is gone (other hosts only)
LIVE_TOKENS: set[str] = set()  # managers (and CLI runs) alive in this process


class Liveness:
    """Heartbeats, reaping, adoption and the queue's books."""

    def beat(self, run_id: str) -> bool:
        """A training run's heartbeat, from the process that trains it; returns whether a stop
        was asked for. A run that a reaper marked "interrupted" while it was only slow (paused,
        swapped out) proves alive here and is running again."""
        now = self.clock()
        self._x(
            "UPDATE runs SET heartbeat=?, status='running', error=NULL, finished=NULL"
            " WHERE run_id=? AND status='interrupted' AND error=?",
            (now, run_id, REAPED),
        )
        rows = self._q(
            "UPDATE runs SET heartbeat=? WHERE run_id=? RETURNING stop_requested, status",
            (now, run_id),
        )
        if not rows:
            raise RunNotFoundError(run_id)  # deleted meanwhile: the run should end
        stop, status = rows[0]
        return bool(stop) or status not in LIVE

    def beat_queued(self, owner_token: str) -> None:
        """The queued runs of a manager are alive while it is."""
        self._x(
            "UPDATE runs SET heartbeat=? WHERE owner_token=? AND status='queued'",
            (self.clock(), owner_token),
        )

    def _owner_gone(self, host, pid, token, heartbeat, now) -> bool:
        """On this host the process itself is asked first (a paused process is slow, not gone);
        elsewhere only the heartbeat's age tells."""
        if host == HOST and pid:
            if pid == os.getpid():
                return token is None or token not in LIVE_TOKENS
            return not pid_alive(pid)
        stale = finite_lenient(heartbeat)
        return stale is None or now - stale > STALE_S

    def reap(self) -> list[str]:
        """Mark running runs whose training process is gone as interrupted; returns their ids.
        (Queued runs are not reaped: a live manager adopts them, see :meth:`adopt_queued`.)"""
        now = self.clock()
        self._last_reap = now
        rows = self._q(
            "SELECT run_id, owner_host, owner_pid, owner_token, heartbeat FROM runs"
            " WHERE status='running'"
        )
        gone = [r[0] for r in rows if self._owner_gone(*r[1:], now)]
        for rid in gone:
            self._x(
                "UPDATE runs SET status='interrupted', finished=?, error=?, progress=NULL"
                " WHERE run_id=? AND status='running'",
                (now, REAPED, rid),
            )
        if gone:
            log.warning("runs interrupted (their process is gone): %s", ", ".join(gone))
        return gone

    def adopt_queued(self, owner_token: str) -> list[str]:
        """Queued runs whose manager is gone (a server restart) become this manager's."""
        now = self.clock()
        rows = self._q(
            "SELECT run_id, owner_host, owner_pid, owner_token, heartbeat FROM runs"
            " WHERE status='queued' AND (owner_token IS NULL OR owner_token != ?)",
            (owner_token,),
        )
        orphans = [r[0] for r in rows if self._owner_gone(*r[1:], now)]
        for rid in orphans:
            self._x(
                "UPDATE runs SET owner_host=?, owner_pid=?, owner_token=?, heartbeat=?"
                " WHERE run_id=? AND status='queued'",
                (HOST, os.getpid(), owner_token, now, rid),
            )
        return orphans

    def queued(
        self, owner_token: str | None = None, managed: bool = False
    ) -> list[tuple[str, str | None, float]]:
        """(run_id, user, created) of the queued runs (of one manager; ``managed``: of any
        manager, leaving out rows a script queued until a manager adopts them), oldest first."""
        sql = "SELECT run_id, user_id, created FROM runs WHERE status='queued'"
        args: tuple = ()
        if owner_token is not None:
            sql += " AND owner_token=?"
            args = (owner_token,)
        if managed:
            sql += " AND owner_token IS NOT NULL"
        return [
            (r[0], r[1], finite_lenient(r[2]) or 0.0)
            for r in self._q(sql + " ORDER BY created", args)
        ]

    def queued_configs(self) -> dict[str, RunConfig]:
        """run_id → settings of every queued run whose settings can be read, in one query (a
        queue's wait is estimated from them)."""
        out = {}
        for run_id, raw in self._q("SELECT run_id, config FROM runs WHERE status='queued'"):
            try:
                out[run_id] = RunConfig.from_dict(json.loads(raw))
            except Exception:  # noqa: BLE001 - a damaged row: no estimate for it
                continue
        return out

    def running(self) -> list[str]:
        """Runs training now, whichever process trains them."""
        return [r[0] for r in self._q("SELECT run_id FROM runs WHERE status='running'")]

    def live_runs(self, owner_token: str) -> list[str]:
        """Queued or running runs owned by one manager (or process)."""
        rows = self._q(
            "SELECT run_id FROM runs WHERE owner_token=? AND status IN ('queued', 'running')",
            (owner_token,),
        )
        return [r[0] for r in rows]

    def user_load(self) -> tuple[dict, dict]:
        """(user → runs training now, user → when they were last served): what the fair queue
        needs, read from the store so every server process agrees. Served: when their last
        run started, or when they first acted (a new identity counts as served then, so
        clearing the cookie never jumps the queue)."""
        running: dict = {}
        for (user,) in self._q("SELECT user_id FROM runs WHERE status='running'"):
            running[user] = running.get(user, 0) + 1
        served = {
            user: t
            for user, raw in self._q(
                "SELECT user_id, MAX(t) FROM (SELECT user_id, started AS t FROM runs"
                " WHERE started IS NOT NULL UNION ALL SELECT user_id, created AS t FROM users)"
                " GROUP BY user_id"
            )
            if (t := finite_lenient(raw)) is not None
        }
        return running, served

    def address_load(self) -> tuple[dict[str, str], dict[str, int]]:
        """(queued run → the client address it was queued from, address → runs queued from
        there that train now): what the per-address cap of the queue needs."""
        queued, running = {}, {}
        for run_id, status, address in self._q(
            "SELECT r.run_id, r.status, a.address FROM runs r"
            " JOIN run_addresses a ON a.run_id = r.run_id"
            " WHERE r.status IN ('queued', 'running')"
        ):
            if status == "queued":
                queued[run_id] = address
            else:
                running[address] = running.get(address, 0) + 1
        return queued, running

    def live_addresses(self) -> dict[str, str]:
        """Queued or training run → the client address it was queued from (runs of no known
        address are absent): whose runs share an address's cap of training runs."""
        return {
            str(run_id): str(address)
            for run_id, address in self._q(
                "SELECT r.run_id, a.address FROM runs r JOIN run_addresses a"
                " ON a.run_id = r.run_id WHERE r.status IN ('queued', 'running')"
            )
        }

    def queued_at_address(self, address: str, user: str) -> int:
        """Runs waiting of every student at ``address``: those whose latest run was queued
        from there, and ``user`` (queueing from there now), whichever server process queued
        them."""
        where: dict = {}
        for uid, at in self._q(
            "SELECT r.user_id, a.address FROM runs r JOIN run_addresses a ON a.run_id = r.run_id"
            " WHERE r.user_id IS NOT NULL ORDER BY r.created, r.rowid"
        ):
            where[uid] = at  # the latest wins: a student who moved counts where they are now
        where[user] = address
        peers = {u for u, at in where.items() if at == address}
        return sum(1 for _, u, _ in self.queued() if u in peers)

    def queued_counts(self, user: str | None) -> tuple[int, int]:
        """(runs waiting of this user, runs waiting in all)."""
        rows = self._q(
            "SELECT COUNT(*), COALESCE(SUM(user_id IS ?), 0) FROM runs WHERE status='queued'",
            (user,),
        )
        total, mine = rows[0]
        return int(mine), int(total)
