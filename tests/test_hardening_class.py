"""Bad input and store faults on the class pages (AppTest, English and Korean): garbage in the
Class page's ``?join=`` and ``?view=``, hostile join names, a damaged class experiment or seat
on the board, and a teacher location the follower's widgets cannot hold. Each page shows a
clear message, never a traceback or the error boundary, and keeps what the user made."""

from __future__ import annotations

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import class_experiment as X
from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User
from cnnviz.runs import RunStore, get_manager
from cnnviz.runs.db import StoreBusyError
from cnnviz.runs.service import RunService
from cnnviz_testing.classboard import TEACH, class_with_runs
from conftest import APPTEST_TIMEOUT, app_test, assert_clean
from ui.identity import TOKEN

pytestmark = pytest.mark.apptest
SECRET = "hardening-class-secret"
ANN = User("a" * 16)
UNREADABLE = {"en": "cannot be read right now", "ko": "읽을 수 없습니다"}


@pytest.fixture
def store(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", SECRET)
    return get_manager().store


def page(store, user: User | None, file: str = "classroom.py", lang: str = "en", **params):
    at = app_test(file)
    if user is not None:
        at.session_state["cnnviz_user"] = user
        if user.is_teacher:
            at.session_state[TOKEN] = store.issue_teacher_token(user.id, SECRET, 3600)
    at.query_params["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def sql(store, statement: str, *args) -> None:
    """A row written past every check, as another program or a damaged file might."""
    db = sqlite3.connect(store.path)
    db.execute("PRAGMA ignore_check_constraints=ON")
    db.execute(statement, args)
    db.commit()
    db.close()


JOIN_GARBAGE = ["x" * 10_000, "한글코드", "<script>alert(1)</script>", "", "\u202e\u200b", "A" * 16]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("code", JOIN_GARBAGE, ids=range(len(JOIN_GARBAGE)))
def test_garbage_join_codes_are_refused_with_a_message(store, code, lang):
    assert_clean(page(store, ANN, lang=lang, join=code))  # no class open yet
    Classes(store).open_class(TEACH)
    at = page(store, ANN, lang=lang, join=code)
    assert_clean(at)
    assert len(at.text_input(key="class_join_code").value) <= 16
    at.text_input(key="class_join_name").input("Ann")
    at.button[0].click().run()
    assert_clean(at)
    assert at.error and Classes(store).seat_of(ANN.id) is None


@pytest.mark.parametrize("view", ["x" * 10_000, "projector2", "", "<b>", "PROJECTOR"])
@pytest.mark.parametrize("who", ["student", "teacher"])
def test_unknown_views_show_the_class_page(store, view, who):
    Classes(store).open_class(TEACH)
    at = page(store, ANN if who == "student" else TEACH, view=view)
    assert_clean(at)
    assert at.title  # the Class page itself, its header drawn


NAMES = {  # typed → kept (None: refused with a message)
    "": None, "   ": None, "\u200b\u200b": None, "\u202eevil\u200b": "evil",
    "\x00\x07bell": "bell", "<b>x</b>": "<b>x</b>", "😀" * 30: "😀" * 24, "x" * 10_000: "x" * 24,
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("typed", list(NAMES), ids=range(len(NAMES)))
def test_hostile_join_names_are_cleaned_or_refused(store, typed, lang):
    session = Classes(store).open_class(TEACH)
    at = page(store, ANN, lang=lang, join=session.code)
    at.session_state["class_join_name"] = typed  # as a crafted request could send it
    at.run()
    at.button[0].click().run()
    assert_clean(at)
    seat = Classes(store).seat_of(ANN.id)
    if NAMES[typed] is None:
        assert seat is None and at.error
    else:
        assert seat is not None and seat.name == NAMES[typed]


def test_a_closed_class_code_a_taken_name_and_joining_twice(store):
    classes = Classes(store)
    old = classes.open_class(TEACH)
    classes.join(ANN.id, old.code, "Ann", "10.0.0.1")
    classes.open_class(TEACH)  # opening again closes the first class
    bob = page(store, User("b" * 16), join=old.code)
    bob.text_input(key="class_join_name").input("Bob")
    bob.button[0].click().run()
    assert_clean(bob)
    assert bob.error and classes.seat_of("b" * 16) is None
    new = classes.current()
    classes.join(ANN.id, new.code, "Ann", "10.0.0.1")
    twice = page(store, ANN, join=new.code)  # seated already: the form renames
    assert_clean(twice)
    carl = page(store, User("c" * 16), join=new.code)
    carl.text_input(key="class_join_name").input("ANN")  # Ann's name, another case
    carl.button[0].click().run()
    assert_clean(carl)
    assert carl.error and classes.seat_of("c" * 16) is None
    assert classes.seat_of(ANN.id).name == "Ann"


DAMAGE = {
    "plan not json": "UPDATE class_experiments SET plan='{bad'",
    "plan empty": "UPDATE class_experiments SET plan='[]'",
    "unknown size": "UPDATE class_experiments SET mode='huge', handout='weird'",
}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_experiment_is_said_and_the_teacher_may_set_up_another(store, damage, lang):
    room = class_with_runs(store, 2, epochs=2, finish=True)
    sql(store, DAMAGE[damage])
    student = page(store, User(room.seats[0].user_id), "board.py", lang)
    assert_clean(student)
    assert any(UNREADABLE[lang] in e.value for e in student.error)
    teacher = page(store, TEACH, "board.py", lang)
    assert_clean(teacher)
    assert any(UNREADABLE[lang] in e.value for e in teacher.error)
    teacher.button(key="brd_next_create").click().run()  # a new experiment: the class goes on
    assert_clean(teacher)
    assert not teacher.error and teacher.dataframe
    assert {r.run_id for r in store.list_runs()} >= set(room.run_ids)  # every run is kept


@pytest.mark.parametrize("damage", ["value out of range", "run settings unreadable"])
def test_a_damaged_seat_is_said_in_its_box_and_the_board_still_shows(store, damage):
    room = class_with_runs(store, 3, epochs=2, finish=True)
    if damage == "value out of range":
        sql(store, "UPDATE class_assignments SET value_index=99 WHERE seat_id=?",
            room.seats[0].seat_id)  # fmt: skip
    else:
        sql(store, "UPDATE runs SET config='{not json' WHERE run_id=?", room.run_ids[0])
    at = page(store, User(room.seats[0].user_id), "board.py")
    assert_clean(at)
    assert any(UNREADABLE["en"] in e.value for e in at.error)
    assert at.dataframe and len(at.dataframe[0].value) == 3  # the board below, every seat
    other = page(store, User(room.seats[1].user_id), "board.py")
    assert_clean(other)
    assert not other.error


FOLLOW_PAGE = """
import streamlit as st
from ui.common import sidebar_ui
from ui.follow import lead
sidebar_ui()
st.slider("Kernel size", 1, 7, 3, key="pool_kernel_size", bind="query-params")
st.radio("Mode", ("max", "avg"), key="pool_mode", bind="query-params")
lead()
"""
BAD_LOCATIONS = {
    "bad json": ("", "{bad"),
    "out of range": ("", '{"pool_kernel_size":99}'),
    "below range": ("", '{"pool_kernel_size":-3}'),
    "wrong type": ("", '{"pool_kernel_size":"big"}'),
    "unknown option": ("", '{"pool_mode":"median"}'),
    "not a dict": ("", "[1,2]"),
    "app key": ("", '{"cnnviz_user":"x"}'),
    "unknown page": ("nowhere", '{"pool_kernel_size":6}'),
}


@pytest.mark.parametrize("bad", list(BAD_LOCATIONS))
def test_a_damaged_teacher_location_never_breaks_a_followers_page(store, bad):
    classes = Classes(store)
    session = classes.open_class(User("t" * 16, TEACHER))
    classes.join(ANN.id, session.code, "Ann", "10.0.0.1")
    ann = AppTest.from_string(FOLLOW_PAGE, default_timeout=APPTEST_TIMEOUT)
    ann.session_state["cnnviz_user"] = ANN
    ann.run()
    ann.slider(key="pool_kernel_size").set_value(2).run()  # her own setting
    ann.toggle(key="follow_switch").set_value(True).run()
    assert_clean(ann)
    page_name, params = BAD_LOCATIONS[bad]
    sql(store, "INSERT OR REPLACE INTO class_follow VALUES (?,?,?,?,?,?)",
        session.class_id, page_name, params, 7, 0, 0.0)  # fmt: skip
    for _ in range(2):  # the move, then the run after it
        ann.run()
        assert_clean(ann)
    assert 1 <= ann.slider(key="pool_kernel_size").value <= 7
    assert ann.radio(key="pool_mode").value in ("max", "avg")


BUSY_AT = ["FROM classes", "FROM seats", "class_experiments", "class_assignments", "metrics"]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("table", BUSY_AT)
def test_a_busy_store_during_a_class_or_board_render_is_said(store, monkeypatch, table, lang):
    room = class_with_runs(store, 2, epochs=2, finish=True, end=False)
    held = {"on": False}

    def busy(read):
        def run(self, sql, *args, **kwargs):
            if held["on"] and table in sql:
                raise StoreBusyError("The run store is busy: try again soon.", "store.busy", s=30)
            return read(self, sql, *args, **kwargs)

        return run

    monkeypatch.setattr(RunStore, "_q", busy(RunStore._q))
    monkeypatch.setattr(RunStore, "_x", busy(RunStore._x))
    pages = [(TEACH, "board.py", {}), (User(room.seats[0].user_id), "board.py", {}),
             (TEACH, "classroom.py", {}), (User(room.seats[0].user_id), "classroom.py", {}),
             (User("n" * 16), "classroom.py", {"join": room.session.code}),
             (TEACH, "classroom.py", {"view": "projector"})]  # fmt: skip
    for user, file, params in pages:
        at = app_test(file)
        at.session_state["cnnviz_user"] = user
        if user.is_teacher:
            at.session_state[TOKEN] = store.issue_teacher_token(user.id, SECRET, 3600)
        at.query_params["lang"] = lang
        for k, v in params.items():
            at.query_params[k] = v
        held["on"] = True
        try:
            at.run()
        finally:
            held["on"] = False
        assert_clean(at)
    assert {r.run_id for r in store.list_runs()} == set(room.run_ids)  # nothing lost
    assert len(Classes(store).seats(room.session.class_id)) == 2


BAD_VALUES = ["100", "1e309", "nan", "-1", "", ", ,", "0.1,0.1", "x" * 10_000, "영점일", "1" * 400]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("values", BAD_VALUES, ids=range(len(BAD_VALUES)))
def test_bad_experiment_values_are_said_and_nothing_is_made(store, values, lang):
    session = Classes(store).open_class(TEACH)
    at = page(store, TEACH, "board.py", lang)
    at.text_input(key="brd_new_values_lr").set_value(values).run()
    at.button(key="brd_new_create").click().run()
    assert_clean(at)
    assert at.error
    assert at.text_input(key="brd_new_values_lr").value == values  # kept to correct
    cx = X.ClassExperiments(RunService(None, store=store))
    assert cx.current(session.class_id) is None


def test_start_pressed_twice_from_two_tabs_starts_one_run(store):
    classes = Classes(store)
    session = classes.open_class(TEACH)
    seat = classes.join("student0000000001", session.code, "Ann", "10.0.0.2")
    cx = X.ClassExperiments(RunService(None, store=store))
    cx.create(TEACH, session.class_id, "LeNet", "lr", "0.1, 0.9")
    ann = User(seat.user_id)
    first, second = page(store, ann, "board.py"), page(store, ann, "board.py")
    first.button(key="brd_start").click().run()
    second.button(key="brd_start").click().run()  # the stale tab's button
    mgr = get_manager()
    try:
        assert_clean(first)
        assert_clean(second)
        assert "started already" in "\n".join(e.value for e in second.error)
        assert len(store.list_runs()) == 1
        teacher = page(store, TEACH)
        teacher.button(key="class_close").click().run()  # closing keeps the training run
        assert_clean(teacher)
        assert [r.status for r in store.list_runs()][0] in ("queued", "running", "finished")
        reloaded = page(store, ann, "board.py")  # the student's page reloaded mid-run
        assert_clean(reloaded)
        assert "brd_start" not in {b.key for b in reloaded.button}
    finally:
        for run in store.list_runs():
            mgr.stop(run.run_id)
            mgr.wait(run.run_id, 60)
