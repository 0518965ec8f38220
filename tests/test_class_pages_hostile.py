"""The Class page and the class board under hostile input (AppTest, English and Korean): any
value in their address (``?view=``, ``?join=``, ``?experiment=``: huge, NaN, unicode, markup)
and a store whose class experiment rows are damaged (values JSON cannot hold or that are no
values, an unknown field, an empty value list, nested past the parser, a seat without a run or
with a run that is gone, a spotlight on nothing). Every page opens without a traceback or the
error boundary, and says in a message what it cannot read."""

from __future__ import annotations

import pytest
from classpages import page_as, write_past_checks

from cnnviz.classroom import User
from cnnviz_testing.classboard import TEACH, class_with_runs
from conftest import assert_clean

pytestmark = pytest.mark.apptest
UNREADABLE = {"en": "cannot be read right now", "ko": "읽을 수 없습니다"}
HOSTILE = [
    "x" * 20_000, "nan", "-1e999", "9" * 5_000, "", "한글 보기", "😀" * 50,
    "<script>alert(1)</script>", "**bold** [link](javascript:alert(1))", "\u202e\u200b",
    "projector\x00", "PROJECTOR", "../board", "[1,2]",
]  # fmt: skip
PAGES = [("classroom.py", {}), ("classroom.py", {"view": "projector"}), ("board.py", {})]


def who(room) -> list[User | None]:
    """The teacher, a seated student, a student without a seat, a browser not identified."""
    return [TEACH, User(room.seats[0].user_id), User("n" * 16), None]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_address_values_on_the_class_pages(class_store, value):
    room = class_with_runs(class_store, 2, epochs=2, finish=False, end=False)
    lang = "ko" if HOSTILE.index(value) % 2 else "en"
    for page in ("classroom.py", "board.py"):
        for user in who(room):
            at = page_as(class_store, user, page, lang, view=value, join=value, experiment=value)
            assert_clean(at)
            assert at.title or at.get("metric"), page  # the page itself, drawn
    assert len(class_store.list_runs()) == 2  # nothing made or lost
    assert len(room.classes.seats(room.session.class_id)) == 2


DAMAGE = {  # a statement written past the store's checks (?: the room's first seat, run)
    "plan a dict": "UPDATE class_experiments SET plan='{\"a\":1}'",
    "plan numbers": "UPDATE class_experiments SET plan='[1,2,3]'",
    "plan nulls": "UPDATE class_experiments SET plan='[null]'",
    "plan text": "UPDATE class_experiments SET plan='\"lr\"'",
    "plan NaN": "UPDATE class_experiments SET plan='[NaN, Infinity]'",
    "plan a value of no config": "UPDATE class_experiments SET plan='[{\"label\":1,\"config\":5}]'",
    "plan nested": "UPDATE class_experiments SET plan='" + "[" * 50_000 + "]" * 50_000 + "'",
    "plan a blob": "UPDATE class_experiments SET plan=x'00ff'",
    "plan empty": "UPDATE class_experiments SET plan='[]'",
    "field unknown": "UPDATE class_experiments SET field='bogus'",
    "field markup": "UPDATE class_experiments SET field='<b>x</b>', title='<script>x</script>'",
    "field huge": "UPDATE class_experiments SET field=printf('%.50000c', 'x')",
    "created text": "UPDATE class_experiments SET created='soon', ended='never'",
    "value index text": "UPDATE class_assignments SET value_index='abc' WHERE seat_id=?",
    "value index negative": "UPDATE class_assignments SET value_index=-1 WHERE seat_id=?",
    "value index huge": "UPDATE class_assignments SET value_index=1e300 WHERE seat_id=?",
    "repeat text": "UPDATE class_assignments SET repeat='twice' WHERE seat_id=?",
    "seat without a run": "UPDATE class_assignments SET run_id=NULL WHERE seat_id=?",
    "seat with a run gone": "UPDATE class_assignments SET run_id='nosuchrun0' WHERE seat_id=?",
    "seat of nobody": "UPDATE class_assignments SET seat_id='noseat', user_id='x' WHERE seat_id=?",
    "assigned text": "UPDATE class_assignments SET assigned='later' WHERE seat_id=?",
    "run epochs text": "UPDATE runs SET num_epochs='many' WHERE run_id=?",
    "metric text": "UPDATE metrics SET val_acc='good', train_loss='x' WHERE run_id=?",
    "points text": "INSERT INTO points (run_id, seq, x, loss) VALUES (?, 999, 'x', 'y')",
    "spotlight unknown": "INSERT OR REPLACE INTO class_spotlight SELECT class_id, 'bogus', NULL,"
                         " NULL, 't', 0 FROM classes",
    "spotlight on a run gone": "INSERT OR REPLACE INTO class_spotlight SELECT class_id, 'run',"
                               " 'nosuchrun0', 'noseat', 't', 0 FROM classes",
}  # fmt: skip


UNUSABLE = {d for d in DAMAGE if d.startswith(("plan", "field unknown", "field huge",
                                                "field markup"))}  # fmt: skip


CASES = [(d, "en") for d in DAMAGE] + [(d, "ko") for d in ("plan nested", "value index text",
                                                           "seat without a run")]  # fmt: skip


@pytest.mark.parametrize(("damage", "lang"), CASES)
def test_damaged_experiment_rows_on_the_class_pages(class_store, damage, lang):
    room = class_with_runs(class_store, 3, epochs=2, finish=False, end=False, points=20)
    statement = DAMAGE[damage]
    if "?" in statement:
        arg = room.run_ids[0] if "run_id=?" in statement or "VALUES (?" in statement else (
            room.seats[0].seat_id)  # fmt: skip
        write_past_checks(class_store, statement, arg)
    else:
        write_past_checks(class_store, statement)
    for page, base in PAGES:  # the teacher's and the seat's student's
        for user in who(room)[:2]:
            assert_clean(page_as(class_store, user, page, lang, **base))
    teacher = page_as(class_store, TEACH, "board.py", lang)
    said = "\n".join(e.value for e in teacher.error)
    if damage in UNUSABLE:  # the experiment itself: said, and the teacher may set up another
        assert UNREADABLE[lang] in said, said
        assert "brd_next_create" in {b.key for b in teacher.button}
    elif damage.startswith("value index"):  # one seat: said in its box, to its student
        student = page_as(class_store, User(room.seats[0].user_id), "board.py", lang)
        assert UNREADABLE[lang] in "\n".join(e.value for e in student.error)
        assert teacher.dataframe and len(teacher.dataframe[0].value) == 3
    else:  # read around (a run gone, a value that is no number): the board, no message
        assert not said, said
        assert teacher.dataframe
    assert {r.run_id for r in class_store.list_runs()} >= set(room.run_ids)  # nothing lost
