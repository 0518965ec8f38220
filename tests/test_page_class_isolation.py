"""AppTest: a second student against the class pages. The board and the projector view a
student sees hold pseudonyms and no other seat's run id; a closed class's board is the
teacher's alone; a student gets none of the board's controls, nor the roster."""

from __future__ import annotations

import json

import pytest
from classpages import experiments, page_as, shown, widget_keys

from cnnviz.classes import Classes
from cnnviz.classroom import User
from cnnviz_testing.classboard import TEACH, class_with_runs
from conftest import assert_clean, tiny_config

pytestmark = pytest.mark.apptest


def everything(at) -> str:
    """What the page sent: its text, its tables and its charts."""
    parts = [shown(at)] + [t.value for t in at.title] + [d.value.to_json() for d in at.dataframe]
    parts += [chart.proto.spec for chart in at.get("plotly_chart")]
    parts += [json.dumps(at.query_params.to_dict() if hasattr(at.query_params, "to_dict")
                         else dict(at.query_params))]  # fmt: skip
    return "\n".join(parts)


def test_a_students_board_and_projector_name_no_other_seats_run(class_store):
    room = class_with_runs(class_store, 3, epochs=2)
    teacher = page_as(class_store, TEACH)
    assert_clean(teacher)
    assert all(run_id in everything(teacher) for run_id in room.run_ids)  # the teacher's
    ann = User(room.seats[0].user_id)
    student = page_as(class_store, ann)
    assert_clean(student)
    seen = everything(student)
    assert room.run_ids[0] in seen  # their own
    assert not [run_id for run_id in room.run_ids[1:] if run_id in seen]
    assert "Student name" not in seen  # pseudonyms: the teacher has not turned names on
    assert list(student.dataframe[0].value["seat"]) == ["Student 1", "Student 2", "Student 3"]
    assert not {"brd_hand_out", "brd_end", "brd_spotlight", "brd_csv"} & widget_keys(student)
    # the board on the projector, opened by a student: the same public board, no controls
    cx = experiments(class_store)
    cx.set_spotlight(TEACH, room.session.class_id, "board")
    bob = User(room.seats[1].user_id)
    projector = page_as(class_store, bob, "classroom.py", view="projector")
    assert_clean(projector)
    seen = everything(projector)
    assert room.run_ids[1] in seen
    assert not [r for r in (room.run_ids[0], room.run_ids[2]) if r in seen]
    assert "Student name" not in seen
    assert not {"brd_hand_out", "brd_end", "brd_spotlight", "brd_csv"} & widget_keys(projector)
    # names on: the projector shows them, still without another's run id
    Classes(class_store).set_show_names(TEACH, True)
    seen = everything(page_as(class_store, bob, "classroom.py", view="projector"))
    assert "Student name 0" in seen and room.run_ids[0] not in seen


def test_without_an_open_class_a_student_sees_nothing_of_it(class_store):
    room = class_with_runs(class_store, 2, epochs=2)
    Classes(class_store).close_class(TEACH)
    for page, params in (("board.py", {}), ("classroom.py", {"view": "projector"}),
                         ("classroom.py", {})):  # fmt: skip
        student = page_as(class_store, User(room.seats[0].user_id), page, **params)
        assert_clean(student)
        seen = everything(student)
        assert not [r for r in room.run_ids if r in seen], page
        assert room.session.code not in seen and "Student 1" not in seen, page
        assert not student.dataframe, page
    board = page_as(class_store, User(room.seats[0].user_id))
    assert "No class is open" in everything(board)
    teacher = page_as(class_store, TEACH)  # the closed class's board stays the teacher's
    assert_clean(teacher)
    assert all(r in everything(teacher) for r in room.run_ids)


def test_a_student_gets_no_roster_and_no_class_controls(class_store):
    room = class_with_runs(class_store, 2, epochs=2)
    ann = User(room.seats[0].user_id)
    at = page_as(class_store, ann, "classroom.py")
    assert_clean(at)
    seen = everything(at)
    assert "Student name 1" not in seen and not at.dataframe  # no roster
    assert not {"class_open", "class_close", "class_open_new", "class_show_names"} & widget_keys(at)
    assert not [r for r in room.run_ids if r in seen]


def test_a_classmate_typing_a_name_gets_no_seat_without_its_key(class_store, monkeypatch):
    monkeypatch.setattr("cnnviz.classes.REJOIN_IDLE_S", 0.0)  # Ann's browser is away
    classes = Classes(class_store)
    session = classes.open_class(TEACH)
    ann, eve = User("a" * 16), User("e" * 16)

    def join(user: User, name: str, key: str | None = None):
        at = page_as(class_store, user, "classroom.py", join=session.code)
        at.text_input(key="class_join_name").input(name)
        if key is not None:
            at.text_input(key="class_join_key").input(key)
        return at.button[0].click().run()

    mine = join(ann, "Ann")
    assert_clean(mine)
    run_id = class_store.create(tiny_config(), user=ann.id, status="finished")
    key = classes.seat_key(ann)
    assert key and f"**{key}**" in everything(page_as(class_store, ann, "classroom.py"))
    for typed in (None, "WRONG1"):
        other = join(eve, "Ann", typed)
        assert_clean(other)
        assert "type its seat key" in everything(other)
        assert classes.seat_of(eve.id) is None and class_store.get(run_id).user == ann.id
    back = join(eve, "ann", key)  # the key's holder (a cleared cookie): the seat, runs and all
    assert_clean(back)
    assert classes.seat_of(eve.id).number == 1 and class_store.get(run_id).user == eve.id
