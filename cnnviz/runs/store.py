"""The run store: every run's settings, status and metrics in SQLite, its files beside them.

A store is a folder (``$CNNVIZ_HOME``, else ``~/.local/share/cnnviz``): ``runs.sqlite`` (WAL:
readers never wait for the writer; one commit per epoch, so a crash loses at most the epoch in
progress) and ``checkpoints/`` (:mod:`cnnviz.runs.artifacts`). Any process may open it: the
web server that shows runs, the worker process that trains one, ``python -m cnnviz``. Whatever a
page draws comes from here: metrics per epoch, the in-epoch loss points, the latest progress,
the heartbeat and the stop flag. So the curve of a run trained by a CLI, by a worker after a
server restart, or on another host (through the Ray executor's app side) is drawn alike.

No single bad row may break a listing: values are checked on the way in and read defensively
on the way out. A busy database (another process holding the write lock) is retried with
backoff before :class:`StoreBusyError` says so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import torch

from cnnviz.config import RunConfig, setting
from cnnviz.errors import KeyedError
from cnnviz.runfile import (
    ANALYSIS_KEY,
    EPOCHS_KEY,
    FINAL,
    MAX_TEXT_CHARS,
    METRIC_COLUMNS,
    RUN_KEY,
    describe,
    encode_snapshots,
)
from cnnviz.runs.artifacts import Artifacts, pid_alive

if TYPE_CHECKING:  # pandas is imported where a table is built: training needs none
    import pandas as pd

log = logging.getLogger("cnnviz.runs")
T = TypeVar("T")

ENV_HOME = "CNNVIZ_HOME"
SCHEMA_VERSION = 3
APP_ID = "cnnviz-run-store"
STATUSES = ("queued", "running", "finished", "stopped", "failed", "interrupted")
LIVE = ("queued", "running")
HEARTBEAT_S = 1.0
STALE_S = 60.0  # a heartbeat older than this means the owner is gone (other hosts only)
BUSY_S = 30.0  # how long a write waits for a busy database before giving up
HOST = socket.gethostname()
REAPED = "The process running it ended (server restart or crash); the finished epochs are kept."
LIVE_TOKENS: set[str] = set()  # managers (and CLI runs) alive in this process


class StoreError(RuntimeError):
    """The run store cannot be used (older/newer/foreign schema, damaged file); says what to do."""


class StoreBusyError(KeyedError, StoreError):
    """Another process held the store's write lock for longer than we waited (keyed: the
    pages say it in the reader's language)."""


class RunActiveError(StoreError):
    """The run is queued or training: it must be stopped before this (e.g. deleting it)."""


class RunDamagedError(StoreError):
    """A stored run's description cannot be read (a damaged or foreign row)."""


class RunNotFoundError(StoreError, KeyError):
    """No run with this id in the store (a ``KeyError`` too, for callers that look up)."""

    __str__ = StoreError.__str__  # the message as written, not quoted as a KeyError's

    def __init__(self, run_id: str, root: Path | str = ""):
        super().__init__(f"No run {run_id!r} in {root}" if root else f"No run {run_id!r}")
        self.run_id = run_id


