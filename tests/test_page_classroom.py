"""Who may do what, on the pages: a student cannot stop or delete another student's run (not
through the page, not through a crafted ?run= link); the teacher can; the teacher role is
unlocked with the server's secret and never through the address."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import TEACHER, User
from cnnviz.models import PRESETS
from cnnviz.runs import get_manager
from cnnviz.train import RunConfig
from conftest import APPTEST_TIMEOUT, app_test, assert_clean
from ui.identity import TOKEN

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]
ANN, BOB = User("a" * 16), User("b" * 16)
TEACHER_USER = User("t" * 16, TEACHER)
SIDEBAR = """
from ui.common import sidebar_ui
sidebar_ui()
"""
LONG = RunConfig(PRESETS["LeNet"], num_epochs=500, limit=1024, val_limit=128)


def page_as(user: User, run_id: str | None = None, token: str | None = None) -> AppTest:
    at = app_test("training.py")
    at.session_state["cnnviz_user"] = user
    if token:  # the teacher's token, as the unlock left it in the session
        at.session_state[TOKEN] = token
    if run_id:
        at.query_params["run"] = run_id
    return at.run()


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error)]
    return "\n".join(parts)


def running(mgr, user: User) -> str:
    run_id = mgr.submit(LONG, name=f"{user.label}'s run", user=user)
    deadline = time.time() + 60
    while mgr.status(run_id) != "running" and time.time() < deadline:
        time.sleep(0.05)
    return run_id


def test_a_student_may_watch_but_not_stop_or_delete_anothers_run():
    mgr = get_manager()
    bobs = running(mgr, BOB)
    try:
        at = page_as(ANN, bobs)  # a crafted (or shared) link to Bob's run
        assert_clean(at)
        assert at.session_state["train_run_id"] == bobs  # shared links are on by default
        assert "only its owner or the teacher" in texts(at)
        keys = {b.key for b in at.button}
        assert "train_stop" not in keys and "train_delete" not in keys
        assert mgr.status(bobs) == "running"
        # Bob himself may stop it
        bob = page_as(BOB, bobs)
        assert "train_delete" in {b.key for b in bob.button}
        bob.button(key="train_stop").click().run()
        assert mgr.wait(bobs, 30) == "stopped"
    finally:
        mgr.stop(bobs)
        mgr.wait(bobs, 30)


def test_with_shared_links_off_another_students_run_stays_hidden():
    mgr = get_manager()
    bobs = mgr.submit(RunConfig(PRESETS["LeNet"], 1, limit=256, val_limit=128), user=BOB)
    mgr.wait(bobs, 120)
    mgr.store.set_setting("share_links", "0")
    at = page_as(ANN, bobs)
    assert_clean(at)
    assert at.session_state["train_run_id"] is None
    assert "turned off opening other students' runs" in texts(at)
    assert not at.dataframe  # Ann has no runs; Bob's is not listed
    mgr.store.set_pinned(bobs, True)  # ... unless the teacher pins it for the class
    at = page_as(ANN, bobs)
    assert at.session_state["train_run_id"] == bobs
    assert bobs in set(at.dataframe[0].value["run_id"])


def as_teacher(monkeypatch, store) -> str:
    """TEACHER_USER unlocked the role with the server's secret: their token."""
    monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", "open sesame")
    return store.issue_teacher_token(TEACHER_USER.id, "open sesame", 3600)


def test_the_teacher_may_stop_pin_and_delete_any_run(monkeypatch):
    mgr = get_manager()
    token = as_teacher(monkeypatch, mgr.store)
    anns = running(mgr, ANN)
    at = page_as(TEACHER_USER, anns, token)
    assert_clean(at)
    at.button(key="train_stop").click().run()
    assert mgr.wait(anns, 30) == "stopped"
    at = page_as(TEACHER_USER, anns, token)
    at.toggle(key=f"train_pin_{anns}").set_value(True).run()
    assert mgr.store.owner(anns) == (ANN.id, True)
    at.button(key="train_delete").click().run()
    assert not mgr.store.exists(anns)
    assert_clean(at)


