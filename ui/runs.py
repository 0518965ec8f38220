"""Runs as the pages see them: the server's manager (or a message), which runs this user may
see and control, and how long a run will take here."""

from __future__ import annotations

import logging
import threading

import pandas as pd
import streamlit as st

from cnnviz import classroom as C
from cnnviz import data as cdata
from cnnviz.runs import RunManager, StoreError, default_home, get_manager
from ui.identity import share_links

log = logging.getLogger("cnnviz")


@st.cache_resource(show_spinner=False)
def _manager(home: str) -> RunManager:
    return get_manager()


@st.cache_resource(show_spinner=False)
def warm_up_in_background() -> bool:
    """Only when runs train in this process (``CNNVIZ_EXECUTOR=thread``): a daemon thread pays
    a first run's start-up costs (imports, CUDA) while the user reads the form. Worker
    processes warm themselves up."""
    from cnnviz.train import warm_up

    def run():
        try:
            warm_up()
        except Exception:  # only an optimisation: the run itself reports real problems
            log.warning("warm-up failed", exc_info=True)

    threading.Thread(target=run, name="cnnviz-warm-up", daemon=True).start()
    return True


@st.cache_resource(show_spinner=False)
def preload_in_background() -> bool:
    """Once per server, when a runs page first opens: a daemon thread reads Fashion-MNIST
    (shared with :func:`ui.common.load_data`) and imports what a run's first-layer view
    needs, so the rerun after the first Start (which shows that view) does not pay ~2 s for
    them before the live curve's refresh can begin."""

    def run():
        try:
            cdata.load_fashion_mnist()
            import cnnviz.ablation
            import cnnviz.features  # noqa: F401
        except (cdata.DataNotFoundError, cdata.DataFormatError, OSError):
            pass  # the page says what is wrong when it needs the data

    threading.Thread(target=run, name="cnnviz-preload", daemon=True).start()
    return True


def manager_or_message() -> RunManager | None:
    """The process-wide run manager, or None after a clear message (e.g. an old store)."""
    try:
        mgr = _manager(str(default_home()))
    except StoreError as exc:
        st.error(str(exc), icon=":material/database:")
        return None
    if mgr.executor.kind == "thread":
        warm_up_in_background()
    preload_in_background()
    if error := getattr(mgr.executor, "error", None):  # Ray could not be reached
        st.error(error, icon=":material/cloud_off:")
    return mgr


def visible_runs(mgr: RunManager, user: C.User):
    """The runs table as this user may see it: every run for the teacher; for a student their
    own runs first, then those pinned for the class and the class's own (CLI, imports)."""
    df = mgr.store.list_runs()
    if user.is_teacher:
        return df
    mine = df[df["user"] == user.id]
    shared = df[(df["user"] != user.id) & (df["pinned"] | df["user"].isna())]
    return pd.concat([mine, shared])


def may_view(mgr: RunManager, user: C.User, run_id: str) -> bool:
    owner, pinned = mgr.store.owner(run_id)
    return C.can_view(user, owner, pinned, share_links(mgr.store))


def may_control(mgr: RunManager, user: C.User, run_id: str) -> bool:
    try:
        return C.can_control(user, mgr.store.owner(run_id)[0])
    except KeyError:
        return False


def _speeds(mgr: RunManager, device: str):
    from cnnviz.estimates import SPEED_KEY, speeds_from
    from cnnviz.runs import HOST

    return speeds_from(mgr.store.setting(SPEED_KEY.format(host=HOST, device=device)), device)


def run_estimate(mgr: RunManager, config):
    """How long ``config`` will take here (an ``Estimate``): from earlier runs of the same
    network on this machine, else from the workers' speed test, else built-in numbers."""
    from cnnviz.device import pick_device
    from cnnviz.estimates import estimate_run

    device = pick_device(config.device)[0].type
    return estimate_run(config, device, _speeds(mgr, device), mgr.store.history(config, device))


def evaluation_estimate(mgr: RunManager, spec, n: int) -> float:
    """Seconds to evaluate ``n`` test images with ``spec``'s network here, on the CPU (where
    the page computes a missing confusion matrix)."""
    from cnnviz.estimates import evaluation_seconds

    return evaluation_seconds(spec, n, _speeds(mgr, "cpu"))


def group_estimate(mgr: RunManager, configs):
    """The same for an ablation group, its runs one after another."""
    from cnnviz.ablation import estimate_group
    from cnnviz.device import pick_device

    device = pick_device(configs[0].device)[0].type
    return estimate_group(
        configs, device, _speeds(mgr, device), lambda c: mgr.store.history(c, device)
    )


def time_left(mgr: RunManager, rec):
    """What is left of a live run (an ``Estimate``): measured by the run itself once it
    trains; for a queued run, the wait for the runs ahead of it as well."""
    from functools import reduce

    from cnnviz.estimates import live_estimate

    def left(r):
        return live_estimate(
            r.config, r.started, mgr.store.metrics_rows(r.run_id),
            mgr.store.stored_progress(r.run_id), run_estimate(mgr, r.config),
        )  # fmt: skip

    if rec.status == "running":
        return left(rec)
    order = mgr.queue_positions()
    ahead = [rid for rid, pos in order.items() if pos < order.get(rec.run_id, 0)]
    running = mgr.store.live_runs(mgr.token)
    parts = [left(mgr.store.get(rid)) for rid in running if mgr.status(rid) == "running"]
    parts += [run_estimate(mgr, mgr.store.get(rid).config) for rid in ahead]
    if not parts:
        return None
    wait = reduce(lambda a, b: a + b, parts)
    slots = max(1, mgr.executor.slots)
    return type(wait)(wait.seconds / slots, wait.low / slots, wait.high / slots, wait.basis)
