"""A second student against class mode, in the library: the board a student sees names no
other seat's run by its id (its curve, value and result stay), the CSV export is the
teacher's, a closed class's board is the teacher's alone, and the class's runs stay their
students' (another student cannot see them with opening by link off, nor stop, delete or pin
them, nor put them on the projector)."""

from __future__ import annotations

import json

import pytest

from cnnviz import class_experiment as X
from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User
from cnnviz.plots import board as PB
from cnnviz.runs import RunStore
from cnnviz.runs.service import RunAccessError, RunService
from cnnviz_testing.classboard import TEACH, class_with_runs

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "home")


def everything(board: X.Board) -> str:
    """All a page could send of a board: the table, the CSV, the tidy metrics, the points,
    the seats and the figures."""
    parts = [board.table().to_json(), board.csv(), board.long().to_json(), repr(board.points),
             repr(board.seats), repr(board.runs)]  # fmt: skip
    parts += [json.dumps(PB.seat_curves(board).to_plotly_json(), default=str)]
    if board.final:
        parts += [json.dumps(PB.value_bands(board).to_plotly_json(), default=str)]
    parts += [board.scatter().to_json()]
    return "\n".join(parts)


@pytest.mark.parametrize("finish", [True, False])
def test_a_students_board_names_no_other_seats_run(store, finish):
    room = class_with_runs(store, 3, epochs=2, finish=finish, points=0 if finish else 6)
    cx = X.ClassExperiments(RunService(None, store=store))
    ann = User(room.seats[0].user_id)
    board = cx.board(room.experiment, viewer=ann)
    seen = everything(board)
    for other in room.run_ids[1:]:
        assert other not in seen
    assert list(board.table()["run_id"]) == [room.run_ids[0], "", ""]  # their own only
    # the board is still the class's: every seat's curve and result
    assert len(board.started) == 3 and len(board.scatter()) == 3
    assert sum(len(runs) for runs in board.runs.values()) == 3
    if not finish:
        assert len(board.points) == 3 and all(len(p) == 6 for p in board.points.values())
        assert len(PB.seat_curves(board).data) == 3
    assert X.conclusion(board) == X.conclusion(cx.board(room.experiment))
    # the teacher's (and the library's own) board holds every run id
    for whole in (cx.board(room.experiment, viewer=TEACH), cx.board(room.experiment)):
        assert list(whole.table()["run_id"]) == room.run_ids
    # a role the store does not hold is a student's
    pretender = User(ann.id, TEACHER)
    checked = X.ClassExperiments(RunService(None, role_check=lambda u: False, store=store))
    assert list(checked.board(room.experiment, viewer=pretender).table()["run_id"]) == [
        room.run_ids[0], "", "",
    ]  # fmt: skip


def test_the_csv_export_is_the_teachers(store):
    room = class_with_runs(store, 3)
    cx = X.ClassExperiments(RunService(None, store=store))
    csv = cx.export_csv(TEACH, room.experiment)
    assert all(run_id in csv for run_id in room.run_ids)
    checked = X.ClassExperiments(RunService(None, role_check=lambda u: False, store=store))
    for who, got in ((User(room.seats[0].user_id), cx), (User(room.seats[0].user_id, TEACHER),
                                                         checked)):  # fmt: skip
        with pytest.raises(RunAccessError):
            got.export_csv(who, room.experiment)


def test_without_an_open_class_a_student_sees_no_class(store):
    room = class_with_runs(store, 2)
    classes = Classes(store)
    ann = User(room.seats[0].user_id)
    assert classes.shown_class(ann).class_id == room.session.class_id  # open: the class's
    classes.close_class(TEACH)
    assert classes.shown_class(ann) is None
    assert classes.shown_class(User("x" * 16)) is None
    assert classes.shown_class(TEACH).class_id == room.session.class_id  # the teacher's
    locked = Classes(store, role_check=lambda u: False)
    assert locked.shown_class(User(ann.id, TEACHER)) is None
    assert classes.seat_of(ann.id) is None  # the seat belongs to the closed class only
    with pytest.raises(RunAccessError):
        classes.roster(ann, room.session.class_id)


def test_a_class_run_stays_its_students(store):
    room = class_with_runs(store, 2, finish=False, end=False)
    svc = RunService(None, store=store)
    svc.set_share_links(TEACH, False)
    ann, bob = User(room.seats[0].user_id), User(room.seats[1].user_id)
    theirs = room.run_ids[0]
    assert [r.run_id for r in svc.list_runs(bob)] == [room.run_ids[1]]
    for read in (svc.get, svc.metrics, svc.points, svc.checkpoint_bytes, svc.analysis):
        with pytest.raises(RunAccessError):
            read(bob, theirs)
    with pytest.raises(RunAccessError):
        svc.compare(bob, [room.run_ids[1], theirs])
    svc.set_share_links(TEACH, True)  # opening by link lets them look, never touch
    assert svc.get(bob, theirs).run_id == theirs
    for act in (svc.stop, svc.delete):
        with pytest.raises(RunAccessError):
            act(bob, theirs)
    with pytest.raises(RunAccessError):
        svc.pin(bob, theirs, True)
    assert store.status(theirs) == "running" and not store.owner(theirs)[1]
    # nor on the projector: the spotlight is the teacher's, and another seat's run is refused
    cx = X.ClassExperiments(svc)
    with pytest.raises(RunAccessError):
        cx.set_spotlight(bob, room.session.class_id, "run", room.seats[0])
    cx.set_spotlight(TEACH, room.session.class_id, "run", room.seats[0])
    with pytest.raises(RunAccessError):
        cx.spotlight(bob, room.session.class_id)
    assert cx.spotlight(ann, room.session.class_id)["run_id"] == theirs
    with pytest.raises(RunAccessError):
        cx.end(bob, room.experiment)
    with pytest.raises(RunAccessError):
        cx.start(bob, room.experiment, room.seats[0])  # another's seat
