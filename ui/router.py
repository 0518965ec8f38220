"""Make a deep link on a freshly started server go through app.py's router.

Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until the first
``st.navigation`` call, a request for ``/pooling`` runs ``pages/pooling.py`` on its own, with
an auto-generated sidebar and without ``app.py`` (no page config, no shared sidebar). The
first page to import :mod:`ui` in that state switches the legacy mode off and reruns, so the
same request is served by ``app.py``'s ``st.navigation`` like every later one.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_router() -> None:
    if PagesManager.uses_pages_directory and st.runtime.exists():
        PagesManager.uses_pages_directory = False
        st.rerun()
