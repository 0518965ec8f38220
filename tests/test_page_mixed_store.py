"""Every page that lists runs, for every kind of visitor, over a store as a teacher prepares a
class: a CLI run with no owner (and no group, preset or device) beside students' runs. pandas 3
reads the ownerless run's user as NaN; no page may trip on it."""

from __future__ import annotations

import pytest
from test_frames import _store_with_holes

from cnnviz.classroom import TEACHER, User
from conftest import app_test, assert_clean
from ui.identity import TOKEN

pytestmark = pytest.mark.apptest

ANN, NEWCOMER, TEACHER_USER = User("a" * 16), User("n" * 16), User("t" * 16, TEACHER)
VISITORS = {"owner": ANN, "newcomer": NEWCOMER, "teacher": TEACHER_USER}
PAGES = ["training.py", "insight.py", "ablation.py", "builder.py"]


def visit(at, store, who: str, monkeypatch) -> None:
    """``who`` in this session; the teacher with the token an unlock leaves in it."""
    at.session_state["cnnviz_user"] = VISITORS[who]
    if who == "teacher":
        monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", "open sesame")
        at.session_state[TOKEN] = store.issue_teacher_token(TEACHER_USER.id, "open sesame", 600)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", list(VISITORS))
def test_a_mixed_store_renders_for_every_visitor(page, who, monkeypatch):
    store, ids = _store_with_holes()
    at = app_test(page)
    visit(at, store, who, monkeypatch)
    at.run()
    assert_clean(at)
    if page == "training.py":
        (table,) = [d.value for d in at.dataframe]
        owners = dict(zip(table["run_id"], table["owner"], strict=True))
        assert owners[ids["cli"]] == "the class"  # the ownerless run, for everyone
        if who == "owner":
            assert owners[ids["ann"]] == "you"
        if who != "teacher":
            assert ids["bob"] in owners  # pinned for the class
        else:
            assert set(owners) == set(ids.values())


@pytest.mark.parametrize("who", list(VISITORS))
def test_the_lab_lists_the_ownerless_run_and_the_insight_page_offers_it(who, monkeypatch):
    store, ids = _store_with_holes()
    at = app_test("insight.py")
    visit(at, store, who, monkeypatch)
    at.query_params["run"] = ids["cli"]
    at.run()
    assert_clean(at)
    assert at.selectbox(key="insight_run").value == ids["cli"]


def test_a_diverged_runs_missing_metrics_show_as_a_dash():
    """A run whose last epoch diverged keeps NULL metrics (NaN in the frame): the Training
    page's numbers say "—", not "nan"."""
    from cnnviz.runs import RunStore
    from conftest import tiny_config

    store = RunStore()
    rid = store.create(tiny_config(), name="diverged", status="running", user=ANN.id)
    store.add_epoch(rid, {"epoch": 1, "train_loss": None, "train_acc": 0.1, "val_loss": None,
                          "val_acc": None, "examples_per_s": 100.0, "seconds": 1.0})  # fmt: skip
    store.set_status(rid, "finished")
    at = app_test("training.py")
    at.session_state["cnnviz_user"] = ANN
    at.query_params["run"] = rid
    at.run()
    assert_clean(at)
    shown = {m.label: m.value for m in at.metric}
    assert "nan" not in " ".join(shown.values()).lower(), shown
    assert "—" in shown.values() and "0.100" in shown.values(), shown
