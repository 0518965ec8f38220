"""The pages under hostile settings: every CNNVIZ_ number, switch and choice set to values
str.isdigit() accepts and int() refuses, too long to convert, negative, zero, or typos. Each
page renders without an exception, and a student's run still starts (0 running runs per
student falls back to 1, with a log line)."""

from __future__ import annotations

import pytest

from cnnviz import config as cfg
from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]

HOSTILE = {
    "superscripts": "²",
    "arabic digits": "١٢",
    "too long": "9" * 5_000,
    "negative": "-1",
    "zero": "0",
    "typo": "4o",
}
PAGES = ["training.py", "ablation.py", "home.py", "insight.py", "builder.py"]


@pytest.fixture
def hostile_env(monkeypatch, request):
    value = request.param
    for name, s in cfg.SETTINGS.items():
        if s.kind in ("int", "float", "bool"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("CNNVIZ_EXECUTOR", "thread")  # the test process trains (AppTest)
    monkeypatch.setenv("CNNVIZ_MAX_QUEUD_PER_USER", "3")  # a typo in a name: logged, ignored
    cfg._reported.clear()
    return value


@pytest.mark.parametrize("hostile_env", list(HOSTILE.values()), ids=list(HOSTILE), indirect=True)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(hostile_env, page):
    at = app_test(page).run()
    assert_clean(at)


@pytest.mark.parametrize("hostile_env", ["0", "²"], indirect=True)
def test_a_students_run_starts_and_ends(hostile_env):
    from cnnviz.runs import get_manager

    at = app_test("training.py").run()
    at.number_input(key="train_epochs").set_value(1)
    at.selectbox(key="train_subset").set_value(1000)
    at.button(key="train_start").click().run()
    assert_clean(at)
    run_id = at.session_state["train_run_id"]
    mgr = get_manager()
    assert mgr.limits.max_running_per_user == 1 and mgr.executor.slots == 1
    assert mgr.wait(run_id, 180) == "finished"
