"""The run manager as the pages see it: one per server process, or a message."""

from __future__ import annotations

import threading

import streamlit as st

from cnnviz.runs import RunManager, StoreError, default_home, get_manager


@st.cache_resource(show_spinner=False)
def _manager(home: str) -> RunManager:
    return get_manager()


@st.cache_resource(show_spinner=False)
def warm_up_in_background() -> bool:
    """Once per server, when a page that trains first opens: a daemon thread pays a first
    run's start-up costs (imports, CUDA) while the user reads the form, so the first Start
    draws its first point sooner. (Not at app start: it would slow the first page down.)"""
    from cnnviz.train import warm_up

    def run():
        try:
            warm_up()
        except Exception:  # only an optimisation: the run itself reports real problems
            pass

    threading.Thread(target=run, name="cnnviz-warm-up", daemon=True).start()
    return True


def manager_or_message() -> RunManager | None:
    """The process-wide run manager, or None after a clear message (e.g. an old store)."""
    warm_up_in_background()
    try:
        return _manager(str(default_home()))
    except StoreError as exc:
        st.error(str(exc), icon=":material/database:")
        return None
