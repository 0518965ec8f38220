"""A teacher's session on one server process, the Lock pressed on another process over the same
store (a real subprocess): the session's next action finds the role gone, and the class's
settings it changed are the other process's too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import TEACHER, User
from cnnviz.runs import RunStore, default_home
from cnnviz_testing import REPO
from conftest import APPTEST_TIMEOUT, assert_clean
from ui.identity import TOKEN

pytestmark = pytest.mark.slow  # a second process: kept out of the quick check
TEACHER_USER = User("t" * 16, TEACHER)
SECRET = "open sesame"
SIDEBAR = """
from ui.common import sidebar_ui
sidebar_ui()
"""
OTHER_PROCESS = """
import sys
from cnnviz.runs import RunStore
from cnnviz.runs.service import RunService
store = RunStore()
print(RunService(None, store=store).share_links())
print(store.revoke_teacher_tokens(sys.argv[1]))  # the teacher's Lock, pressed there
"""


def test_a_lock_in_another_process_ends_the_role_at_the_next_action(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", SECRET)
    store = RunStore(default_home())
    token = store.issue_teacher_token(TEACHER_USER.id, SECRET, 3600)
    at = AppTest.from_string(SIDEBAR, default_timeout=APPTEST_TIMEOUT)
    at.session_state["cnnviz_user"] = TEACHER_USER
    at.session_state[TOKEN] = token
    at.run()
    assert_clean(at)
    at.toggle(key="teacher_share_links").set_value(False).run()  # the teacher's switch, here
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the same CNNVIZ_HOME: the same store
    other = subprocess.run([sys.executable, "-c", OTHER_PROCESS, TEACHER_USER.id],
                           capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert other.stdout.split() == ["False", "1"]  # it saw the switch; its Lock ended a token
    at.run()  # this session's next action
    assert_clean(at)
    assert not at.session_state["cnnviz_user"].is_teacher
    assert not [t for t in at.toggle if t.key == "teacher_share_links"]
    assert [b for b in at.button if b.key == "teacher_unlock"]