def test_the_teacher_role_needs_the_secret(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", "open sesame")
    at = AppTest.from_string(SIDEBAR, default_timeout=APPTEST_TIMEOUT)  # the shared sidebar
    at.query_params["teacher"] = "open sesame"  # the address gives nothing away
    at.run()
    assert_clean(at)
    assert not at.session_state["cnnviz_user"].is_teacher
    at.text_input(key="teacher_secret_input").set_value("guess").run()
    at.button(key="teacher_unlock").click().run()
    assert not at.session_state["cnnviz_user"].is_teacher
    assert any("not the teacher secret" in e.value for e in at.error)
    at.text_input(key="teacher_secret_input").set_value("open sesame").run()
    at.button(key="teacher_unlock").click().run()
    user = at.session_state["cnnviz_user"]
    assert user.is_teacher
    # The role is a token of this session's (a reload reads it back from its cookie) ...
    store = get_manager().store
    token = at.session_state[TOKEN]
    assert store.teacher_token_valid(token, user.id, "open sesame")
    assert not store.teacher_token_valid(token, "x" * 16, "open sesame")  # not another's
    # ... until the secret changes.
    assert not store.teacher_token_valid(token, user.id, "a new term's secret")
    at.toggle(key="teacher_share_links").set_value(False).run()
    assert store.setting("share_links") == "0"
    at.button(key="teacher_lock").click().run()
    assert not at.session_state["cnnviz_user"].is_teacher
    assert not store.teacher_token_valid(token, user.id, "open sesame")


def test_lock_in_one_browser_removes_stop_from_an_open_teacher_session(monkeypatch):
    mgr = get_manager()
    here = as_teacher(monkeypatch, mgr.store)  # the teacher's laptop, the run open
    there = mgr.store.issue_teacher_token(TEACHER_USER.id, "open sesame", 3600)  # the desk PC
    anns = running(mgr, ANN)
    try:
        open_page = page_as(TEACHER_USER, anns, here)
        assert "train_stop" in {b.key for b in open_page.button}
        desk = AppTest.from_string(SIDEBAR, default_timeout=APPTEST_TIMEOUT)
        desk.session_state["cnnviz_user"] = TEACHER_USER
        desk.session_state[TOKEN] = there
        desk.run()
        desk.button(key="teacher_lock").click().run()
        assert_clean(desk)
        open_page.run()  # the open session's next action
        assert_clean(open_page)
        assert not open_page.session_state["cnnviz_user"].is_teacher
        assert "train_stop" not in {b.key for b in open_page.button}
        assert "only its owner or the teacher" in texts(open_page)
        assert mgr.status(anns) == "running"
    finally:
        mgr.stop(anns)
        mgr.wait(anns, 30)


def test_a_student_is_refused_a_run_too_big_for_this_machine():
    at = page_as(ANN)
    at.selectbox(key="train_preset").set_value("VGG-11").run()
    at.selectbox(key="train_subset").set_value(60000).run()
    at.button(key="train_start").click().run()
    assert_clean(at)
    assert any("this CPU" in e.value and "the teacher can launch full" in e.value
               for e in at.error)  # fmt: skip
    assert get_manager().store.list_runs() == []


ADDRESS_SCRIPT = """
import streamlit as st
from ui.identity import current_user
st.write(f"address={current_user().address}")
"""


@pytest.mark.parametrize(
    "remote, trusted, forwarded, expected",
    [
        ("10.0.0.7", None, None, "10.0.0.7"),
        ("10.0.0.7", None, "6.6.6.6", "10.0.0.7"),  # an untrusted sender's header is ignored
        ("127.0.0.1", "127.0.0.1", "6.6.6.6, 10.0.0.9", "10.0.0.9"),  # the proxy's own hop
        ("127.0.0.1", "10.0.0.1", "10.0.0.9", "127.0.0.1"),  # not the listed proxy
        ("127.0.0.1", "127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_the_user_carries_the_client_address_the_limits_count(
    monkeypatch, tmp_path, remote, trusted, forwarded, expected
):
    """The address the per-address queue cap counts is the connection's, or behind a trusted
    proxy its forwarded one, and a session's user carries it to the run manager."""
    import types

    import ui.identity as identity

    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    fake = types.SimpleNamespace(ip_address=remote, headers=headers)
    monkeypatch.setattr(identity.st, "context", fake, raising=False)
    if trusted is None:
        monkeypatch.delenv("CNNVIZ_TRUSTED_PROXY", raising=False)
    else:
        monkeypatch.setenv("CNNVIZ_TRUSTED_PROXY", trusted)
    assert identity.client_address() == expected
    monkeypatch.undo()
    at = AppTest.from_string(ADDRESS_SCRIPT, default_timeout=APPTEST_TIMEOUT).run()
    assert not at.exception
    assert any(m.value.startswith("address=") and m.value != "address=None" for m in at.markdown)
