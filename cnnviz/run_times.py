"""How long runs take on this server, as the pages and the queue show it: a new run's estimate
(from earlier runs here, the workers' speed test, or built-in numbers), an evaluation's, an
ablation group's, and what is left of a live run, including its wait in the queue.

The arithmetic lives in :mod:`cnnviz.estimates`; this module reads what it needs from a run
manager and its store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnviz.device import pick_device
from cnnviz.estimates import SPEED_KEY, estimate_run, evaluation_seconds, speeds_from

if TYPE_CHECKING:
    from cnnviz.config import RunConfig
    from cnnviz.estimates import Estimate
    from cnnviz.runs.manager import RunManager
    from cnnviz.runs.store import RunRecord


def _speeds(mgr: RunManager, device: str):
    from cnnviz.runs.store import HOST

    return speeds_from(mgr.store.setting(SPEED_KEY.format(host=HOST, device=device)), device)


def run_estimate(mgr: RunManager, config: RunConfig) -> Estimate:
    """How long ``config`` will take here: from earlier runs of the same network on this
    machine, else from the workers' speed test, else built-in numbers."""
    device = pick_device(config.device)[0].type
    return estimate_run(config, device, _speeds(mgr, device), mgr.store.history(config, device))


def evaluation_estimate(mgr: RunManager, spec, n: int) -> float:
    """Seconds to evaluate ``n`` test images with ``spec``'s network here, on the CPU (where
    the page computes a missing confusion matrix)."""
    return evaluation_seconds(spec, n, _speeds(mgr, "cpu"))


def group_estimate(mgr: RunManager, configs: list[RunConfig]):
    """The same for an ablation group, its runs one after another."""
    from cnnviz.ablation import estimate_group

    device = pick_device(configs[0].device)[0].type
    return estimate_group(
        configs, device, _speeds(mgr, device), lambda c: mgr.store.history(c, device)
    )


def time_left(mgr: RunManager, rec: RunRecord) -> Estimate | None:
    """What is left of a live run: measured by the run itself once it trains; for a queued
    run, the wait until it starts: what is left of the runs training now and the runs ahead
    of it, on the slots as they free (:meth:`RunManager.time_left`; None: nothing to wait
    for)."""
    from cnnviz.runs.store import StoreError

    try:
        return mgr.time_left(rec.run_id)
    except (KeyError, StoreError):  # deleted meanwhile, or the store is busy: no estimate
        return None
