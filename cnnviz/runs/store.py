"""The run store: every run's settings, status and metrics in SQLite, its files beside them.

A store is a folder (``$CNNVIZ_HOME``, else ``~/.local/share/cnnviz``): ``runs.sqlite`` (WAL:
readers never wait for the writer; one commit per epoch, so a crash loses at most the epoch in
progress), ``secret.key`` and ``checkpoints/`` (:mod:`cnnviz.runs.artifacts`), all private to
this account. Any process may open it: the web server that shows runs, the worker process that
trains one, ``python -m cnnviz``. Whatever a page draws comes from here: metrics per epoch, the
in-epoch loss points, the latest progress, the heartbeat and the stop flag. So the curve of a
run trained by a CLI, by a worker after a server restart, or on another host (through the Ray
executor's app side) is drawn alike.

No single bad row may break a listing: values are checked on the way in and read defensively
on the way out. A busy database (another process holding the write lock) is retried with
backoff before :class:`StoreBusyError` says so.

:class:`RunStore` is a thin facade over its parts, one job each:

- :mod:`~cnnviz.runs.db`: the connection, the folder, retries, the errors;
- :mod:`~cnnviz.runs.schema`: the tables and their migrations;
- :mod:`~cnnviz.runs.records`: run records and their lifecycle;
- :mod:`~cnnviz.runs.liveness`: heartbeats, reaping, the queue's books;
- :mod:`~cnnviz.runs.metrics`: metrics, live points, listings, history, analysis;
- :mod:`~cnnviz.runs.portable`: checkpoints, snapshots, run files in and out;
- :mod:`~cnnviz.runs.classdata`: the key, settings, users, teacher tokens, disk;
- :mod:`~cnnviz.runs.shared`: leases and rate-limited events, shared by server processes;
- :mod:`~cnnviz.runs.seating`: class sessions, their codes and seats;
- :mod:`~cnnviz.runs.following`: the teacher's location per class, each seat's following.
"""

from __future__ import annotations

from cnnviz.runs.classdata import ClassroomData
from cnnviz.runs.db import (
    BUSY_S,
    ENV_HOME,
    KEY_FILE,
    Connection,
    RunActiveError,
    RunDamagedError,
    RunNotFoundError,
    StoreBusyError,
    StoreError,
    default_home,
)
from cnnviz.runs.following import FollowData
from cnnviz.runs.liveness import HEARTBEAT_S, LIVE_TOKENS, STALE_S, Liveness
from cnnviz.runs.metrics import Metrics
from cnnviz.runs.portable import Portable
from cnnviz.runs.records import HOST, LIVE, REAPED, STATUSES, RunRecord, RunRecords, label
from cnnviz.runs.schema import SCHEMA, SCHEMA_VERSION, Schema
from cnnviz.runs.seating import Seating
from cnnviz.runs.shared import Shared

__all__ = [  # what the rest of cnnviz imports from here
    "BUSY_S", "ENV_HOME", "HEARTBEAT_S", "HOST", "KEY_FILE", "LIVE", "LIVE_TOKENS", "REAPED",
    "SCHEMA", "SCHEMA_VERSION", "STALE_S", "STATUSES", "RunActiveError", "RunDamagedError",
    "RunNotFoundError", "RunRecord", "RunStore", "StoreBusyError", "StoreError",
    "default_home", "label",
]  # fmt: skip


class RunStore(
    Connection, Schema, RunRecords, Liveness, Metrics, Portable, ClassroomData, Seating, FollowData,
    Shared,
):  # fmt: skip
    """SQLite (WAL) ``runs.sqlite`` plus ``checkpoints/`` under ``root``.

    Args:
        root: the store's folder (default :func:`default_home`).
        busy_s: how long a write retries while another process holds the write lock.
        clock: the time (``time.time``); tests set it instead of sleeping.

    Raises:
        StoreError: the folder holds a store from a newer version or something else.
    """
