"""The run manager as the pages see it: one per server process, or a message."""

from __future__ import annotations

import logging
import threading

import streamlit as st

from cnnviz.runs import RunManager, StoreError, default_home, get_manager

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


def manager_or_message() -> RunManager | None:
    """The process-wide run manager, or None after a clear message (e.g. an old store)."""
    try:
        mgr = _manager(str(default_home()))
    except StoreError as exc:
        st.error(str(exc), icon=":material/database:")
        return None
    if mgr.executor.kind == "thread":
        warm_up_in_background()
    if error := getattr(mgr.executor, "error", None):  # Ray could not be reached
        st.error(error, icon=":material/cloud_off:")
    return mgr
