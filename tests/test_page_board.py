"""AppTest of the class board: the teacher sets an experiment up (on the board, or from the
ablation lab), hands the values out and puts a seat's run on the projector; a student sees
their value and one Start; the board drawn from stored runs (curves, scatter, table, the
sentence), and none of the teacher's controls for a student."""

from __future__ import annotations

import pytest
from classpages import experiments, page_as, seated_experiment, shown, widget_keys

from cnnviz import class_experiment as X
from cnnviz.classes import Classes
from cnnviz.classroom import User
from cnnviz.runs import get_manager
from cnnviz_testing.classboard import TEACH, class_with_runs
from conftest import assert_clean, plotly_traces

pytestmark = pytest.mark.apptest


def test_without_a_class_the_board_says_how_to_start_one(class_store):
    at = page_as(class_store, User("s" * 16))
    assert_clean(at)
    assert at.title[0].value == "Class board"
    assert "No class is open" in shown(at)


def test_the_teacher_sets_up_an_experiment_and_hands_the_values_out(class_store):
    classes = Classes(class_store)
    session = classes.open_class(TEACH)
    for i in range(4):
        classes.join(f"student{i:010d}", session.code, f"Name {i}", "10.0.0.1")
    at = page_as(class_store, TEACH)
    assert_clean(at)
    assert "No class experiment yet" in shown(at)
    assert at.text_input(key="brd_new_values_lr").value == "0.01, 0.1, 0.9"
    at.text_input(key="brd_new_values_lr").set_value("0.1, 0.9, 1.5").run()
    at.button(key="brd_new_create").click().run()
    assert_clean(at)
    assert "LeNet\\:\u200b lr ∈ \\{0\\.1\\, 0\\.9\\, 1\\.5\\}" in shown(at)
    assert "0 of 0 seats started" in shown(at)
    at.button(key="brd_hand_out").click().run()
    assert "Values handed to 4 seats." in shown(at)
    assert "0 of 4 seats started" in shown(at)
    table = at.dataframe[0].value
    assert list(table["value"]) == ["lr 0.1", "lr 0.9", "lr 1.5", "lr 0.1"]
    assert list(table["seat"]) == ["Student 1", "Student 2", "Student 3", "Student 4"]  # pseudonyms


def test_before_any_seat_has_a_value_the_table_is_a_sentence_in_the_pages_language(
    class_store,
):
    """An empty grid would say "empty" in English on a Korean page: a caption says why the
    table has no rows instead."""
    Classes(class_store).open_class(TEACH)
    at = page_as(class_store, TEACH, lang="ko")
    at.button(key="brd_new_create").click().run()
    assert_clean(at)
    assert "자리 0곳 중 0곳 시작" in shown(at)
    assert not at.dataframe
    assert "아직 값을 받은 자리가 없습니다" in shown(at)


def test_a_bad_setup_is_said_and_nothing_is_made(class_store):
    Classes(class_store).open_class(TEACH)
    at = page_as(class_store, TEACH)
    at.text_input(key="brd_new_values_lr").set_value("0.1, fast").run()
    at.button(key="brd_new_create").click().run()
    assert_clean(at)
    assert "“fast” is no lr from 0 to 100\\." in shown(at)
    assert "No class experiment yet" in shown(at)


def test_the_board_from_stored_runs_for_the_projector_and_a_student(class_store):
    room = class_with_runs(class_store, 9, values="0.1, 0.9, 1.5", epochs=3, diverge_last=True)
    at = page_as(class_store, TEACH)
    assert_clean(at)
    text = shown(at)
    assert "9 of 9 seats started · 0 training · 9 finished" in text
    assert "lr 0\\.9 trained best" in text and "at lr 1\\.5\\, 2 of 3 runs diverged" in text
    bands = plotly_traces(at, "brd_bands")
    means = [t for t in bands if t.get("showlegend") is not False]
    assert [t["name"] for t in means] == ["lr 0.1", "lr 0.9", "lr 1.5"]
    assert len([t for t in bands if t.get("opacity")]) == 9  # every seat's run, faintly
    scatter = plotly_traces(at, "brd_scatter")
    assert [len(t["y"]) for t in scatter] == [3, 3, 3]
    table = at.dataframe[0].value
    assert len(table) == 9 and set(table["status"]) == {"finished"}
    assert {"brd_spotlight", "brd_csv"} <= widget_keys(at)  # the experiment has ended: no hand-out

    student = page_as(class_store, User(room.seats[1].user_id))
    assert_clean(student)
    assert "**Your value:** lr 0\\.9" in shown(student)
    assert "lr 0\\.9 trained best" in shown(student)
    assert not {"brd_hand_out", "brd_end", "brd_spotlight", "brd_csv"} & widget_keys(student)
    assert "brd_start" not in widget_keys(student)  # their run finished: one Start, spent


def test_the_spotlight_puts_a_seats_run_on_the_teachers_projector(class_store):
    room = class_with_runs(class_store, 3, epochs=2)
    at = page_as(class_store, TEACH)
    seat = room.seats[2].seat_id
    at.selectbox(key="brd_spotlight").set_value(seat).run()
    assert_clean(at)
    assert "**On the projector: Student 3's run** (lr 0\\.9, finished)" in shown(at)
    assert plotly_traces(at, "brd_spot_curves") and not plotly_traces(at, "brd_bands")
    cx = experiments(class_store)
    assert cx.spotlight(TEACH, room.session.class_id)["run_id"] == room.run_ids[2]
    # a student never gets another seat's spotlight: their board stays the board
    student = page_as(class_store, User(room.seats[0].user_id))
    assert "On the projector" not in shown(student) and plotly_traces(student, "brd_bands")
    at.selectbox(key="brd_spotlight").set_value("board").run()
    assert plotly_traces(at, "brd_bands")


