"""How many torch CPU threads a run trains on, wherever it trains: the cores this process is
given, what ``$CNNVIZ_THREADS`` or ``--threads`` sets, and the plan the Training page states."""

from __future__ import annotations

import os

ENV_THREADS = "CNNVIZ_THREADS"  # torch CPU threads for training (e.g. 1 on a busy machine)


def torch_threads(threads: int | None = None) -> None:
    """Set torch's CPU threads for training: ``threads``, else ``$CNNVIZ_THREADS``."""
    import torch

    from cnnviz.config import setting

    value = threads if threads is not None else setting(ENV_THREADS)
    if isinstance(value, int) and value > 0:
        torch.set_num_threads(value)


def cores_given() -> int:
    """The CPUs this process may run on: its affinity (``taskset``, a container's cpuset), which
    can be fewer than the machine has."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


def own_process_threads(threads: int | None = None) -> int:
    """Torch threads for a run that has its process to itself (the CLI: no web server to leave
    a core for): ``threads``, else ``$CNNVIZ_THREADS``, else every core given to the process."""
    from cnnviz.config import setting

    return threads or setting(ENV_THREADS) or cores_given()


def thread_plan(executor) -> dict:
    """How many torch threads a run of ``executor`` trains on here, and why (the Training page
    says it): ``{"threads", "cores", "workers", "why"}``. ``why`` is ``"set"``
    (``$CNNVIZ_THREADS``), ``"cluster"`` (Ray: the CPUs a run asks the cluster for), ``"here"``
    (runs in threads of the server: its torch threads), or for worker processes ``"one_core"``
    (the run shares the only core with the server), ``"two_cores"`` (one for the run, one for
    the server: measured, see ``benchmarks/watched_bench.py``) or ``"spare"`` (the cores less
    the server's one, shared by the workers)."""
    from cnnviz.config import setting

    cores, kind = cores_given(), getattr(executor, "kind", "process")
    workers = int(getattr(executor, "slots", 1) or 1)
    threads = getattr(executor, "threads", None)
    if kind == "ray":
        why = "cluster"
    elif kind == "thread":
        import torch

        threads, why = setting(ENV_THREADS) or torch.get_num_threads(), "here"
    elif setting(ENV_THREADS):
        why = "set"
    else:
        why = "one_core" if cores == 1 else "two_cores" if cores == 2 else "spare"
    return {"threads": int(threads or 1), "cores": cores, "workers": workers, "why": why}
