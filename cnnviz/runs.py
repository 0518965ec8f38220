"""Training runs that outlive a page: a persistent store and a background executor.

- :class:`RunStore` keeps every run in a folder the user chooses (``$CNNVIZ_HOME``, else
  ``~/.local/share/cnnviz``): configs, status and per-epoch metrics in SQLite (WAL, one commit
  per epoch) and weights as ``checkpoints/<run_id>.safetensors`` (tensors only: no pickle is
  ever executed when loading). Each checkpoint also describes its run (:mod:`cnnviz.runfile`),
  so :meth:`RunStore.import_run` brings it back in another store.
- :class:`RunManager` runs them on worker threads (bounded: one at a time by default, the others
  wait, visibly, as "queued"); Stop takes effect within a second.
- A run records its owner (host, pid, a per-manager token) and a heartbeat. When a store is
  opened, runs left "running" or "queued" by a process that is gone are marked "interrupted";
  their finished epochs (and the last epoch's checkpoint) stay. So a server restart or a killed
  process loses at most the epoch in progress.

The worker never touches Streamlit: pages poll :meth:`RunManager.progress` and the store.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from cnnviz.features import first_stage_state
from cnnviz.runfile import (
    EPOCHS_KEY,
    FINAL,
    METRIC_COLUMNS,
    RUN_KEY,
    describe,
    encode_snapshots,
    read_run_file,
)
from cnnviz.train import RunConfig, TrainingError, build_net, train

if TYPE_CHECKING:  # pandas is imported where a table is built: training needs none
    import pandas as pd

ENV_HOME = "CNNVIZ_HOME"
ENV_THREADS = "CNNVIZ_THREADS"  # torch CPU threads for training (e.g. 1 on a busy machine)
SCHEMA_VERSION = 1
APP_ID = "cnnviz-run-store"
STATUSES = ("queued", "running", "finished", "stopped", "failed", "interrupted")
LIVE = ("queued", "running")
HEARTBEAT_S = 1.0
STALE_S = 60.0  # a heartbeat older than this means the owner is gone (other hosts, hung pids)
HOST = socket.gethostname()
_LIVE_TOKENS: set[str] = set()  # managers alive in this process


class StoreError(RuntimeError):
    """The run store cannot be used (older/newer/foreign schema, damaged file); says what to do."""


class CheckpointError(RuntimeError):
    """A checkpoint file is missing or unreadable; the message names it."""


def default_home() -> Path:
    """``$CNNVIZ_HOME``, else ``~/.local/share/cnnviz`` (outside the source tree)."""
    env = os.environ.get(ENV_HOME)
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fmt_time(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


class RunStore:
    """SQLite (WAL) ``runs.sqlite`` plus ``checkpoints/`` under ``root``.

    Raises:
        StoreError: the folder holds a store from another version or something else.
    """

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_home()
        self.checkpoints = self.root / "checkpoints"
        try:
            self.checkpoints.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the run store folder {self.root}: {exc}") from exc
        self.path = self.root / "runs.sqlite"
        self._lock = threading.RLock()
        self._last_reap = 0.0
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=10
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The run store {self.path} is damaged or not a cnnviz store ({exc}). "
                f"Move it away or point {ENV_HOME} at another folder."
            ) from exc
        self.reap()

    # -- schema ---------------------------------------------------------------------------
    def _check_schema(self) -> None:
        with self._lock:
            tables = {
                r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                self._db.executescript(SCHEMA)
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("app", APP_ID), ("schema_version", str(SCHEMA_VERSION))],
                )
                return
            meta = {}
            if "meta" in tables:
                meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("app") != APP_ID:
                raise StoreError(
                    f"{self.path} is not a cnnviz run store. Point {ENV_HOME} at an empty "
                    "folder or move the file away."
                )
            version = int(meta.get("schema_version", "0"))
            if version < SCHEMA_VERSION:
                raise StoreError(
                    f"The run store in {self.root} comes from an older cnnviz (schema "
                    f"{version}, this version needs {SCHEMA_VERSION}). Move the folder away "
                    f"(your old runs stay in it) or set {ENV_HOME} to a new folder."
                )
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The run store in {self.root} comes from a newer cnnviz (schema {version}, "
                    f"this version reads {SCHEMA_VERSION}). Update cnnviz or set {ENV_HOME} "
                    "to another folder."
                )

    def _q(self, sql: str, args=()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _x(self, sql: str, args=()) -> None:
        with self._lock:
            self._db.execute(sql, args)

    # -- writing --------------------------------------------------------------------------
    def create(
        self,
        config: RunConfig,
        name: str | None = None,
        group: str | None = None,
        preset: str | None = None,
        owner_token: str | None = None,
        status: str = "queued",
    ) -> str:
        """Insert a new run and return its id."""
        run_id = uuid.uuid4().hex[:10]
        now = time.time()
        self._x(
            "INSERT INTO runs (run_id, name, grp, preset, family, status, config, num_epochs,"
            " created, owner_host, owner_pid, owner_token, heartbeat)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                name or preset or config.spec.family,
                group,
                preset,
                config.spec.family,
                status,
                json.dumps(config.to_dict()),
                config.num_epochs,
                now,
                HOST,
                os.getpid(),
                owner_token,
                now,
            ),
        )
        return run_id

    def set_status(self, run_id: str, status: str, error: str | None = None) -> None:
        assert status in STATUSES, status
        now = time.time()
        if status == "running":
            self._x("UPDATE runs SET status=?, started=?, heartbeat=? WHERE run_id=?",
                    (status, now, now, run_id))  # fmt: skip
        elif status in LIVE:
            self._x("UPDATE runs SET status=? WHERE run_id=?", (status, run_id))
        else:
            self._x(
                "UPDATE runs SET status=?, finished=?, error=COALESCE(?, error), progress=NULL"
                " WHERE run_id=?",
                (status, now, error, run_id),
            )

    def set_notice(self, run_id: str, notice: str) -> None:
        self._x("UPDATE runs SET notice=? WHERE run_id=?", (notice, run_id))

    def set_device(self, run_id: str, device: str) -> None:
        self._x("UPDATE runs SET device=? WHERE run_id=?", (device, run_id))

    def add_epoch(self, run_id: str, record: dict) -> None:
        """Commit one epoch's metrics (autocommit: it survives a crash right after)."""
        self._x(
            "INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?,?,?)",
            (run_id, *[record.get(c) for c in METRIC_COLUMNS]),
        )

    def heartbeat(self, run_ids: list[str], progress: dict[str, dict] | None = None) -> set[str]:
        """Refresh the heartbeat (and progress) of live runs; returns those asked to stop."""
        now = time.time()
        progress = progress or {}
        with self._lock:
            for rid in run_ids:
                p = progress.get(rid)
                self._db.execute(
                    "UPDATE runs SET heartbeat=?, progress=COALESCE(?, progress) WHERE run_id=?",
                    (now, json.dumps(p) if p else None, rid),
                )
            if not run_ids:
                return set()
            marks = ",".join("?" * len(run_ids))
            rows = self._db.execute(
                f"SELECT run_id FROM runs WHERE stop_requested=1 AND run_id IN ({marks})",
                run_ids,
            ).fetchall()
        return {r[0] for r in rows}

    def request_stop(self, run_id: str) -> None:
        """Ask whichever process owns the run to stop it (seen within one heartbeat)."""
        self._x("UPDATE runs SET stop_requested=1 WHERE run_id=?", (run_id,))

    def _write_tensors(
        self, path: Path, run_id: str, tensors: dict[str, torch.Tensor], **metadata: str
    ) -> Path:
        """safetensors, atomically: a crash never leaves half a file."""
        from safetensors.torch import save_file

        tmp = path.with_suffix(".tmp")
        save_file(tensors, str(tmp), metadata={"run_id": run_id, "format": "pt", **metadata})
        os.replace(tmp, path)
        return path

    @staticmethod
    def _write_bytes(path: Path, data: bytes) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def _read_tensors(self, path: Path, what: str, hint: str = "") -> dict[str, torch.Tensor]:
        """Tensors only (no pickle is ever executed); {} when the file does not exist.

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors.
        """
        from safetensors.torch import load_file

        if not path.exists():
            return {}
        try:
            return load_file(str(path), device="cpu")
        except Exception as exc:  # SafetensorError, OSError, ValueError …
            raise CheckpointError(
                f"The {what} {path.name} cannot be read ({type(exc).__name__}: {exc}).{hint}"
            ) from exc

    def save_state_dict(
        self, run_id: str, state_dict: dict[str, torch.Tensor], status: str | None = None
    ) -> Path:
        """Write the weights as safetensors, atomically (a crash never leaves half a file), with
        the run described in the metadata as it stands (``status``: the one it is about to
        take, else the stored one) and its first-layer snapshots, so the file alone can be
        imported elsewhere."""
        tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
        rows = self._q(
            "SELECT name, grp, preset, status, config, created, device FROM runs WHERE run_id=?",
            (run_id,),
        )
        meta = {}
        if rows:
            name, grp, preset, stored, config, created, device = rows[0]
            metrics = self.metrics_rows(run_id)
            config = RunConfig.from_dict(json.loads(config))
            meta[RUN_KEY] = describe(
                run_id, name, grp, preset, status or stored, config, created, device, metrics
            )
            if (snapshots := self.snapshots_path(run_id)).exists():
                meta[EPOCHS_KEY] = encode_snapshots(snapshots.read_bytes())
        return self._write_tensors(self.checkpoint_path(run_id), run_id, tensors, **meta)

    def import_run(self, data: bytes, name: str = "upload") -> tuple[str, bool]:
        """Add the run a checkpoint file describes (:mod:`cnnviz.runfile`): its metrics, its
        weights and its first-layer snapshots (if the file has none, epoch 0, the seeded init,
        and the last epoch are rebuilt). A file saved while its run still trained comes in as
        "interrupted".

        Returns:
            (run_id, added): added is False when the store already holds this run.

        Raises:
            RunFileError: the file is not a cnnviz run, or is damaged; nothing was written.
        """
        run = read_run_file(data, name)
        if self.exists(run.run_id):
            return run.run_id, False
        status = run.status if run.status in FINAL else "interrupted"
        error = None
        if status not in FINAL:
            error = (
                f"Imported from a file saved after epoch {len(run.metrics)} while the run was "
                f"{run.status}; its finished epochs are kept."
            )
        rebuilt = {}  # without snapshots in the file: the seeded init and the last epoch
        if run.snapshots is None:
            net = build_net(run.config)  # seconds for VGG-11: only when needed
            rebuilt[0] = first_stage_state(net)
            net.load_state_dict(run.tensors)  # names, shapes and dtypes were checked
            if run.metrics:
                rebuilt[len(run.metrics)] = first_stage_state(net)
        rid, config = run.run_id, run.config
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO runs (run_id, name, grp, preset, family, status, config,"
                    " num_epochs, created, finished, error, notice, device)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        rid, run.name, run.group, run.preset, config.spec.family, status,
                        json.dumps(config.to_dict()), config.num_epochs, run.created,
                        time.time(), error, f"Imported from {name}.", run.device,
                    ),
                )  # fmt: skip
                self._db.executemany(
                    "INSERT INTO metrics VALUES (?,?,?,?,?,?,?,?)",
                    [(rid, *[m[c] for c in METRIC_COLUMNS]) for m in run.metrics],
                )
                if run.snapshots is not None:
                    self._write_bytes(self.snapshots_path(rid), run.snapshots)
                for epoch, state in rebuilt.items():
                    self.save_snapshot(rid, epoch, state)
                if status == run.status and run.snapshots is not None:
                    self._write_bytes(self.checkpoint_path(rid), data)  # checked, and current
                else:  # the description changes: written anew
                    self.save_state_dict(rid, run.tensors)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self.checkpoint_path(rid).unlink(missing_ok=True)
                self.snapshots_path(rid).unlink(missing_ok=True)
                raise
        return rid, True

    def delete(self, run_id: str) -> None:
        self._x("DELETE FROM metrics WHERE run_id=?", (run_id,))
        self._x("DELETE FROM runs WHERE run_id=?", (run_id,))
        self.checkpoint_path(run_id).unlink(missing_ok=True)
        self.snapshots_path(run_id).unlink(missing_ok=True)

    # -- the first layer after every epoch (to scrub through training) -----------------------

    def snapshots_path(self, run_id: str) -> Path:
        return self.checkpoints / f"{run_id}.epochs.safetensors"

    def _read_snapshots(self, run_id: str) -> dict[str, torch.Tensor]:
        return self._read_tensors(self.snapshots_path(run_id), "epoch snapshots")

    def save_snapshot(self, run_id: str, epoch: int, tensors: dict[str, torch.Tensor]) -> None:
        """Add the first layer's state after ``epoch`` (0: before training) to the run's
        snapshot file, atomically; a few kilobytes per epoch."""
        try:
            all_tensors = self._read_snapshots(run_id)
        except CheckpointError:
            all_tensors = {}  # a damaged file is replaced, not extended
        all_tensors.update({f"epoch{epoch}/{k}": v.contiguous() for k, v in tensors.items()})
        self._write_tensors(self.snapshots_path(run_id), run_id, all_tensors)

    def snapshot_epochs(self, run_id: str) -> list[int]:
        """The epochs with a first-layer snapshot, ascending ([] for runs from before them)."""
        from safetensors import safe_open

        path = self.snapshots_path(run_id)
        if not path.exists():
            return []
        try:
            with safe_open(str(path), framework="pt") as f:
                keys = list(f.keys())
        except Exception:
            return []
        return sorted({int(k.split("/", 1)[0].removeprefix("epoch")) for k in keys})

    def load_snapshot(self, run_id: str, epoch: int) -> dict[str, torch.Tensor] | None:
        """The first layer's state after ``epoch``, or None if there is none."""
        prefix = f"epoch{epoch}/"
        got = {
            k.removeprefix(prefix): v
            for k, v in self._read_snapshots(run_id).items()
            if k.startswith(prefix)
        }
        return got or None

    # -- recovery -------------------------------------------------------------------------
    def _owner_gone(self, host, pid, token, heartbeat, now) -> bool:
        if heartbeat is None or now - heartbeat > STALE_S:
            return True
        if host != HOST or pid is None:
            return False
        if pid == os.getpid():
            return token not in _LIVE_TOKENS
        return not _pid_alive(pid)

    def reap(self) -> list[str]:
        """Mark runs whose owner process is gone as interrupted; returns their ids."""
        now = time.time()
        self._last_reap = now
        rows = self._q(
            "SELECT run_id, owner_host, owner_pid, owner_token, heartbeat FROM runs"
            " WHERE status IN ('queued', 'running')"
        )
        gone = [r[0] for r in rows if self._owner_gone(*r[1:], now)]
        for rid in gone:
            self.set_status(
                rid,
                "interrupted",
                "The process running it ended (server restart or crash); "
                "the finished epochs are kept.",
            )
        return gone

    # -- reading --------------------------------------------------------------------------
    def list_runs(self) -> pd.DataFrame:
        """All runs, newest first, one row each with their best and last validation accuracy."""
        if time.time() - self._last_reap > 5:
            self.reap()
        rows = self._q(
            "SELECT r.run_id, r.name, r.grp, r.status, r.family, r.preset,"
            " COUNT(m.epoch), r.num_epochs, MAX(m.val_acc),"
            " (SELECT val_acc FROM metrics WHERE run_id=r.run_id ORDER BY epoch DESC LIMIT 1),"
            " COALESCE(SUM(m.seconds), 0), r.created, r.device, r.error,"
            " (SELECT examples_per_s FROM metrics WHERE run_id=r.run_id"
            "  ORDER BY epoch DESC LIMIT 1)"
            " FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id"
            " GROUP BY r.run_id ORDER BY r.created DESC"
        )
        cols = [
            "run_id", "name", "group", "status", "family", "preset", "epochs_done",
            "num_epochs", "best_val_acc", "final_val_acc", "seconds", "created", "device",
            "error", "examples_per_s",
        ]  # fmt: skip
        import pandas as pd

        df = pd.DataFrame(rows, columns=cols)
        df["created"] = [_fmt_time(t) for t in df["created"]]
        return df

    def get(self, run_id: str) -> RunRecord:
        """The run with this id.

        Raises:
            KeyError: no such run.
        """
        rows = self._q(
            "SELECT run_id, name, grp, status, config, created, error, preset, notice, device,"
            " (SELECT COUNT(*) FROM metrics WHERE run_id=runs.run_id)"
            " FROM runs WHERE run_id=?",
            (run_id,),
        )
        if not rows:
            raise KeyError(f"No run {run_id!r} in {self.root}")
        r = rows[0]
        return RunRecord(
            run_id=r[0],
            name=r[1],
            group=r[2],
            status=r[3],
            config=RunConfig.from_dict(json.loads(r[4])),
            created=_fmt_time(r[5]),
            error=r[6],
            preset=r[7],
            notice=r[8],
            device=r[9],
            epochs_done=int(r[10]),
        )

    def exists(self, run_id: str) -> bool:
        return bool(self._q("SELECT 1 FROM runs WHERE run_id=?", (run_id,)))

    def status(self, run_id: str) -> str:
        rows = self._q("SELECT status FROM runs WHERE run_id=?", (run_id,))
        if not rows:
            raise KeyError(f"No run {run_id!r} in {self.root}")
        return rows[0][0]

    def stored_progress(self, run_id: str) -> dict | None:
        rows = self._q("SELECT progress FROM runs WHERE run_id=?", (run_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

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

    def checkpoint_path(self, run_id: str) -> Path:
        return self.checkpoints / f"{run_id}.safetensors"

    def load_state_dict(self, run_id: str) -> dict[str, torch.Tensor] | None:
        """The run's weights, read as tensors only (safetensors), or None if it has none.

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors.
        """
        hint = " It may be damaged or not a safetensors file; retrain the run to get it back."
        return self._read_tensors(self.checkpoint_path(run_id), "checkpoint", hint) or None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def execute(
    store: RunStore,
    run_id: str,
    config: RunConfig,
    stop_event: threading.Event | None = None,
    on_progress=None,
    data=None,
) -> Iterator[dict]:
    """Run ``config`` as run ``run_id``, storing every epoch as it comes, and yield the records.

    Used by the manager's workers and by the CLI (in its own thread). Errors end the run as
    "failed" with a message; nothing is raised.
    """
    store.set_status(run_id, "running")
    threads = os.environ.get(ENV_THREADS)
    if threads and threads.isdigit() and int(threads) > 0:
        torch.set_num_threads(int(threads))  # in the training thread itself
    try:
        net = build_net(config)
        store.save_snapshot(run_id, 0, first_stage_state(net))  # before training
        for rec in train(config, data=data, stop_event=stop_event, net=net):
            kind = rec["kind"]
            if kind == "progress":
                if on_progress is not None:
                    on_progress(rec)
            elif kind == "notice":
                store.set_notice(run_id, rec["message"])
            elif kind == "epoch":
                store.add_epoch(run_id, rec)
                # Between epochs, in the training thread: the weights are consistent. The
                # snapshot first: the checkpoint carries the snapshots (a portable run).
                store.save_snapshot(run_id, rec["epoch"], first_stage_state(net))
                store.save_state_dict(run_id, net.state_dict())
            elif kind == "done":
                store.set_device(run_id, rec["device"])
                status = "stopped" if rec["stopped"] else "finished"
                store.save_state_dict(run_id, rec["state_dict"], status)
                store.set_status(run_id, status)
            yield rec
    except TrainingError as exc:
        store.set_status(run_id, "failed", str(exc))
        yield {"kind": "failed", "message": str(exc)}
    except Exception as exc:  # the app must live on: the run fails with a message
        msg = f"{type(exc).__name__}: {exc}"
        store.set_status(run_id, "failed", msg)
        yield {"kind": "failed", "message": msg}


class RunManager:
    """Runs configs on a bounded pool of worker threads over one :class:`RunStore`.

    Workers start lazily; runs beyond ``max_workers`` wait as "queued". Progress within the
    current epoch is kept in memory (and in the store once a second, with the heartbeat).
    """

    def __init__(self, store: RunStore, max_workers: int = 1):
        self.store = store
        self.max_workers = max(1, int(max_workers))
        self.token = uuid.uuid4().hex
        _LIVE_TOKENS.add(self.token)
        self._queue: queue.Queue[tuple[str, RunConfig]] = queue.Queue()
        self._events: dict[str, threading.Event] = {}
        self._progress: dict[str, dict] = {}
        self._history: dict[str, list[tuple[float, float]]] = {}
        self._live: set[str] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._beat: threading.Thread | None = None
        self._closed = threading.Event()

    def _ensure_threads(self, workers: bool = True) -> None:
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while workers and len(self._threads) < self.max_workers:
                t = threading.Thread(target=self._worker, name="cnnviz-run-worker", daemon=True)
                t.start()
                self._threads.append(t)
            if self._beat is None or not self._beat.is_alive():
                self._beat = threading.Thread(
                    target=self._heartbeat, name="cnnviz-run-heartbeat", daemon=True
                )
                self._beat.start()

    def submit(
        self,
        config: RunConfig,
        name: str | None = None,
        group: str | None = None,
        preset: str | None = None,
    ) -> str:
        """Store the run as queued and hand it to a worker; returns its id.

        Raises:
            ValueError: the config cannot train (the message says why).
        """
        config.validate()
        run_id = self.store.create(config, name, group, preset, owner_token=self.token)
        self._register(run_id)
        self._queue.put((run_id, config))
        self._ensure_threads()
        return run_id

    def stop(self, run_id: str) -> None:
        """Stop a queued or running run; a running one ends within a second."""
        with self._lock:
            ev = self._events.get(run_id)
        if ev is not None:
            ev.set()
            if self.store.status(run_id) == "queued":
                self.store.set_status(run_id, "stopped")
        else:  # owned by another process (a CLI run): ask through the store
            self.store.request_stop(run_id)

    def status(self, run_id: str) -> str:
        return self.store.status(run_id)

    def progress(self, run_id: str) -> dict | None:
        """The latest progress record of a running run (None once it ended)."""
        with self._lock:
            if run_id in self._progress:
                return dict(self._progress[run_id])
        return self.store.stored_progress(run_id)

    def progress_history(self, run_id: str) -> list[tuple[float, float]]:
        """(fractional epoch, running train loss) points of this process's run, for curves."""
        with self._lock:
            return list(self._history.get(run_id, []))

    def active(self) -> list[str]:
        """Runs of this manager that are queued or running."""
        with self._lock:
            return sorted(self._live)

    def wait(self, run_id: str, timeout: float | None = None) -> str:
        """Block until the run has ended (for tests and scripts); returns its status."""
        deadline = None if timeout is None else time.time() + timeout
        while True:
            s = self.store.status(run_id)
            if s not in LIVE:
                return s
            if deadline is not None and time.time() > deadline:
                return s
            time.sleep(0.05)

    def _register(self, run_id: str) -> threading.Event:
        with self._lock:
            ev = self._events[run_id] = threading.Event()
            self._live.add(run_id)
        return ev

    def _on_progress(self, run_id: str, rec: dict) -> None:
        with self._lock:
            self._progress[run_id] = rec
            x = rec["epoch"] - 1 + rec["batch"] / rec["num_batches"]
            self._history.setdefault(run_id, []).append((x, rec["loss"]))

    def _run(self, run_id: str, config: RunConfig, ev: threading.Event) -> Iterator[dict]:
        try:
            for rec in execute(
                self.store, run_id, config, ev, lambda r: self._on_progress(run_id, r)
            ):
                if rec["kind"] == "epoch":
                    with self._lock:
                        self._history.setdefault(run_id, []).append(
                            (float(rec["epoch"]), rec["train_loss"])
                        )
                yield rec
        finally:
            with self._lock:
                self._live.discard(run_id)
                self._progress.pop(run_id, None)

    def run_here(
        self,
        config: RunConfig,
        name: str | None = None,
        group: str | None = None,
        preset: str | None = None,
    ) -> tuple[str, Iterator[dict]]:
        """Run in the calling thread (the CLI): (run_id, records), stored and heart-beaten
        like a worker's run, and stoppable from the page through the store."""
        config.validate()
        run_id = self.store.create(config, name, group, preset, owner_token=self.token)
        ev = self._register(run_id)
        self._ensure_threads(workers=False)
        return run_id, self._run(run_id, config, ev)

    def _worker(self) -> None:
        while not self._closed.is_set():
            try:
                run_id, config = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            with self._lock:
                ev = self._events[run_id]
            try:
                if self.store.status(run_id) != "queued":
                    continue
                if ev.is_set():
                    self.store.set_status(run_id, "stopped")
                    continue

                for _rec in self._run(run_id, config, ev):
                    pass
            except Exception:  # never let a worker die: the run is marked failed by execute
                pass
            finally:
                with self._lock:
                    self._live.discard(run_id)
                    self._progress.pop(run_id, None)
                self._queue.task_done()

    def _heartbeat(self) -> None:
        while not self._closed.wait(HEARTBEAT_S):
            with self._lock:
                live = sorted(self._live)
                prog = {k: dict(v) for k, v in self._progress.items()}
            try:
                for rid in self.store.heartbeat(live, prog):
                    with self._lock:
                        ev = self._events.get(rid)
                    if ev is not None:
                        ev.set()
            except sqlite3.Error:
                pass  # a busy database: try again next beat

    def shutdown(self) -> None:
        """Stop every run of this manager and its threads (tests; the server just exits)."""
        for rid in self.active():
            self.stop(rid)
        self._closed.set()
        for t in self._threads:
            t.join(timeout=5)
        _LIVE_TOKENS.discard(self.token)


_managers: dict[Path, RunManager] = {}
_managers_lock = threading.Lock()


def get_manager() -> RunManager:
    """The process-wide manager over ``RunStore(default_home())`` (one per store folder).

    ``$CNNVIZ_WORKERS`` sets how many runs train at once (default 1: on a CPU, parallel runs
    only share the same cores).
    """
    home = default_home().resolve()
    with _managers_lock:
        if home not in _managers:
            workers = int(os.environ.get("CNNVIZ_WORKERS", "1") or 1)
            _managers[home] = RunManager(RunStore(home), max_workers=workers)
        return _managers[home]
