"""Training runs that outlive a page, and train outside the web server.

- :mod:`~cnnviz.runs.store`: :class:`RunStore`, every run's settings, status, metrics, live
  curve, heartbeat and stop flag in SQLite, plus its files (:mod:`~cnnviz.runs.artifacts`).
- :mod:`~cnnviz.runs.execute`: one run from start to end, as events written to the store.
- :mod:`~cnnviz.runs.executors`: where runs train — supervised worker processes (the app's
  default, their processes started and watched by :mod:`~cnnviz.runs.supervision`), threads
  (tests, the CLI), or a Ray cluster (:mod:`~cnnviz.runs.ray_executor`).
- :mod:`~cnnviz.runs.manager`: :class:`RunManager`, the queue (round-robin across users,
  :mod:`~cnnviz.runs.queue`) and the books; its dispatcher thread
  (:mod:`~cnnviz.runs.dispatcher`) starts runs and marks the ended ones; :func:`get_manager`,
  one per server process.

Nothing here imports Streamlit: pages read the store.
"""

from cnnviz.runs.artifacts import CheckpointError
from cnnviz.runs.execute import execute
from cnnviz.runs.manager import RunManager, get_manager, make_executor
from cnnviz.runs.metrics import RunSummary
from cnnviz.runs.store import (
    HEARTBEAT_S,
    HOST,
    LIVE,
    STALE_S,
    STATUSES,
    RunActiveError,
    RunDamagedError,
    RunNotFoundError,
    RunRecord,
    RunStore,
    StoreBusyError,
    StoreError,
    default_home,
)

__all__ = [
    "HEARTBEAT_S",
    "HOST",
    "LIVE",
    "STALE_S",
    "STATUSES",
    "CheckpointError",
    "RunActiveError",
    "RunDamagedError",
    "RunManager",
    "RunNotFoundError",
    "RunRecord",
    "RunStore",
    "RunSummary",
    "StoreBusyError",
    "StoreError",
    "default_home",
    "execute",
    "get_manager",
    "make_executor",
]
