"""Runs as the pages see them: the server's manager (or a message) and its run service, which
decides what this user may see and do (the pages only render what it returns)."""

from __future__ import annotations

import logging
import threading

import streamlit as st

from cnnviz import data as cdata
from cnnviz.runs import RunManager, StoreError, default_home, get_manager
from cnnviz.runs.service import RunService
from ui.identity import store_and_key, teacher_check

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


def service(mgr: RunManager) -> RunService:
    """The runs through the classroom's rules (:mod:`cnnviz.runs.service`), with a teacher's
    role re-read from the store before each privileged action and each read only the role
    allows (in a fragment's own rerun, or a download made when clicked, too)."""
    return RunService(mgr, role_check=teacher_check())


def reader() -> RunService | None:
    """The runs for reading only, through the server's one store connection (no manager, so no
    workers: the builder's weights picker); None when the store cannot be opened."""
    got = store_and_key()
    return None if got is None else RunService(None, role_check=teacher_check(), store=got[0])
