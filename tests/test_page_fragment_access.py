"""AppTest: a second student whose page opened the first one's run by link while the teacher
allowed it. A fragment reruns on its own (a stroke on the insight page's canvas, a live run's
refresh) with the arguments of the page's last full run; once the teacher has closed opening
runs by link, such a rerun shows nothing more of the other student's run than a full rerun
would: no curve, no prediction, no name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import User
from cnnviz.runs import get_manager
from cnnviz.runs.service import RunService
from conftest import APPTEST_TIMEOUT, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]
ANN, BOB = User("a" * 16), User("b" * 16)
PAGES = Path(__file__).resolve().parent.parent / "app_pages"

# The page, with every fragment it draws noted (its body and arguments, as Streamlit keeps
# them); with "replay" set, only those bodies run again, as a fragment's own rerun does.
SCRIPT = """
import runpy
import streamlit as st

ss = st.session_state
if ss.get("replay"):
    for body, args, kwargs in ss["fragments"]:
        body(*args, **kwargs)
else:
    ss["fragments"] = []
    made = st.fragment

    def noting(func=None, *, run_every=None, **kw):
        def wrap(body):
            run = made(body, run_every=run_every, **kw)

            def call(*args, **kwargs):
                ss["fragments"].append((body, args, kwargs))
                return run(*args, **kwargs)

            return call

        return wrap if func is None else wrap(func)

    st.fragment = noting
    try:
        runpy.run_path(PAGE, run_name="__main__")
    finally:
        st.fragment = made
"""


def everything(at) -> str:
    parts = [m.value for m in (*at.markdown, *at.caption)]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [d.value.to_json() for d in at.dataframe]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    parts += [json.dumps(w.proto.json_args) for w in at.get("component_instance")
              if hasattr(w.proto, "json_args")]  # fmt: skip
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("page", "params"),
    [("insight.py", "run"), ("training.py", "run"), ("ablation.py", "runs")],
)
def test_a_fragment_rerun_after_links_close_shows_nothing_of_the_run(trained_run, page, params):
    _, bobs, data = trained_run
    store = get_manager().store
    assert RunService(None, store=store).import_run(BOB, data, "bob.safetensors") == (bobs, True)
    at = AppTest.from_string(SCRIPT.replace("PAGE", repr(str(PAGES / page))),
                             default_timeout=APPTEST_TIMEOUT)  # fmt: skip
    at.session_state["cnnviz_user"] = ANN
    at.query_params[params] = bobs
    at.run()
    assert_clean(at)
    assert "class demo" in everything(at)  # open by link: Bob's run, by name
    assert at.session_state["fragments"], "the page drew no fragment"
    store.set_setting("share_links", "0")  # the teacher closes links
    at.session_state["replay"] = True
    at.run()
    assert_clean(at)
    seen = everything(at)
    assert "class demo" not in seen and bobs not in seen.replace(f"Run {bobs} belongs", "")
