"""Run records and their lifecycle: creating runs (one or a group, under the class limits),
their status from queued to ended, stop requests, deletion, and reading one run back."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cnnviz.config import RunConfig
from cnnviz.runfile import (
    MAX_TEXT_CHARS,
    RUN_STATUSES,
    finite_lenient,
)
from cnnviz.runs.db import RunActiveError, RunDamagedError, RunNotFoundError
from cnnviz.runs.schema import NOTE_USER

log = logging.getLogger("cnnviz.runs")
STATUSES = RUN_STATUSES  # one tuple: the run file reads and writes the same words
LIVE = ("queued", "running")
HOST = socket.gethostname()
REAPED = "The process running it ended (server restart or crash); the finished epochs are kept."
MAX_SUBMIT_TOKEN = 64
RUN_COLUMNS = (
    "run_id, name, grp, status, config, created, error, preset, notice, device, user_id, pinned,"
    " started"
)


@dataclass(frozen=True)
class RunRecord:
    """One run as stored."""

    run_id: str
    name: str
    group: str | None
    status: str
    config: RunConfig
    created: str
    error: str | None
    preset: str | None
    notice: str | None = None
    device: str | None = None
    epochs_done: int = 0
    user: str | None = None
    pinned: bool = False
    started: float | None = None  # when it began training (a unix time)


def fmt_time(t) -> str:
    """A stored time as text; '' for anything that is not a plausible time (never raises)."""
    try:
        return datetime.fromtimestamp(float(t)).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def label(text: str | None) -> str | None:
    """A run's name or group as stored: no control characters, at most MAX_TEXT_CHARS (what a
    run file may carry, so every run this store writes can be imported elsewhere)."""
    if text is None:
        return None
    clean = "".join(c if c.isprintable() else " " for c in str(text)).strip()
    return clean[:MAX_TEXT_CHARS] or None


class RunRecords:
    """Writing and reading run rows."""

    def create(self, config: RunConfig, name=None, group=None, preset=None, owner_token=None,
               status: str = "queued", user: str | None = None) -> str:  # fmt: skip
        """Insert a new run (owned by this process until a worker stamps it) and return its id.
        ``name``, ``group``, ``preset``, ``owner_token``: text or None."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        run_id = uuid.uuid4().hex[:10]
        now = self.clock()
        self._x(
            "INSERT INTO runs (run_id, name, grp, preset, family, status, config, num_epochs,"
            " created, started, owner_host, owner_pid, owner_token, heartbeat, user_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id, label(name) or preset or config.spec.family, label(group), preset,
                config.spec.family, status, json.dumps(config.to_dict()), config.num_epochs,
                now, now if status == "running" else None, HOST, os.getpid(), owner_token,
                now, user,
            ),
        )  # fmt: skip
        return run_id

    def create_many(
        self,
        entries: list[tuple[RunConfig, str | None, str | None, str | None]],
        owner_token: str | None,
        user: str | None = None,
        check: Callable[[int, int], None] | None = None,
        submit_token: str | None = None,
        address: str | None = None,
    ) -> list[str]:
        """Queue several runs (config, name, group, preset) in one transaction; ``check(mine,
        total)`` sees the runs already waiting (the user's, everyone's) and may raise to refuse
        them all — two browsers of one student cannot both slip under a cap. ``address``: the
        client address they were queued from, kept with each (the per-address caps count it).

        ``submit_token`` (one per press of a button): when this user's runs already carry it,
        nothing is added and their ids come back; so one press queues its runs once, however
        often it arrives."""
        now = self.clock()
        ids = [uuid.uuid4().hex[:10] for _ in entries]
        tokens = [None] * len(entries)
        if submit_token is not None:
            if (
                not isinstance(submit_token, str)
                or not 0 < len(submit_token) <= MAX_SUBMIT_TOKEN
                or not submit_token.isprintable()
            ):
                raise ValueError(
                    f"a submission token is 1 to {MAX_SUBMIT_TOKEN} printable characters"
                )
            # scoped to the user: a token another person sent never finds (or blocks) theirs
            tokens = [f"{user or ''}/{submit_token}/{i}" for i in range(len(entries))]

        def body(db):
            if submit_token is not None:
                marks = ",".join("?" * len(tokens))
                found = dict(
                    db.execute(
                        f"SELECT submit_token, run_id FROM runs WHERE submit_token IN ({marks})",
                        tokens,
                    ).fetchall()
                )
                if found:  # this press was queued already: its runs, in their order
                    return [found[t] for t in tokens if t in found]
            if check is not None:
                total, mine = db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(user_id IS ?), 0) FROM runs"
                    " WHERE status='queued'",
                    (user,),
                ).fetchone()
                check(int(mine), int(total))
            for i, (run_id, (config, name, group, preset)) in enumerate(
                zip(ids, entries, strict=True)
            ):
                created = now + i * 1e-4  # the queue takes one person's runs oldest first
                db.execute(
                    "INSERT INTO runs (run_id, name, grp, preset, family, status, config,"
                    " num_epochs, created, owner_host, owner_pid, owner_token, heartbeat,"
                    " user_id) VALUES (?,?,?,?,?,'queued',?,?,?,?,?,?,?,?)",
                    (
                        run_id, label(name) or preset or config.spec.family, label(group),
                        preset, config.spec.family, json.dumps(config.to_dict()),
                        config.num_epochs, created, HOST, os.getpid(), owner_token, now, user,
                    ),
                )  # fmt: skip
            if address is not None:  # with the runs: never one queued without its address
                db.executemany(
                    "INSERT INTO run_addresses VALUES (?,?)", [(i, str(address)) for i in ids]
                )
            if submit_token is not None:  # in the same transaction: unique, or none of them
                db.executemany(
                    "UPDATE runs SET submit_token=? WHERE run_id=?", zip(tokens, ids, strict=True)
                )
            if user is not None:  # a visitor who acts: their row (a visit alone writes none)
                db.execute(NOTE_USER, (user, now, now))
            return ids

        return self._transaction(body)

    def set_status(
        self, run_id: str, status: str, error: str | None = None, only_live: bool = False
    ) -> bool:
        """Set a run's status; an ended run drops its live progress. ``only_live`` changes only
        a queued or running run (or one the reaper marked by mistake). Returns whether it did.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        now = self.clock()
        guard = ""
        args: tuple = ()
        if only_live:
            guard = " AND (status IN ('queued', 'running') OR (status='interrupted' AND error=?))"
            args = (REAPED,)
        if status == "running":
            sql = "UPDATE runs SET status=?, started=?, heartbeat=?, error=NULL WHERE run_id=?"
            return bool(self._x(sql + guard, (status, now, now, run_id, *args)))
        if status == "queued":
            return bool(self._x(f"UPDATE runs SET status=? WHERE run_id=?{guard}",
                                (status, run_id, *args)))  # fmt: skip
        # An ended run keeps only its own error: a finished or stopped run has none (a stale
        # "process ended" mark from a reaper that thought it dead is cleared).
        sql = "UPDATE runs SET status=?, finished=?, error=?, progress=NULL WHERE run_id=?"
        if status in ("failed", "interrupted"):
            sql = (
                "UPDATE runs SET status=?, finished=?, error=COALESCE(?, error), progress=NULL"
                " WHERE run_id=?"
            )
        return bool(self._x(sql + guard, (status, now, error, run_id, *args)))

    def claim(self, run_id: str, owner_token: str, lease: tuple[str, str] | None = None) -> bool:
        """Move a queued run to running for the caller (atomic: one dispatcher wins).
        ``lease``: (name, holder): only while that holder still has the lease (a dispatcher
        that lost it to another process starts nothing more)."""
        now = self.clock()
        sql = (
            "UPDATE runs SET status='running', started=?, heartbeat=?, owner_host=?,"
            " owner_pid=?, owner_token=? WHERE run_id=? AND status='queued' AND stop_requested=0"
        )
        args: tuple = (now, now, HOST, os.getpid(), owner_token, run_id)
        if lease is not None:
            sql += " AND EXISTS (SELECT 1 FROM leases WHERE name=? AND holder=?)"
            args += tuple(lease)
        return bool(self._x(sql, args))

    def set_owner(self, run_id: str, host: str, pid: int, token: str | None = None) -> None:
        """Stamp the process that actually trains the run (host, pid)."""
        self._x(
            "UPDATE runs SET owner_host=?, owner_pid=?, owner_token=COALESCE(?, owner_token),"
            " heartbeat=? WHERE run_id=?",
            (str(host)[:255], int(pid), token, self.clock(), run_id),
        )

    def set_notice(self, run_id: str, notice: str) -> None:
        self._x("UPDATE runs SET notice=? WHERE run_id=?", (notice, run_id))

    def set_device(self, run_id: str, device: str) -> None:
        self._x("UPDATE runs SET device=? WHERE run_id=?", (device, run_id))

    def set_pinned(self, run_id: str, pinned: bool) -> None:
        self._x("UPDATE runs SET pinned=? WHERE run_id=?", (int(bool(pinned)), run_id))

    def stop_queued(self, run_id: str) -> bool:
        """A queued run becomes stopped (atomically: a dispatcher cannot start it meanwhile);
        False when it was not queued."""
        return bool(
            self._x(
                "UPDATE runs SET status='stopped', finished=?, stop_requested=1"
                " WHERE run_id=? AND status='queued'",
                (self.clock(), run_id),
            )
        )

    def request_stop(self, run_id: str) -> None:
        """Ask whichever process owns the run to stop it (seen within one heartbeat)."""
        self._x("UPDATE runs SET stop_requested=1 WHERE run_id=?", (run_id,))

    def stop_requested(self, run_id: str) -> bool:
        rows = self._q("SELECT stop_requested FROM runs WHERE run_id=?", (run_id,))
        return bool(rows and rows[0][0])

    def delete(self, run_id: str) -> None:
        """Remove a run, its metrics and its files.

        Raises:
            RunActiveError: the run is queued or training (stop it first).
        """

        def body(db):
            row = db.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row and row[0] in LIVE:
                raise RunActiveError(f"Run {run_id} is {row[0]}: stop it before deleting it.")
            db.execute("DELETE FROM runs WHERE run_id=?", (run_id,))  # cascades

        self._transaction(body)
        self.files.remove(run_id)

    def get(self, run_id: str) -> RunRecord:
        """The run with this id.

        Raises:
            RunNotFoundError: no such run (a ``KeyError``).
            RunDamagedError: the stored description cannot be read.
        """
        rows = self._q(
            f"SELECT {RUN_COLUMNS}, (SELECT COUNT(*) FROM metrics WHERE run_id=runs.run_id)"
            " FROM runs WHERE run_id=?",
            (run_id,),
        )
        if not rows:
            raise RunNotFoundError(run_id, self.root)
        r = rows[0]
        try:
            config = RunConfig.from_dict(json.loads(r[4]))
        except Exception as exc:  # any damage in the stored JSON: a typed, readable error
            raise RunDamagedError(
                f"Run {run_id}'s stored settings cannot be read ({type(exc).__name__}: {exc})."
            ) from exc
        return RunRecord(
            run_id=r[0], name=str(r[1] or r[0]), group=r[2], status=r[3], config=config,
            created=fmt_time(r[5]), error=r[6], preset=r[7], notice=r[8], device=r[9],
            user=r[10], pinned=bool(r[11]), started=finite_lenient(r[12]), epochs_done=int(r[13]),
        )  # fmt: skip

    def exists(self, run_id: str) -> bool:
        return bool(self._q("SELECT 1 FROM runs WHERE run_id=?", (run_id,)))

    def status(self, run_id: str) -> str:
        rows = self._q("SELECT status FROM runs WHERE run_id=?", (run_id,))
        if not rows:
            raise RunNotFoundError(run_id, self.root)
        return rows[0][0]

    def owner(self, run_id: str) -> tuple[str | None, bool]:
        """(the user who owns the run, whether it is pinned)."""
        rows = self._q("SELECT user_id, pinned FROM runs WHERE run_id=?", (run_id,))
        if not rows:
            raise RunNotFoundError(run_id, self.root)
        return rows[0][0], bool(rows[0][1])
