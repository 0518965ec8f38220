"""Streamlit helpers shared by the pages: settings with defaults, the sidebar, cached data,
the shared image picker, and a safety net that turns any error into a message.

The library (``cnnviz``) never imports Streamlit; everything Streamlit-specific lives here.
"""

from ui.common import (
    data_or_message,
    error_boundary,
    load_data,
    page_header,
    settings,
    sidebar_ui,
)
from ui.images import image_source_ui

__all__ = [
    "data_or_message",
    "error_boundary",
    "image_source_ui",
    "load_data",
    "page_header",
    "settings",
    "sidebar_ui",
]
