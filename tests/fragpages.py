"""AppTest of one page with its fragments noted, so that a test can rerun them alone as
Streamlit does (a fragment's own rerun: a widget inside it changed, or its timer), with the
arguments of the page's last full run, and make its click-time downloads."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz.classroom import User
from conftest import APPTEST_TIMEOUT

PAGES = Path(__file__).resolve().parent.parent / "app_pages"

# The page, with every fragment it draws noted (its body and arguments, as Streamlit keeps
# them) and every download made when clicked (its function); with "replay" set, only those
# bodies run again, as a fragment's own rerun does.
SCRIPT = """
import runpy
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

ss = st.session_state
if ss.get("replay"):
    for body, args, kwargs in ss["fragments"]:
        body(*args, **kwargs)
else:
    ss["fragments"], ss["downloads"] = [], []
    made, download, main = st.fragment, DeltaGenerator.download_button, st.download_button

    def noted(self, label, data, *args, **kwargs):
        if callable(data):
            ss["downloads"].append(data)
        return download(self, label, data, *args, **kwargs)

    def noting(func=None, *, run_every=None, **kw):
        def wrap(body):
            run = made(body, run_every=run_every, **kw)

            def call(*args, **kwargs):
                ss["fragments"].append((body, args, kwargs))
                return run(*args, **kwargs)

            return call

        return wrap if func is None else wrap(func)

    st.fragment, DeltaGenerator.download_button = noting, noted
    st.download_button = lambda *args, **kwargs: noted(st._main, *args, **kwargs)
    try:
        runpy.run_path(PAGE, run_name="__main__")
    finally:
        st.fragment, DeltaGenerator.download_button = made, download
        st.download_button = main
"""


def page(name: str, user: User, **params) -> AppTest:
    at = AppTest.from_string(SCRIPT.replace("PAGE", repr(str(PAGES / name))),
                             default_timeout=APPTEST_TIMEOUT)  # fmt: skip
    at.session_state["cnnviz_user"] = user
    for key, value in params.items():
        at.query_params[key] = value
    return at
