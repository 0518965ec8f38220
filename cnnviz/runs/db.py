"""The run store's connection: the folder (private to this account), the SQLite database in
WAL mode, the retries while another process holds the write lock, and the errors every part of
the store raises (one root, :class:`StoreError`)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cnnviz.config import setting
from cnnviz.errors import KeyedError
from cnnviz.runs.artifacts import Artifacts

log = logging.getLogger("cnnviz.runs")
KEY_FILE = "secret.key"  # the store's signing key: beside the database, never inside it
T = TypeVar("T")
ENV_HOME = "CNNVIZ_HOME"
BUSY_S = 30.0  # how long a write waits for a busy database before giving up


class StoreError(RuntimeError):
    """The run store cannot be used (older/newer/foreign schema, damaged file); says what to do."""


class StoreBusyError(KeyedError, StoreError):
    """Another process held the store's write lock for longer than we waited (keyed: the
    pages say it in the reader's language)."""


class StoreFailedError(KeyedError, StoreError):
    """The database refused a statement for a reason other than another writer's lock: its
    disk is full, a disk I/O error, a folder made read-only (keyed: the pages say it in the
    reader's language)."""


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


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Connection:
    """The database and the folder: opening (with the schema checked), SQL with retries."""

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

    def _retry(self, fn: Callable[[], T], budget: float | None = None) -> T:
        """``fn()``, retried with backoff while the database is locked by another process."""
        deadline = time.monotonic() + (self.busy_s if budget is None else budget)
        delay = 0.05
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise StoreFailedError(
                        f"The run store {self.path} could not be used ({exc}). Nothing was "
                        "changed; free some disk space or check its folder, then try again.",
                        "store.failed", detail=str(exc),
                    ) from exc  # fmt: skip
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

    def close(self) -> None:
        with self._lock:
            self._db.close()
