"""cnnviz router: page config, navigation in sections, the shared sidebar, then the page."""

from pathlib import Path

import streamlit as st

from cnnviz.config import check_environment
from ui import error_boundary, settings, sidebar_ui
from ui.classroom import note_page
from ui.common import collect_young, freeze_heap, keep_theme_message
from ui.follow import lead
from ui.i18n import texts
from ui.live_chart import declare as declare_live_chart

# The tab icon is a file served by this server: a :material/…: icon would be fetched from
# Google's font server on every page load, and fail in an offline classroom.
ICON = Path(__file__).parent / "ui" / "icon.png"
NAV = texts("nav")  # titles in the session's language (the sidebar's switch, or ?lang=)
st.set_page_config(page_title=NAV["app_title"], page_icon=str(ICON), layout="wide")
settings()
check_environment()  # a refused CNNVIZ_ value or unknown CNNVIZ_ name: one log line, once
declare_live_chart()  # this process serves the live charts' frame before it draws any page
freeze_heap()  # keeps the collection Streamlit runs after each rerun cheap
keep_theme_message()  # Streamlit's start-of-run message: its theme is made once

PAGES = {
    "": [
        st.Page("app_pages/home.py", title=NAV["home"], icon=":material/home:", default=True),
        st.Page("app_pages/classroom.py", title=NAV["classroom"], icon=":material/school:"),
    ],
    NAV["sec_conv"]: [
        st.Page("app_pages/why_conv.py", title=NAV["why_conv"], icon=":material/lightbulb:"),
        st.Page("app_pages/cross_correlation.py", title=NAV["xcorr"], icon=":material/grid_on:"),
        st.Page(
            "app_pages/learn_kernel.py", title=NAV["learn_kernel"], icon=":material/model_training:"
        ),
        st.Page(
            "app_pages/padding_stride.py", title=NAV["padding"], icon=":material/aspect_ratio:"
        ),
        st.Page("app_pages/channels.py", title=NAV["channels"], icon=":material/layers:"),
        st.Page("app_pages/pooling.py", title=NAV["pooling"], icon=":material/compress:"),
    ],
    NAV["sec_arch"]: [
        st.Page("app_pages/builder.py", title=NAV["builder"], icon=":material/account_tree:"),
        st.Page("app_pages/batch_norm.py", title=NAV["batch_norm"], icon=":material/tune:"),
    ],
    NAV["sec_train"]: [
        st.Page("app_pages/data.py", title=NAV["data"], icon=":material/checkroom:"),
        st.Page("app_pages/training.py", title=NAV["training"], icon=":material/monitoring:"),
        st.Page("app_pages/insight.py", title=NAV["insight"], icon=":material/psychology:"),
        st.Page("app_pages/ablation.py", title=NAV["ablation"], icon=":material/compare:"),
        st.Page("app_pages/board.py", title=NAV["board"], icon=":material/groups:"),
    ],
}

# expanded: with 13 pages a collapsed menu hides the last ones (Training, the lab) behind
# "View more", and the page being shown with them
page = st.navigation(PAGES, expanded=True)
sidebar_ui()
note_page(page.url_path)  # a seated student's page and time, for the teacher's roster
with error_boundary(page.title):
    page.run()
    lead()  # the teacher's page, when it moved, is where a class that follows goes
collect_young()  # the run's cyclic garbage (Streamlit's full collection after it is off)
