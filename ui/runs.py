"""The run manager as the pages see it: one per server process, or a message."""

from __future__ import annotations

import streamlit as st

from cnnviz.runs import RunManager, StoreError, default_home, get_manager


@st.cache_resource(show_spinner=False)
def _manager(home: str) -> RunManager:
    return get_manager()


def manager_or_message() -> RunManager | None:
    """The process-wide run manager, or None after a clear message (e.g. an old store)."""
    try:
        return _manager(str(default_home()))
    except StoreError as exc:
        st.error(str(exc), icon=":material/database:")
        return None
