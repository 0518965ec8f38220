"""Settings, sidebar, cached dataset and the error boundary every page relies on."""

from __future__ import annotations

import contextlib
import logging
import traceback

import streamlit as st

from cnnviz import data as cdata
from cnnviz.device import describe_device

# A lesson widget's value lives in the URL (its key names the parameter): a reload keeps the
# lesson as it was, and a teacher can prepare a link that opens it set up (as TensorFlow
# Playground does). Drawings, uploads and edited kernel grids stay in the session.
SHARE = "query-params"
log = logging.getLogger("cnnviz")

DEFAULTS = {
    "presenter_mode": False,
    "device_choice": "auto",
}

PRESENTER_CSS = """
<style>
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stWidgetLabel"] p, [data-testid="stCaptionContainer"] {
  font-size: 1.3rem !important;
}
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] { font-size: 2.6rem !important; }
</style>
"""


def settings() -> dict:
    """Shared settings with their defaults, so a page also runs on its own (AppTest)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    return {key: st.session_state[key] for key in DEFAULTS}


@st.cache_resource(show_spinner="Reading Fashion-MNIST…")
def _load_data_cached(folder: str) -> cdata.FashionMNIST:
    return cdata.load_fashion_mnist()


def load_data() -> cdata.FashionMNIST:
    """Fashion-MNIST, read once per server and shared read-only by every session.

    Raises:
        cdata.DataNotFoundError: with the how-to message.
    """
    folder = cdata.locate()
    return _load_data_cached(str(folder))


def data_or_message() -> cdata.FashionMNIST | None:
    """The dataset, or None after showing how to get it (never a traceback)."""
    try:
        return load_data()
    except cdata.DataNotFoundError as exc:
        st.warning(str(exc), icon=":material/inventory_2:")
    except cdata.DataFormatError as exc:
        st.error(f"Fashion-MNIST was found but a file is damaged: {exc}", icon=":material/error:")
    return None


@st.cache_resource(show_spinner=False)
def _device_label() -> str:
    return describe_device()


def font_size() -> int:
    """Chart font size: bigger in presenter mode."""
    return 20 if st.session_state.get("presenter_mode") else 14


def sidebar_ui() -> None:
    """The shared sidebar: device, dataset, presenter mode."""
    s = settings()
    with st.sidebar:
        st.caption(f"**Device:** {_device_label()}")
        found, line = cdata.dataset_status()
        if found:
            st.caption(f"**Data:** :material/check_circle: {line}")
        else:
            st.caption("**Data:** :material/warning: Fashion-MNIST not found — see the Data page")
        st.toggle(
            "Presenter mode",
            key="presenter_mode",
            help="Bigger fonts for a projector; collapse the sidebar with « for more room.",
        )
        st.caption(
            ":material/link: A lesson's settings are in the page's address: a reload keeps "
            "them, and a copied link opens the lesson set up the same way."
        )
    if s["presenter_mode"]:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)


def page_header(title: str, lesson: str, intro: str) -> None:
    """Title, the d2l section it serves, and one paragraph on what the page teaches."""
    st.title(title)
    st.caption(f"d2l {lesson}")
    st.markdown(intro)


@contextlib.contextmanager
def error_boundary(where: str = "this page"):
    """Show any unexpected error as a short message instead of a traceback, and log it."""
    try:
        yield
    except Exception as exc:  # st.rerun/st.stop raise BaseExceptions and pass through
        log.error("Unhandled error in %s:\n%s", where, traceback.format_exc())
        st.error(
            f"Something went wrong in {where}: {type(exc).__name__}: {exc}. "
            "Your inputs are kept; change a setting or reload the page to try again.",
            icon=":material/error:",
        )
