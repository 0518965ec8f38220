"""What a browser sends that no one checked for ASCII: its identity cookie, forged with a letter
outside ASCII, and a seat key typed with one. Each is a wrong key like any other: a new identity,
or "type its seat key", never "Something went wrong"."""

from __future__ import annotations

import pytest
from classpages import page_as, page_at, shown

from cnnviz.classes import Classes
from cnnviz.classroom import User
from cnnviz_testing.classboard import TEACH
from conftest import app_test, assert_clean

FORGED = ["abc123.é", "abc123.ключ", "ä.b", "abc123." + "ü" * 64, "abc123.\u200b"]


class _Everywhere(dict):
    """Cookies where every name holds ``value`` (the page's cookie names are derived from its
    store's key)."""

    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def get(self, name, default=None):
        return self.value


@pytest.mark.apptest
@pytest.mark.parametrize("cookie", FORGED)
@pytest.mark.parametrize("page", ["training.py", "classroom.py"])
def test_a_forged_cookie_outside_ascii_gets_a_new_identity(cookie, page, monkeypatch):
    monkeypatch.setattr("ui.identity._cookies", lambda: _Everywhere(cookie))
    at = app_test(page).run()
    assert_clean(at)
    user = at.session_state["cnnviz_user"]
    assert user.id.isascii() and user.id.isalnum() and not user.is_teacher


@pytest.mark.apptest
@pytest.mark.parametrize("typed", ["É", "KÉY123", "키", "ＡＢＣ"])
def test_a_seat_key_typed_outside_ascii_is_a_wrong_key(class_store, monkeypatch, typed):
    monkeypatch.setattr("cnnviz.classes.REJOIN_IDLE_S", 0.0)  # Ann's browser is away
    classes = Classes(class_store)
    session = classes.open_class(TEACH)
    ann, eve = User("a" * 16), User("e" * 16)

    def join(user: User, name: str, key: str | None = None):
        at = page_at(class_store, user, "classroom.py", join=session.code).run()
        at.text_input(key="class_join_name").input(name)
        if key is not None:
            at.text_input(key="class_join_key").input(key)
        return at.button[0].click().run()

    assert_clean(join(ann, "Ann"))
    assert classes.seat_key(ann)
    other = join(eve, "Ann", typed)
    assert_clean(other)
    assert "type its seat key" in shown(other)
    assert classes.seat_of(eve.id) is None
    assert_clean(page_as(class_store, ann, "classroom.py"))  # Ann keeps her seat


@pytest.mark.unit
@pytest.mark.parametrize("damage", ["é" * 64, 12345, "ключ"])
def test_a_damaged_role_key_or_token_key_makes_a_student(tmp_path, damage):
    """A kept key the store's checks never saw (a row edited by hand, a bad disk): the user is
    a student, never an error."""
    from classpages import write_past_checks

    from cnnviz.runs import RunStore

    store = RunStore(tmp_path)
    secret = "s" * 24
    store.set_user_role("t" * 16, "teacher", secret)
    token = store.issue_teacher_token("t" * 16, secret, 3600)
    assert store.user_role("t" * 16, secret) == "teacher"
    assert store.teacher_token_valid(token, "t" * 16, secret)
    write_past_checks(store, "UPDATE users SET role_key=?", damage)
    write_past_checks(store, "UPDATE teacher_tokens SET role_key=?", damage)
    assert store.user_role("t" * 16, secret) == "student"
    assert not store.teacher_token_valid(token, "t" * 16, secret)
    assert not store.teacher_token_valid("ключ\ud800", "t" * 16, secret)