def default_home() -> Path:
    """``$CNNVIZ_HOME``, else ``~/.local/share/cnnviz`` (outside the source tree)."""
    env = setting(ENV_HOME)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "cnnviz"


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


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    grp TEXT,
    preset TEXT,
    family TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    num_epochs INTEGER NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error TEXT,
    notice TEXT,
    device TEXT,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_token TEXT,
    heartbeat REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL, val_acc REAL,
    examples_per_s REAL, seconds REAL,
    PRIMARY KEY (run_id, epoch)
);
"""
# Schema 2 (this version): who a run belongs to (a browser's identity, not the process that
# trains it), pinned runs, the live curve's points, and what the network learned.
MIGRATE_TO_2 = """
ALTER TABLE runs ADD COLUMN user_id TEXT;
ALTER TABLE runs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS points (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    x REAL NOT NULL,
    loss REAL NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS analysis (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status, owner_token);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    role TEXT NOT NULL DEFAULT 'student',
    role_key TEXT,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
ALTER TABLE runs ADD COLUMN submit_token TEXT;
"""
# One press of Start, one run: the token a submission carries is unique among the runs (an
# older cnnviz leaves the column empty, and NULLs never collide).
SUBMIT_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS runs_by_submit ON runs(submit_token)"
# Schema 3: when a run was imported (NULL: trained here; it replaces a notice text that
# trimming overwrote) and the teacher role's short-lived tokens (kept as hashes).
MIGRATE_TO_3 = """
ALTER TABLE runs ADD COLUMN imported REAL;
CREATE TABLE IF NOT EXISTS teacher_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    role_key TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
"""
MARK_IMPORTED = (  # a schema-2 store knew its imported runs by their notice only
    "UPDATE runs SET imported = COALESCE(finished, created)"
    " WHERE imported IS NULL AND notice LIKE 'Imported from%'"
)
NOTE_USER = (
    "INSERT INTO users (user_id, created, last_seen) VALUES (?,?,?)"
    " ON CONFLICT(user_id) DO UPDATE SET last_seen=excluded.last_seen"
)
KEY_FILE = "secret.key"  # the store's signing key: beside the database, never inside it
MAX_SUBMIT_TOKEN = 64
RUN_COLUMNS = (
    "run_id, name, grp, status, config, created, error, preset, notice, device, user_id, pinned,"
    " started"
)


def _fmt_time(t) -> str:
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


def _finite(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class RunStore:
    """SQLite (WAL) ``runs.sqlite`` plus ``checkpoints/`` under ``root``.

    Args:
        root: the store's folder (default :func:`default_home`).
        busy_s: how long a write retries while another process holds the write lock.

    Raises:
        StoreError: the folder holds a store from a newer version or something else.
    """

    def __init__(
        self,
        root: Path | None = None,
        busy_s: float = BUSY_S,
        clock: Callable[[], float] = time.time,
    ):
        self.root = Path(root) if root is not None else default_home()
        self.checkpoints = self.root / "checkpoints"
        self.busy_s = busy_s
        self.clock = clock  # tests set the time instead of sleeping
        try:
            self.checkpoints.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"Cannot create the run store folder {self.root}: {exc}") from exc
        self.files = Artifacts(self.checkpoints)
        self.path = self.root / "runs.sqlite"
        self.key_path = self.root / KEY_FILE
        self._private()
        self._lock = threading.RLock()
        self._last_reap = 0.0
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=2
            )
            self._db.execute("PRAGMA busy_timeout=2000")
            self._retry(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: safe, and no fsync per point
            self._db.execute("PRAGMA foreign_keys=ON")
            self._retry(self._check_schema)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The run store {self.path} is damaged or not a cnnviz store ({exc}). "
                f"Move it away or point {ENV_HOME} at another folder."
            ) from exc
        self._move_key_out()
        self._private()  # the -wal and -shm files exist now
        self.files.clean_temporaries()
        self.reap()

    def _private(self) -> None:
        """Only this account may read the store: the folders 0700, the database (with its
        -wal and -shm), the key and every checkpoint 0600. A store made by an older cnnviz
        (0755 and 0644) is tightened when it is opened."""
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # SQLite keeps it
        files = [
            self.path,
            self.key_path,
            *(self.root / f"runs.sqlite{x}" for x in ("-wal", "-shm")),
        ]
        try:
            files += [p for p in self.checkpoints.iterdir() if p.is_file()]
        except OSError:
            pass
        for path, mode in [(self.root, 0o700), (self.checkpoints, 0o700)] + [
            (f, 0o600) for f in files
        ]:
            try:
                if path.exists() and path.stat().st_mode & 0o777 != mode:
                    path.chmod(mode)
            except OSError as exc:  # not ours (a shared folder): said, the store still works
                log.warning("cannot make %s private: %s", path, exc)

    # -- schema ---------------------------------------------------------------------------
    def _check_schema(self) -> None:
        """Create a new store, upgrade a schema-1 store, refuse anything else. Creation and
        upgrade run in one write transaction, so two processes opening a new store at once
        cannot both do it."""
        with self._lock:
            version = self._version()
            if version == SCHEMA_VERSION and self._complete():
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._version()  # another process may have been first
                if version is None:
                    for stmt in (SCHEMA + MIGRATE_TO_2 + MIGRATE_TO_3).split(";"):
                        if stmt.strip() and "ADD COLUMN" not in stmt:
                            self._db.execute(stmt)
                    self._add_columns()
                    self._db.executemany(
                        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        [("app", APP_ID), ("schema_version", str(SCHEMA_VERSION))],
                    )
                elif version in (1, 2, SCHEMA_VERSION):  # older, or made before all its tables
                    for stmt in (MIGRATE_TO_2 + MIGRATE_TO_3).split(";"):
                        if stmt.strip() and "ADD COLUMN" not in stmt:
                            self._db.execute(stmt)
                    self._add_columns()
                    if version < 3:
                        self._db.execute(MARK_IMPORTED)
                    self._db.execute(
                        "UPDATE meta SET value=? WHERE key='schema_version'",
                        (str(SCHEMA_VERSION),),
                    )
                    log.info("run store %s upgraded to schema %d", self.root, SCHEMA_VERSION)
                elif version != SCHEMA_VERSION:
                    self._refuse(version)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _complete(self) -> bool:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        wanted = {"runs", "metrics", "points", "analysis", "users", "runs_by_submit"}
        return wanted | {"teacher_tokens"} <= tables

    def _version(self) -> int | None:
        """The schema version, None for an empty database; refuses a foreign one."""
        tables = {
            r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not tables:
            return None
        meta = {}
        if "meta" in tables:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("app") != APP_ID:
            raise StoreError(
                f"{self.path} is not a cnnviz run store. Point {ENV_HOME} at an empty "
                "folder or move the file away."
            )
        try:
            return int(meta.get("schema_version", "0"))
        except ValueError:
            return 0

    def _refuse(self, version: int) -> None:
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"The run store in {self.root} comes from an older cnnviz (schema "
                f"{version}, this version needs {SCHEMA_VERSION}). Move the folder away "
                f"(your old runs stay in it) or set {ENV_HOME} to a new folder."
            )
        raise StoreError(
            f"The run store in {self.root} comes from a newer cnnviz (schema {version}, "
            f"this version reads {SCHEMA_VERSION}). Update cnnviz or set {ENV_HOME} "
            "to another folder."
        )

    def _add_columns(self) -> None:
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
        for stmt in (MIGRATE_TO_2 + MIGRATE_TO_3).split(";"):
            if "ADD COLUMN" in stmt and stmt.split()[5] not in columns:
                self._db.execute(stmt)
        self._db.execute(SUBMIT_INDEX)

    # -- SQL with retries -------------------------------------------------------------------
    def _retry(self, fn: Callable[[], T], budget: float | None = None) -> T:
        """``fn()``, retried with backoff while the database is locked by another process."""
        deadline = time.monotonic() + (self.busy_s if budget is None else budget)
        delay = 0.05
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"The run store {self.path} is busy: another program has held its "
                        f"write lock for over {self.busy_s:.0f} s ({exc}). Try again soon.",
                        "store.busy", s=round(self.busy_s),
                    ) from exc  # fmt: skip
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _q(self, sql: str, args=()) -> list[tuple]:
        def run():
            with self._lock:
                return self._db.execute(sql, args).fetchall()

        return self._retry(run)

    def _x(self, sql: str, args=()) -> int:
        """Execute one statement (autocommit); returns the number of rows changed."""

        def run():
            with self._lock:
                return self._db.execute(sql, args).rowcount

        return self._retry(run)

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """``body(db)`` inside ``BEGIN IMMEDIATE … COMMIT``: atomic, and serialised with every
        other writer (thread or process) from its first statement."""

        def run():
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    out = body(self._db)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return out

        return self._retry(run)

    # -- writing --------------------------------------------------------------------------
    def create(
        self,
        config: RunConfig,
        name: str | None = None,
        group: str | None = None,
        preset: str | None = None,
        owner_token: str | None = None,
        status: str = "queued",
        user: str | None = None,
    ) -> str:
        """Insert a new run (owned by this process until a worker stamps it) and return its id."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        run_id = uuid.uuid4().hex[:10]
        now = time.time()
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
    ) -> list[str]:
        """Queue several runs (config, name, group, preset) in one transaction; ``check(mine,
        total)`` sees the runs already waiting (the user's, everyone's) and may raise to refuse
        them all — two browsers of one student cannot both slip under a cap.

        ``submit_token`` (one per press of a button): when this user's runs already carry it,
        nothing is added and their ids come back; so one press queues its runs once, however
        often it arrives."""
        now = time.time()
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
        now = time.time()
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

    def claim(self, run_id: str, owner_token: str) -> bool:
        """Move a queued run to running for the caller (atomic: one dispatcher wins)."""
        now = time.time()
        return bool(
            self._x(
                "UPDATE runs SET status='running', started=?, heartbeat=?, owner_host=?,"
                " owner_pid=?, owner_token=? WHERE run_id=? AND status='queued'"
                " AND stop_requested=0",
                (now, now, HOST, os.getpid(), owner_token, run_id),
            )
        )

    def set_owner(self, run_id: str, host: str, pid: int, token: str | None = None) -> None:
        """Stamp the process that actually trains the run (host, pid)."""
        self._x(
            "UPDATE runs SET owner_host=?, owner_pid=?, owner_token=COALESCE(?, owner_token),"
            " heartbeat=? WHERE run_id=?",
            (str(host)[:255], int(pid), token, time.time(), run_id),
        )

    def set_notice(self, run_id: str, notice: str) -> None:
        self._x("UPDATE runs SET notice=? WHERE run_id=?", (notice, run_id))

    def set_device(self, run_id: str, device: str) -> None:
        self._x("UPDATE runs SET device=? WHERE run_id=?", (device, run_id))

    def set_pinned(self, run_id: str, pinned: bool) -> None:
        self._x("UPDATE runs SET pinned=? WHERE run_id=?", (int(bool(pinned)), run_id))

    def add_epoch(self, run_id: str, record: dict) -> None:
        """Commit one epoch's metrics (autocommit: it survives a crash right after)."""
        self._x(
            "INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?,?,?)",
            (run_id, *[record.get(c) for c in METRIC_COLUMNS]),
        )

    def add_points(self, run_id: str, points: list[tuple[float, float]], progress: dict) -> None:
        """The in-epoch running-loss points since the last call, and the latest progress."""

        def body(db):
            (n,) = db.execute("SELECT COUNT(*) FROM points WHERE run_id=?", (run_id,)).fetchone()
            db.executemany(
                "INSERT OR REPLACE INTO points VALUES (?,?,?,?)",
                [(run_id, n + i, x, loss) for i, (x, loss) in enumerate(points)],
            )
            db.execute(
                "UPDATE runs SET progress=?, heartbeat=? WHERE run_id=? AND status='running'",
                (json.dumps(progress), time.time(), run_id),
            )

        self._transaction(body)

    def points(self, run_id: str) -> list[tuple[float, float]]:
        """(fractional epoch, running train loss) points of the run, for its live curve."""
        return [
            (float(x), float(loss))
            for x, loss in self._q(
                "SELECT x, loss FROM points WHERE run_id=? ORDER BY seq", (run_id,)
            )
        ]

    def beat(self, run_id: str) -> bool:
        """A training run's heartbeat, from the process that trains it; returns whether a stop
        was asked for. A run that a reaper marked "interrupted" while it was only slow (paused,
        swapped out) proves alive here and is running again."""
        now = time.time()
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
            (time.time(), owner_token),
        )

    def stop_queued(self, run_id: str) -> bool:
        """A queued run becomes stopped (atomically: a dispatcher cannot start it meanwhile);
        False when it was not queued."""
        return bool(
            self._x(
                "UPDATE runs SET status='stopped', finished=?, stop_requested=1"
                " WHERE run_id=? AND status='queued'",
                (time.time(), run_id),
            )
        )

    def request_stop(self, run_id: str) -> None:
        """Ask whichever process owns the run to stop it (seen within one heartbeat)."""
        self._x("UPDATE runs SET stop_requested=1 WHERE run_id=?", (run_id,))

    def stop_requested(self, run_id: str) -> bool:
        rows = self._q("SELECT stop_requested FROM runs WHERE run_id=?", (run_id,))
        return bool(rows and rows[0][0])

    # -- files ------------------------------------------------------------------------------
    def checkpoint_path(self, run_id: str) -> Path:
        return self.files.checkpoint_path(run_id)

    def snapshots_path(self, run_id: str) -> Path:
        return self.files.snapshots_path(run_id)

    def save_state_dict(
        self,
        run_id: str,
        state_dict: dict[str, torch.Tensor],
        status: str | None = None,
        epoch: dict | None = None,
    ) -> Path:
        """Write the weights as safetensors, atomically, with the run described in the metadata
        as it stands (``status``: the one it is about to take, else the stored one; ``epoch``:
        the metrics of an epoch about to be stored) and its first-layer snapshots, so the file
        alone can be imported elsewhere."""
        tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
        meta = {}
        rows = self._q(
            "SELECT name, grp, preset, status, config, created, device FROM runs WHERE run_id=?",
            (run_id,),
        )
        if rows:
            name, grp, preset, stored, config, created, device = rows[0]
            config = RunConfig.from_dict(json.loads(config))
            metrics = self.metrics_rows(run_id)
            if epoch is not None and epoch["epoch"] == len(metrics) + 1:
                metrics.append({c: epoch.get(c) for c in METRIC_COLUMNS})
            meta[RUN_KEY] = describe(
                run_id, name, grp, preset, status or stored, config, created, device, metrics
            )
            if (snapshots := self.snapshots_path(run_id)).exists():
                meta[EPOCHS_KEY] = encode_snapshots(snapshots.read_bytes())
            if (analysis := self._analysis_text(run_id)) is not None:
                meta[ANALYSIS_KEY] = analysis
        return self.files.write_tensors(self.checkpoint_path(run_id), run_id, tensors, **meta)

    def _analysis_text(self, run_id: str) -> str | None:
        rows = self._q("SELECT data FROM analysis WHERE run_id=?", (run_id,))
        return rows[0][0] if rows else None

    def load_state_dict(self, run_id: str) -> dict[str, torch.Tensor] | None:
        """The run's weights, read as tensors only (safetensors), or None if it has none.

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors.
        """
        hint = " It may be damaged or not a safetensors file; retrain the run to get it back."
        path = self.checkpoint_path(run_id)
        return self.files.read_tensors(path, "checkpoint", hint) or None

    def save_snapshot(self, run_id: str, epoch: int, tensors: dict[str, torch.Tensor]) -> None:
        self.files.save_snapshot(run_id, epoch, tensors)

    def snapshot_epochs(self, run_id: str) -> list[int]:
        return self.files.snapshot_epochs(run_id)

    def load_snapshot(self, run_id: str, epoch: int) -> dict[str, torch.Tensor] | None:
        return self.files.load_snapshot(run_id, epoch)

    def run_size(self, run_id: str) -> int:
        """Bytes on disk of the run's checkpoint and snapshots."""
        return self.files.size(run_id)

    # -- settings and people (see cnnviz.classroom) ------------------------------------------
    def secret_key(self) -> bytes:
        """This store's key for signing browser identities and keeping the teacher secret's
        fingerprint: 32 random bytes (``secrets.token_bytes``) in ``secret.key`` (0600) beside
        the database, never inside it, so a copy of the database forges nothing. Made once;
        two processes making it at once agree on the first."""
        try:
            return bytes.fromhex(self.key_path.read_text().strip())
        except FileNotFoundError:
            pass
        except ValueError as exc:
            raise StoreError(
                f"The store's key {self.key_path} is damaged ({exc}). Remove it: every browser "
                "then gets a new identity, and the teacher unlocks again."
            ) from exc
        self._write_key(secrets.token_bytes(32))
        return bytes.fromhex(self.key_path.read_text().strip())

    def _write_key(self, key: bytes) -> None:
        tmp = self.root / f"{KEY_FILE}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(key.hex())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, self.key_path)  # atomic, and never replaces another's key
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)

    def _move_key_out(self) -> None:
        """A store from before schema 3 kept its key in the database: it moves to the key file
        (the identities it signed stay valid) and leaves the database."""
        rows = self._q("SELECT value FROM meta WHERE key='cookie_key'")
        if not rows:
            return
        if not self.key_path.exists():
            self._write_key(bytes.fromhex(rows[0][0]))
        self._x("DELETE FROM meta WHERE key='cookie_key'")
        log.info("run store %s: its signing key moved to %s", self.root, self.key_path)

    def role_key(self, secret: str) -> str:
        """What the store keeps of the teacher secret: an HMAC keyed by the store's key (a
        copy of the database tells nothing about the secret). Changing the secret locks every
        teacher out again."""
        return hmac.new(
            self.secret_key(), b"cnnviz-teacher:" + secret.encode(), "sha256"
        ).hexdigest()

    def setting(self, name: str, default: str | None = None) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key=?", (f"setting:{name}",))
        return rows[0][0] if rows else default

    def set_setting(self, name: str, value: str) -> None:
        self._x("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"setting:{name}", str(value)))

    def user_role(self, user_id: str, secret: str | None) -> str:
        """A user's recorded role: "teacher" only while the secret they unlocked with is still
        the server's ``secret``; else "student". Reads only: a visit writes no row. A role kept
        under the old bare hash (before schema 3) is re-kept under the keyed one."""
        rows = self._q("SELECT role, role_key FROM users WHERE user_id=?", (user_id,))
        if not rows or rows[0][0] != "teacher" or not secret:
            return "student"
        kept = rows[0][1]
        if kept and hmac.compare_digest(kept, self.role_key(secret)):
            return "teacher"
        legacy = hashlib.sha256(b"cnnviz-teacher:" + secret.encode()).hexdigest()
        if kept and hmac.compare_digest(kept, legacy):
            self.set_user_role(user_id, "teacher", secret)
            return "teacher"
        return "student"

    def set_user_role(self, user_id: str, role: str, secret: str | None = None) -> None:
        """Record a user's role (``secret``: the one they unlocked the teacher role with)."""
        now = self.clock()
        key = self.role_key(secret) if secret else None
        self._x(
            "INSERT INTO users (user_id, role, role_key, created, last_seen) VALUES (?,?,?,?,?)"
            " ON CONFLICT(user_id) DO UPDATE SET role=excluded.role, role_key=excluded.role_key",
            (user_id, role, key, now, now),
        )

    def note_user(self, user_id: str) -> None:
        """A visitor who acted (queued or imported a run): their row, made then and only then,
        so cookieless visits cannot grow the table."""
        now = self.clock()
        self._x(NOTE_USER, (user_id, now, now))

    def imported_count(self, user_id: str) -> int:
        """How many imported runs ``user_id`` keeps in this store."""
        rows = self._q(
            "SELECT COUNT(*) FROM runs WHERE user_id=? AND imported IS NOT NULL", (user_id,)
        )
        return int(rows[0][0])

    def users_count(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM users")[0][0])

    # -- the teacher role's tokens -----------------------------------------------------------
    def issue_teacher_token(self, user_id: str, secret: str, ttl_s: float) -> str:
        """A new token of the teacher role for ``user_id`` (unlocked with ``secret``), valid for
        ``ttl_s`` seconds or until :meth:`revoke_teacher_tokens`; only its hash is kept."""
        token = secrets.token_urlsafe(24)
        now = self.clock()
        self._x("DELETE FROM teacher_tokens WHERE expires < ?", (now,))
        self._x(
            "INSERT INTO teacher_tokens VALUES (?,?,?,?,?)",
            (_token_hash(token), user_id, self.role_key(secret), now, now + ttl_s),
        )
        self.set_user_role(user_id, "teacher", secret)
        return token

    def teacher_token_valid(self, token: str | None, user_id: str, secret: str | None) -> bool:
        """Whether ``token`` holds the teacher role for ``user_id`` now: issued to them, not
        expired, not revoked, and under the server's current ``secret``."""
        if not token or not secret or len(token) > 100:
            return False
        rows = self._q(
            "SELECT user_id, role_key, expires FROM teacher_tokens WHERE token_hash=?",
            (_token_hash(token),),
        )
        if not rows:
            return False
        owner, key, expires = rows[0]
        fresh = (_finite(expires) or 0.0) > self.clock()
        return owner == user_id and fresh and hmac.compare_digest(key, self.role_key(secret))

    def revoke_teacher_tokens(self, user_id: str) -> int:
        """Lock: every token of ``user_id`` ends (every browser and session holding one is a
        student at its next action); the recorded role too. Returns how many ended."""
        n = self._x("DELETE FROM teacher_tokens WHERE user_id=?", (user_id,))
        self.set_user_role(user_id, "student")
        return n

    def queued_counts(self, user: str | None) -> tuple[int, int]:
        """(runs waiting of this user, runs waiting in all)."""
        rows = self._q(
            "SELECT COUNT(*), COALESCE(SUM(user_id IS ?), 0) FROM runs WHERE status='queued'",
            (user,),
        )
        total, mine = rows[0]
        return int(mine), int(total)

    def owner(self, run_id: str) -> tuple[str | None, bool]:
        """(the user who owns the run, whether it is pinned)."""
        rows = self._q("SELECT user_id, pinned FROM runs WHERE run_id=?", (run_id,))
        if not rows:
            raise RunNotFoundError(run_id, self.root)
        return rows[0][0], bool(rows[0][1])

    def disk_usage(self) -> list[dict]:
        """Every run with its owner, the owner's role, status, pin, when it came into this
        store (``created``: an import's arrival, not the date its file carries), whether it was
        imported, and bytes on disk."""
        rows = self._q(
            "SELECT r.run_id, r.user_id, u.role, r.status, r.pinned,"
            " COALESCE(r.imported, r.created), r.imported IS NOT NULL"
            " FROM runs r LEFT JOIN users u ON u.user_id = r.user_id"
        )
        return [
            {"run_id": rid, "user": user, "role": role, "status": status,
             "pinned": bool(pinned), "created": _finite(created) or 0.0,
             "imported": bool(imported), "size": self.files.size(rid)}
            for rid, user, role, status, pinned, created, imported in rows
        ]  # fmt: skip

    def trim_weights(self, run_id: str, reason: str) -> int:
        """Remove a run's weights (its metrics, curves and first-layer snapshots stay); says so
        on the run. Returns the bytes freed."""
        path = self.checkpoint_path(run_id)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0
        path.unlink(missing_ok=True)
        self._x(
            "UPDATE runs SET notice=? WHERE run_id=?",
            (f"Its weights were removed ({reason}); its metrics and curves are kept.", run_id),
        )
        log.info("run %s: weights removed (%s)", run_id, reason)
        return size

    def history(self, config: RunConfig, device: str, limit: int = 20) -> list[dict]:
        """Epochs of earlier runs of the same network and batch size trained here on
        ``device`` (not imported ones: those ran elsewhere), newest first: what an estimate
        of a new run learns from. Dicts with examples_per_s, seconds, n_train, n_val."""
        from cnnviz.models import spec_to_dict

        want = json.loads(json.dumps(spec_to_dict(config.spec)))  # as stored: lists, not tuples
        rows = self._q(
            "SELECT r.config, m.examples_per_s, m.seconds FROM runs r"
            " JOIN metrics m ON m.run_id = r.run_id"
            " WHERE r.family=? AND r.device=? AND r.imported IS NULL AND m.examples_per_s > 0"
            " ORDER BY r.created DESC, m.epoch LIMIT 500",
            (config.spec.family, device),
        )
        out = []
        for raw, rate, seconds in rows:
            try:
                d = json.loads(raw)
            except ValueError:
                continue
            if d.get("spec") != want or d.get("batch_size") != config.batch_size:
                continue
            n = min(d.get("limit") or 60_000, 60_000)
            v = min(d.get("val_limit") or 10_000, 10_000)
            if _finite(rate) and _finite(seconds):
                out.append({"examples_per_s": rate, "seconds": seconds, "n_train": n, "n_val": v})
            if len(out) >= limit:
                break
        return out

    # -- what the network learned (confusion matrix, worst mistakes) -------------------------
    def save_analysis(self, run_id: str, data: dict) -> None:
        self._x(
            "INSERT OR REPLACE INTO analysis VALUES (?,?,?)",
            (run_id, json.dumps(data), time.time()),
        )

    def load_analysis(self, run_id: str) -> dict | None:
        rows = self._q("SELECT data FROM analysis WHERE run_id=?", (run_id,))
        if not rows:
            return None
        try:
            return json.loads(rows[0][0])
        except ValueError:
            log.warning("the stored analysis of run %s is damaged; it will be recomputed", run_id)
            return None

    # -- import -----------------------------------------------------------------------------
    def import_run(
        self,
        data: bytes,
        name: str = "upload",
        user: str | None = None,
        run_id: str | None = None,
        run=None,
    ) -> tuple[str, bool]:
        """Add the run a checkpoint file describes (:mod:`cnnviz.runfile`): its metrics, its
        weights and its first-layer snapshots (if the file has none, epoch 0, the seeded init,
        and the last epoch are rebuilt). A file saved while its run still trained comes in as
        "interrupted". Two imports of one file at once (a class importing the teacher's file)
        add it once: the check and the writes are one transaction, and a failed import removes
        only the files it wrote itself.

        Args:
            user: who the imported run belongs to (None: the class).
            run_id: the id to import it under (default: the file's own), e.g. an importer's
                own copy of a run that is here under another owner.
            run: the file already read (:func:`cnnviz.runfile.read_run_file`).

        Returns:
            (run_id, added): added is False when the store already holds this run.

        Raises:
            RunFileError: the file is not a cnnviz run, or is damaged; nothing was written.
        """
        from cnnviz.features import first_stage_state
        from cnnviz.runfile import read_run_file
        from cnnviz.train import build_net

        run = run if run is not None else read_run_file(data, name)
        rid, config = run_id or run.run_id, run.config
        if self.exists(rid):
            return rid, False
        status = run.status if run.status in FINAL else "interrupted"
        error = None
        if status not in FINAL:
            error = (
                f"Imported from a file saved after epoch {len(run.metrics)} while the run was "
                f"{run.status}; its finished epochs are kept."
            )
        group = run.group
        notice = f"Imported from {label(name)}."
        if run.snapshots_dropped:
            notice += f" Its epoch snapshots were not kept ({run.snapshots_dropped})."
        if run.analysis_dropped:
            notice += f" Its evaluation was not kept ({run.analysis_dropped})."
        rebuilt = {}  # without snapshots in the file: the seeded init and the last epoch
        if run.snapshots is None:
            net = build_net(config)  # seconds for VGG-11: only when needed
            rebuilt[0] = first_stage_state(net)
            net.load_state_dict(run.tensors)  # names, shapes and dtypes were checked
            if run.metrics:
                rebuilt[len(run.metrics)] = first_stage_state(net)

        written: list[Path] = []

        def write(path: Path, fn) -> None:
            fn()
            written.append(path)

        def body(db) -> bool:
            if db.execute("SELECT 1 FROM runs WHERE run_id=?", (rid,)).fetchone():
                return False  # another import (thread or process) was first
            nonlocal group
            if (
                group is not None
                and db.execute("SELECT 1 FROM runs WHERE grp=? LIMIT 1", (group,)).fetchone()
            ):
                group = f"{group} (imported {rid[:6]})"  # never mixed into someone's group
            db.execute(
                "INSERT INTO runs (run_id, name, grp, preset, family, status, config,"
                " num_epochs, created, finished, error, notice, device, user_id, imported)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rid, run.name, group, run.preset, config.spec.family, status,
                    json.dumps(config.to_dict()), config.num_epochs, run.created,
                    self.clock(), error, notice, run.device, user, self.clock(),
                ),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO metrics VALUES (?,?,?,?,?,?,?,?)",
                [(rid, *[m[c] for c in METRIC_COLUMNS]) for m in run.metrics],
            )
            snaps = self.snapshots_path(rid)
            if run.snapshots is not None:
                write(snaps, lambda: self.files.write_bytes(snaps, run.snapshots))
            if run.analysis is not None:
                db.execute(
                    "INSERT OR REPLACE INTO analysis VALUES (?,?,?)",
                    (rid, json.dumps(run.analysis), time.time()),
                )
            for epoch, state in rebuilt.items():
                write(snaps, lambda e=epoch, s=state: self.files.save_snapshot(rid, e, s))
            ckpt = self.checkpoint_path(rid)
            same = rid == run.run_id and status == run.status and group == run.group
            if same and run.snapshots is not None:
                write(ckpt, lambda: self.files.write_bytes(ckpt, data))  # checked, current
            else:  # the description changes: written anew (inside the transaction: it reads
                # the new row through this connection)
                write(ckpt, lambda: self._save_state_dict_in(db, rid, run.tensors))
            return True

        try:
            added = self._transaction(body)
        except BaseException:
            for path in written:  # only what this call wrote
                path.unlink(missing_ok=True)
            raise
        return rid, added

    def _save_state_dict_in(self, db, run_id: str, tensors: dict) -> None:
        """save_state_dict for a run whose row is not committed yet (import)."""
        name, grp, preset, status, config, created, device = db.execute(
            "SELECT name, grp, preset, status, config, created, device FROM runs WHERE run_id=?",
            (run_id,),
        ).fetchone()
        metrics = [
            dict(zip(METRIC_COLUMNS, r, strict=True))
            for r in db.execute(
                f"SELECT {', '.join(METRIC_COLUMNS)} FROM metrics WHERE run_id=? ORDER BY epoch",
                (run_id,),
            )
        ]
        meta = {
            RUN_KEY: describe(
                run_id, name, grp, preset, status, RunConfig.from_dict(json.loads(config)),
                created, device, metrics,
            )
        }  # fmt: skip
        if (snapshots := self.snapshots_path(run_id)).exists():
            meta[EPOCHS_KEY] = encode_snapshots(snapshots.read_bytes())
        analysis = db.execute("SELECT data FROM analysis WHERE run_id=?", (run_id,)).fetchone()
        if analysis:
            meta[ANALYSIS_KEY] = analysis[0]
        self.files.write_tensors(self.checkpoint_path(run_id), run_id, tensors, **meta)

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

    # -- recovery -------------------------------------------------------------------------
    def _owner_gone(self, host, pid, token, heartbeat, now) -> bool:
        """On this host the process itself is asked first (a paused process is slow, not gone);
        elsewhere only the heartbeat's age tells."""
        if host == HOST and pid:
            if pid == os.getpid():
                return token is None or token not in LIVE_TOKENS
            return not pid_alive(pid)
        stale = _finite(heartbeat)
        return stale is None or now - stale > STALE_S

    def reap(self) -> list[str]:
        """Mark running runs whose training process is gone as interrupted; returns their ids.
        (Queued runs are not reaped: a live manager adopts them, see :meth:`adopt_queued`.)"""
        now = time.time()
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
        now = time.time()
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

    def queued(self, owner_token: str | None = None) -> list[tuple[str, str | None, float]]:
        """(run_id, user, created) of the queued runs (of one manager), oldest first."""
        sql = "SELECT run_id, user_id, created FROM runs WHERE status='queued'"
        args: tuple = ()
        if owner_token is not None:
            sql += " AND owner_token=?"
            args = (owner_token,)
        return [
            (r[0], r[1], _finite(r[2]) or 0.0) for r in self._q(sql + " ORDER BY created", args)
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
            if (t := _finite(raw)) is not None
        }
        return running, served

    # -- reading --------------------------------------------------------------------------
    def list_runs(self) -> pd.DataFrame:
        """All runs, newest first, one row each with their best and last validation accuracy.
        A damaged row is listed with what can be read; it never breaks the listing."""
        if time.time() - self._last_reap > 5:
            try:
                self.reap()
            except StoreError as exc:  # busy: the listing still comes, the reap next time
                log.warning("reaping skipped: %s", exc)
        rows = self._q(
            "SELECT r.run_id, r.name, r.grp, r.status, r.family, r.preset,"
            " COUNT(m.epoch), r.num_epochs, MAX(m.val_acc),"
            " (SELECT val_acc FROM metrics WHERE run_id=r.run_id ORDER BY epoch DESC LIMIT 1),"
            " COALESCE(SUM(m.seconds), 0), r.created, r.device, r.error,"
            " (SELECT examples_per_s FROM metrics WHERE run_id=r.run_id"
            "  ORDER BY epoch DESC LIMIT 1), r.user_id, r.pinned"
            " FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id"
            " GROUP BY r.run_id"
        )
        cols = [
            "run_id", "name", "group", "status", "family", "preset", "epochs_done",
            "num_epochs", "best_val_acc", "final_val_acc", "seconds", "created", "device",
            "error", "examples_per_s", "user", "pinned", "size_mb",
        ]  # fmt: skip
        import pandas as pd

        clean = []
        for r in rows:
            r = list(r)
            for i in (1, 2, 3, 4, 5, 12, 13, 15):  # texts
                r[i] = None if r[i] is None else str(r[i])
            r[1] = r[1] or r[0]
            for i in (8, 9, 10, 14):  # numbers
                r[i] = _finite(r[i])
            r[10] = r[10] or 0.0
            r[6] = int(r[6] or 0)
            r[7] = int(n) if (n := _finite(r[7])) is not None and abs(n) < 2**31 else 0
            sort_key = _finite(r[11]) or 0.0
            r[11] = _fmt_time(r[11])
            r[16] = bool(r[16])
            r.append(self.files.size(r[0]) / 2**20)
            clean.append((sort_key, r))
        clean.sort(key=lambda t: t[0], reverse=True)
        return pd.DataFrame([r for _, r in clean], columns=cols)

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
            created=_fmt_time(r[5]), error=r[6], preset=r[7], notice=r[8], device=r[9],
            user=r[10], pinned=bool(r[11]), started=_finite(r[12]), epochs_done=int(r[13]),
        )  # fmt: skip

    def exists(self, run_id: str) -> bool:
        return bool(self._q("SELECT 1 FROM runs WHERE run_id=?", (run_id,)))

    def status(self, run_id: str) -> str:
        rows = self._q("SELECT status FROM runs WHERE run_id=?", (run_id,))
        if not rows:
            raise RunNotFoundError(run_id, self.root)
        return rows[0][0]

    def stored_progress(self, run_id: str) -> dict | None:
        """The latest progress record of a running run (None once it ended)."""
        rows = self._q("SELECT progress FROM runs WHERE run_id=?", (run_id,))
        if not rows or not rows[0][0]:
            return None
        try:
            return json.loads(rows[0][0])
        except ValueError:
            return None

    def metrics_rows(self, run_id: str) -> list[dict]:
        """One dict per finished epoch (keys as the epoch record); no pandas needed."""
        rows = self._q(
            f"SELECT {', '.join(METRIC_COLUMNS)} FROM metrics WHERE run_id=? ORDER BY epoch",
            (run_id,),
        )
        return [dict(zip(METRIC_COLUMNS, r, strict=True)) for r in rows]

    def metrics(self, run_id: str) -> pd.DataFrame:
        """One row per finished epoch (columns as the epoch record)."""
        import pandas as pd

        return pd.DataFrame(self.metrics_rows(run_id), columns=list(METRIC_COLUMNS))

    def close(self) -> None:
        with self._lock:
            self._db.close()
