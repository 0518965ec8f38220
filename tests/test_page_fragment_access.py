"""AppTest: pages kept open after what they may show changed. A fragment reruns on its own (a
stroke on the insight page's canvas, a live run's refresh) with the arguments of the page's
last full run, and a download button's file is made when it is clicked, outside any page run,
by a function the page made when it drew the button. Neither shows more than a full rerun
would: a second student whose page opened the first one's run by link while the teacher
allowed it gets nothing more of it once the teacher has closed links; a teacher's page kept
open after a Lock in another browser is a student's at its next fragment rerun or click."""

from __future__ import annotations

import json

import pytest
from classpages import widget_keys
from fragpages import page

from cnnviz.classroom import User
from cnnviz.runs import get_manager
from cnnviz.runs.service import RunAccessError, RunService
from cnnviz_testing.classboard import TEACH, class_with_runs
from conftest import CLASS_SECRET, assert_clean
from ui.identity import TOKEN

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]
ANN, BOB = User("a" * 16), User("b" * 16)


def everything(at) -> str:
    parts = [m.value for m in (*at.markdown, *at.caption)]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [d.value.to_json() for d in at.dataframe]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    parts += [json.dumps(w.proto.json_args) for w in at.get("component_instance")
              if hasattr(w.proto, "json_args")]  # fmt: skip
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("name", "param"),
    [("insight.py", "run"), ("training.py", "run"), ("ablation.py", "runs")],
)
def test_a_fragment_rerun_after_links_close_shows_nothing_of_the_run(trained_run, name, param):
    _, bobs, data = trained_run
    store = get_manager().store
    assert RunService(None, store=store).import_run(BOB, data, "bob.safetensors") == (bobs, True)
    at = page(name, ANN, **{param: bobs})
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


def test_a_teacher_page_kept_open_after_a_lock_elsewhere_is_a_students(class_store, trained_run):
    _, bobs, data = trained_run
    assert RunService(None, store=class_store).import_run(BOB, data, "bob.safetensors")[1]
    class_store.set_setting("share_links", "0")
    at = page("training.py", TEACH, run=bobs)
    at.session_state[TOKEN] = class_store.issue_teacher_token(TEACH.id, CLASS_SECRET, 3600)
    at.run()
    assert_clean(at)
    assert "class demo" in everything(at)  # the teacher sees every run
    downloads = at.session_state["downloads"]
    assert len(downloads) == 2 and all(made() for made in downloads)  # the teacher's, when clicked
    class_store.revoke_teacher_tokens(TEACH.id)  # Lock, in another browser
    for made in downloads:  # a click on the page kept open
        with pytest.raises(RunAccessError):
            made()
    at.session_state["replay"] = True
    at.run()
    assert_clean(at)
    seen = everything(at)
    assert "class demo" not in seen and bobs not in seen.replace(f"Run {bobs} belongs", "")


def test_a_class_board_kept_open_after_a_lock_elsewhere_is_a_students(class_store):
    room = class_with_runs(class_store, 2, epochs=1)
    at = page("board.py", TEACH)
    at.session_state[TOKEN] = class_store.issue_teacher_token(TEACH.id, CLASS_SECRET, 3600)
    at.run()
    assert_clean(at)
    (csv,) = at.session_state["downloads"]
    assert room.run_ids[1] in csv()  # the teacher's board: every seat's run
    class_store.revoke_teacher_tokens(TEACH.id)
    with pytest.raises(RunAccessError):
        csv()
    at.session_state["replay"] = True  # the board's own refresh
    at.run()
    assert_clean(at)
    assert not {"brd_hand_out", "brd_end", "brd_spotlight", "brd_csv"} & widget_keys(at)
    seen = everything(at)
    assert not [run_id for run_id in room.run_ids if run_id in seen]
