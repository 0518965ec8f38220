"""Bad input and store faults on the class pages (AppTest, English and Korean): garbage in the
Class page's ``?join=`` and ``?view=``, hostile join names, a damaged class experiment or seat
on the board (a damaged teacher location: test_follow_damaged.py). Each page shows a clear
message, never a traceback or the error boundary, and keeps what the user made."""

from __future__ import annotations

import pytest
from classpages import experiments, page_as, page_at, seated_experiment, write_past_checks

from cnnviz.classes import Classes
from cnnviz.classroom import User
from cnnviz.runs import RunStore, get_manager
from cnnviz.runs.db import StoreBusyError
from cnnviz_testing.classboard import TEACH, class_with_runs
from conftest import assert_clean
from ui.locales import CATALOGS

pytestmark = pytest.mark.apptest
ANN = User("a" * 16)
UNREADABLE = {"en": "cannot be read right now", "ko": "읽을 수 없습니다"}


JOIN_GARBAGE = ["x" * 10_000, "한글코드", "<script>alert(1)</script>", "", "\u202e\u200b", "A" * 16]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("code", JOIN_GARBAGE, ids=range(len(JOIN_GARBAGE)))
def test_garbage_join_codes_are_refused_with_a_message(class_store, code, lang):
    # no class open yet
    assert_clean(page_as(class_store, ANN, "classroom.py", lang=lang, join=code))
    Classes(class_store).open_class(TEACH)
    at = page_as(class_store, ANN, "classroom.py", lang=lang, join=code)
    assert_clean(at)
    assert len(at.text_input(key="class_join_code").value) <= 16
    at.text_input(key="class_join_name").input("Ann")
    at.button[0].click().run()
    assert_clean(at)
    assert at.error and Classes(class_store).seat_of(ANN.id) is None


@pytest.mark.parametrize("view", ["x" * 10_000, "projector2", "", "<b>", "PROJECTOR"])
@pytest.mark.parametrize("who", ["student", "teacher"])
def test_unknown_views_show_the_class_page(class_store, view, who):
    Classes(class_store).open_class(TEACH)
    at = page_as(class_store, ANN if who == "student" else TEACH, "classroom.py", view=view)
    assert_clean(at)
    assert at.title  # the Class page itself, its header drawn