def test_a_student_starts_their_run_once(class_store):
    seat, cx = seated_experiment(class_store, handout=X.PICK)
    ann = User(seat.user_id)
    at = page_as(class_store, ann)
    assert_clean(at)
    assert "brd_start" not in widget_keys(at)  # pick first
    at.radio(key="brd_pick").set_value(1).run()
    at.button(key="brd_start").click().run()
    assert_clean(at)
    exp = cx.current(seat.class_id)
    run_id = cx.assignment(exp, seat)["run_id"]
    mgr = get_manager()
    try:
        rec = class_store.get(run_id)
        assert rec.user == ann.id and rec.config.lr == 0.9
        assert "Your run is queued" in shown(at) and "brd_start" not in widget_keys(at)
    finally:
        mgr.stop(run_id)
        mgr.wait(run_id, 60)


def test_a_seat_whose_run_failed_says_why_and_may_start_again(class_store):
    seat, cx = seated_experiment(class_store, handout=X.PICK)
    ann = User(seat.user_id)
    at = page_as(class_store, ann)
    at.radio(key="brd_pick").set_value(1).run()
    at.button(key="brd_start").click().run()
    run_id = cx.assignment(cx.current(seat.class_id), seat)["run_id"]
    mgr = get_manager()
    mgr.stop(run_id)
    mgr.wait(run_id, 60)
    class_store.set_status(run_id, "failed", "It could not start: no free worker")
    at.run()
    assert_clean(at)
    assert "failed, epoch 0 of" in shown(at)
    assert len(at.error) == 1 and at.error[0].value.endswith("no free worker")
    assert "brd_start" in widget_keys(at)  # the same seat starts again, as a new run
    at.button(key="brd_start").click().run()
    again = cx.assignment(cx.current(seat.class_id), seat)["run_id"]
    try:
        assert again != run_id and class_store.get(again).user == ann.id
        assert "brd_start" not in widget_keys(at) and not at.error
    finally:
        mgr.stop(again)
        mgr.wait(again, 60)


def test_the_lab_offers_the_teacher_a_class_experiment_and_no_one_else(class_store):
    Classes(class_store).open_class(TEACH)
    at = page_as(class_store, TEACH, "ablation.py")
    assert_clean(at)
    assert "Class experiment" in [e.label for e in at.expander]
    at.button(key="abl_class_create").click().run()
    assert_clean(at)
    assert "The class experiment is set up" in shown(at)
    student = page_as(class_store, User("s" * 16), "ablation.py")
    assert "Class experiment" not in [e.label for e in student.expander]


def test_every_seats_curve_until_the_teacher_ends_then_means_and_bands(class_store):
    class_with_runs(class_store, 3, epochs=2, end=False)
    at = page_as(class_store, TEACH)
    assert_clean(at)
    live = plotly_traces(at, "brd_live")
    assert [t["name"] for t in live] == ["lr 0.01", "lr 0.1", "lr 0.9"]
    assert not plotly_traces(at, "brd_bands")
    at.button(key="brd_end").click().run()
    assert_clean(at)
    assert "The teacher has ended the experiment" in shown(at)
    assert plotly_traces(at, "brd_bands") and not plotly_traces(at, "brd_live")


def test_the_training_form_offers_the_teacher_a_class_experiment_on_its_preset(class_store):
    Classes(class_store).open_class(TEACH)
    at = page_as(class_store, TEACH, "training.py")
    assert_clean(at)
    assert "Class experiment" in [e.label for e in at.expander]
    at.selectbox(key="train_class_field").set_value("activation").run()
    at.button(key="train_class_create").click().run()
    assert_clean(at)
    exp = experiments(class_store).current(Classes(class_store).current().class_id)
    assert exp.field == "activation" and exp.plan[0]["preset"] == "LeNet"
    student = page_as(class_store, User("s" * 16), "training.py")
    assert "Class experiment" not in [e.label for e in student.expander]


def test_the_projector_view_shows_what_the_teacher_put_on_it(class_store):
    room = class_with_runs(class_store, 3, epochs=2)
    cx = experiments(class_store)

    def projector(user: User):
        return page_as(class_store, user, "classroom.py", view="projector")

    at = projector(TEACH)  # nothing set: the view's own (the code to join)
    assert_clean(at)
    assert not plotly_traces(at, "brd_bands")
    cx.set_spotlight(TEACH, room.session.class_id, "board")
    at = projector(TEACH)
    assert_clean(at)
    assert plotly_traces(at, "brd_bands")
    assert "brd_spotlight" not in widget_keys(at)  # no controls on it
    cx.set_spotlight(TEACH, room.session.class_id, "run", room.seats[1])
    at = projector(TEACH)
    assert "**On the projector: Student 2's run**" in shown(at)
    assert plotly_traces(at, "brd_spot_curves")
    own = projector(User(room.seats[1].user_id))  # the seat's own student may see it
    assert plotly_traces(own, "brd_spot_curves")
    other = projector(User(room.seats[0].user_id))  # another seat's: refused, the join view
    assert_clean(other)
    assert not plotly_traces(other, "brd_spot_curves") and "Student 2's run" not in shown(other)
