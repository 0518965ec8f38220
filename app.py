"""cnnviz router: page config, navigation in sections, the shared sidebar, then the page."""

from pathlib import Path

import streamlit as st

from ui import error_boundary, settings, sidebar_ui
from ui.common import freeze_heap

# The tab icon is a file served by this server: a :material/…: icon would be fetched from
# Google's font server on every page load, and fail in an offline classroom.
ICON = Path(__file__).parent / "ui" / "icon.png"
st.set_page_config(page_title="cnnviz — d2l chapters 7–8", page_icon=str(ICON), layout="wide")
settings()
freeze_heap()  # keeps the collection Streamlit runs after each rerun cheap

PAGES = {
    "": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Convolutions": [
        st.Page("pages/why_conv.py", title="Why convolutions (7.1)", icon=":material/lightbulb:"),
        st.Page(
            "pages/cross_correlation.py", title="Cross-correlation (7.2)", icon=":material/grid_on:"
        ),
        st.Page(
            "pages/learn_kernel.py", title="Learn a kernel (7.2)", icon=":material/model_training:"
        ),
        st.Page(
            "pages/padding_stride.py",
            title="Padding and stride (7.3)",
            icon=":material/aspect_ratio:",
        ),
        st.Page("pages/channels.py", title="Channels (7.4)", icon=":material/layers:"),
        st.Page("pages/pooling.py", title="Pooling (7.5)", icon=":material/compress:"),
    ],
    "Architectures": [
        st.Page(
            "pages/builder.py",
            title="Architecture builder (7.6, 8.2, 8.6)",
            icon=":material/account_tree:",
        ),
    ],
    "Training": [
        st.Page("pages/data.py", title="Fashion-MNIST data", icon=":material/checkroom:"),
        st.Page("pages/training.py", title="Training runs", icon=":material/monitoring:"),
        st.Page("pages/insight.py", title="What the network learned", icon=":material/psychology:"),
        st.Page("pages/ablation.py", title="Ablation lab", icon=":material/compare:"),
    ],
}

page = st.navigation(PAGES)
sidebar_ui()
with error_boundary(page.title):
    page.run()