NAMES = {  # typed → kept (None: refused with a message)
    "": None, "   ": None, "\u200b\u200b": None, "\u202eevil\u200b": "evil",
    "\x00\x07bell": "bell", "<b>x</b>": "<b>x</b>", "😀" * 30: "😀" * 24, "x" * 10_000: "x" * 24,
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("typed", list(NAMES), ids=range(len(NAMES)))
def test_hostile_join_names_are_cleaned_or_refused(class_store, typed, lang):
    session = Classes(class_store).open_class(TEACH)
    at = page_as(class_store, ANN, "classroom.py", lang=lang, join=session.code)
    at.session_state["class_join_name"] = typed  # as a crafted request could send it
    at.run()
    at.button[0].click().run()
    assert_clean(at)
    seat = Classes(class_store).seat_of(ANN.id)
    if NAMES[typed] is None:
        assert seat is None and at.error
    else:
        assert seat is not None and seat.name == NAMES[typed]


def test_a_closed_class_code_a_taken_name_and_joining_twice(class_store):
    classes = Classes(class_store)
    old = classes.open_class(TEACH)
    classes.join(ANN.id, old.code, "Ann", "10.0.0.1")
    classes.open_class(TEACH)  # opening again closes the first class
    bob = page_as(class_store, User("b" * 16), "classroom.py", join=old.code)
    bob.text_input(key="class_join_name").input("Bob")
    bob.button[0].click().run()
    assert_clean(bob)
    assert bob.error and classes.seat_of("b" * 16) is None
    new = classes.current()
    classes.join(ANN.id, new.code, "Ann", "10.0.0.1")
    # seated already: the form renames
    twice = page_as(class_store, ANN, "classroom.py", join=new.code)
    assert_clean(twice)
    carl = page_as(class_store, User("c" * 16), "classroom.py", join=new.code)
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
def test_a_damaged_experiment_is_said_and_the_teacher_may_set_up_another(class_store, damage, lang):
    room = class_with_runs(class_store, 2, epochs=2, finish=True)
    write_past_checks(class_store, DAMAGE[damage])
    student = page_as(class_store, User(room.seats[0].user_id), "board.py", lang)
    assert_clean(student)
    assert any(UNREADABLE[lang] in e.value for e in student.error)
    teacher = page_as(class_store, TEACH, "board.py", lang)
    assert_clean(teacher)
    assert any(UNREADABLE[lang] in e.value for e in teacher.error)
    teacher.button(key="brd_next_create").click().run()  # a new experiment: the class goes on
    assert_clean(teacher)
    assert not teacher.error
    empty = CATALOGS[lang]["board"]["table_empty"]  # the new board, waiting for its values
    assert any(c.value == empty for c in teacher.caption)
    assert {r.run_id for r in class_store.list_runs()} >= set(room.run_ids)  # every run is kept


@pytest.mark.parametrize("damage", ["value out of range", "run settings unreadable"])
def test_a_damaged_seat_is_said_in_its_box_and_the_board_still_shows(class_store, damage):
    room = class_with_runs(class_store, 3, epochs=2, finish=True)
    if damage == "value out of range":
        write_past_checks(
            class_store,
            "UPDATE class_assignments SET value_index=99 WHERE seat_id=?",
            room.seats[0].seat_id,
        )
    else:
        write_past_checks(
            class_store, "UPDATE runs SET config='{not json' WHERE run_id=?", room.run_ids[0]
        )
    at = page_as(class_store, User(room.seats[0].user_id), "board.py")
    assert_clean(at)
    assert any(UNREADABLE["en"] in e.value for e in at.error)
    assert at.dataframe and len(at.dataframe[0].value) == 3  # the board below, every seat
    other = page_as(class_store, User(room.seats[1].user_id), "board.py")
    assert_clean(other)
    assert not other.error


BUSY_AT = ["FROM classes", "FROM seats", "class_experiments", "class_assignments", "metrics"]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("table", BUSY_AT)
def test_a_busy_store_during_a_class_or_board_render_is_said(class_store, monkeypatch, table, lang):
    room = class_with_runs(class_store, 2, epochs=2, finish=True, end=False)
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
        at = page_at(class_store, user, file, lang, **params)
        held["on"] = True
        try:
            at.run()
        finally:
            held["on"] = False
        assert_clean(at)
    assert {r.run_id for r in class_store.list_runs()} == set(room.run_ids)  # nothing lost
    assert len(Classes(class_store).seats(room.session.class_id)) == 2


BAD_VALUES = ["100", "1e309", "nan", "-1", "", ", ,", "0.1,0.1", "x" * 10_000, "영점일", "1" * 400]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("values", BAD_VALUES, ids=range(len(BAD_VALUES)))
def test_bad_experiment_values_are_said_and_nothing_is_made(class_store, values, lang):
    session = Classes(class_store).open_class(TEACH)
    at = page_as(class_store, TEACH, "board.py", lang)
    at.text_input(key="brd_new_values_lr").set_value(values).run()
    at.button(key="brd_new_create").click().run()
    assert_clean(at)
    assert at.error
    assert at.text_input(key="brd_new_values_lr").value == values  # kept to correct
    cx = experiments(class_store)
    assert cx.current(session.class_id) is None


def test_start_pressed_twice_from_two_tabs_starts_one_run(class_store):
    seat, _ = seated_experiment(class_store)
    ann = User(seat.user_id)
    first, second = page_as(class_store, ann, "board.py"), page_as(class_store, ann, "board.py")
    first.button(key="brd_start").click().run()
    second.button(key="brd_start").click().run()  # the stale tab's button
    mgr = get_manager()
    try:
        assert_clean(first)
        assert_clean(second)
        assert "started already" in "\n".join(e.value for e in second.error)
        assert len(class_store.list_runs()) == 1
        teacher = page_as(class_store, TEACH, "classroom.py")
        teacher.button(key="class_close").click().run()  # closing keeps the training run
        assert_clean(teacher)
        assert [r.status for r in class_store.list_runs()][0] in ("queued", "running", "finished")
        reloaded = page_as(class_store, ann, "board.py")  # the student's page reloaded mid-run
        assert_clean(reloaded)
        assert "brd_start" not in {b.key for b in reloaded.button}
    finally:
        for run in class_store.list_runs():
            mgr.stop(run.run_id)
            mgr.wait(run.run_id, 60)
