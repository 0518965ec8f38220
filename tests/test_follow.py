"""Following the teacher: the teacher's location in the store, published only when it changed,
each seat's switch with its own settings kept and given back, 'Bring everyone here', and two
RunStore objects on one folder (two server processes) agreeing."""

from __future__ import annotations

import pytest

from cnnviz.classroom import STUDENT, TEACHER, User
from cnnviz.follow import Follow, FollowAccessError, Location, Signal, lesson_key
from cnnviz.runs import RunStore

pytestmark = pytest.mark.unit

TEACH, ANN = User("t" * 16, TEACHER), User("a" * 16, STUDENT)
POOL = Location("pooling", {"pool_kernel_size": 3, "pool_mode": "max"})


@pytest.fixture
def two(tmp_path):
    """Two stores over one folder: as two server processes behind a proxy see it."""
    a, b = RunStore(tmp_path / "s"), RunStore(tmp_path / "s")
    yield Follow(a), Follow(b)
    a.close()
    b.close()


def test_publish_only_when_the_location_changed(two):
    fa, fb = two
    assert fb.signal("c1") is None  # nothing published yet
    assert fa.publish(TEACH, "c1", POOL) == 1
    before = fa.store.follow_location("c1")
    # the same location again (keys in another order): nothing is written, seq stays
    same = Location("pooling", {"pool_mode": "max", "pool_kernel_size": 3})
    assert fa.publish(TEACH, "c1", same) == 0
    assert fa.store.follow_location("c1") == before
    assert fb.signal("c1") == Signal(1, 0)
    moved = Location("pooling", {"pool_kernel_size": 4, "pool_mode": "max"})
    assert fa.publish(TEACH, "c1", moved) == 2
    loc, sig = fb.teacher_location("c1")  # the other process reads it
    assert loc == moved and sig == Signal(2, 0)
    assert fa.publish(TEACH, "c1", Location("padding_stride")) == 3
    assert fb.teacher_location("c1")[0].page == "padding_stride"
    assert fb.signal("other-class") is None  # one class's location is its own


def test_a_student_cannot_lead(two):
    fa, _ = two
    with pytest.raises(FollowAccessError) as err:
        fa.publish(ANN, "c1", POOL)
    assert err.value.key == "access.teacher"
    with pytest.raises(FollowAccessError):
        fa.bring_everyone(ANN, "c1", POOL)
    locked = Follow(fa.store, role_check=lambda user: False)  # locked in another browser
    with pytest.raises(FollowAccessError):
        locked.publish(TEACH, "c1", POOL)
    assert fa.signal("c1") is None


def test_own_settings_are_kept_while_following_and_given_back(two):
    fa, fb = two
    fa.publish(TEACH, "c1", POOL)
    seat = fb.seat("seat-1", "c1")
    assert not seat.switched_on and seat.own is None
    own = Location("pooling", {"pool_kernel_size": 6, "pool_mode": "avg"})
    loc, sig = fb.start("seat-1", "c1", own)
    assert loc == POOL and sig.seq == 1
    state = fa.seat("seat-1", "c1")  # the other process sees the switch and the own settings
    assert state.switched_on and state.own == own
    fa.publish(TEACH, "c1", Location("pooling", {"pool_kernel_size": 2, "pool_mode": "max"}))
    assert fb.signal("c1").seq == 2
    back = fb.stop("seat-1", "c1")
    assert back == own
    assert not fa.seat("seat-1", "c1").switched_on
    assert fa.seat("seat-1", "c1").own == own  # kept for the next time


def test_bring_everyone_turns_every_seat_on_and_counts_a_recall(two):
    fa, fb = two
    fa.publish(TEACH, "c1", POOL)
    fb.seat("seat-1", "c1")  # off
    fb.start("seat-2", "c1", Location("why_conv"))
    fb.stop("seat-2", "c1")  # switched off again
    assert fb.following_count("c1") == 0
    seq = fa.bring_everyone(TEACH, "c1", POOL)  # unchanged location: still a new seq
    assert seq == 2 and fb.signal("c1") == Signal(2, 1)
    assert fb.following_count("c1") == 2  # every seat, before any page has polled
    signal = fb.signal("c1")
    seat = fb.seat("seat-1", "c1")
    assert seat.follows(signal) and not seat.switched_on  # its page has not obeyed yet
    fb.start("seat-1", "c1", Location("pooling", {"pool_kernel_size": 2}), signal.recall)
    seat = fb.seat("seat-1", "c1")
    assert seat.switched_on and seat.recall_seen == 1 and seat.follows(signal)
    fb.stop("seat-1", "c1")  # after obeying, the student may switch off again
    assert not fb.seat("seat-1", "c1").follows(signal)
    assert fb.following_count("c1") == 1
    fb.obeyed("seat-2", "c1", 1)
    assert fb.seat("seat-2", "c1").switched_on
    # a seat that comes after the recall starts off, the recall counted as seen
    late = fb.seat("seat-3", "c1")
    assert not late.follows(signal) and late.recall_seen == 1
    assert fb.following_count("other") == 0


def test_locations_refuse_what_no_link_carries():
    assert Location("pooling", {"pool_stride_default": True}).values == {
        "pool_stride_default": True
    }
    assert Location("", {}).page == ""  # the home page
    assert Location("x", {"r": (1, 2)}).values == {"r": [1, 2]}
    for page, values in [
        ("../etc", {}),
        ("Pooling Page", {}),
        ("pooling", {"cnnviz_user": "x"}),  # the app's own session keys are never set
        ("pooling", {"teacher_secret_input": "x"}),
        ("pooling", {"lang": "ko"}),  # the follower's language stays theirs
        ("pooling", {"k": float("nan")}),
        ("pooling", {"k": {"a": 1}}),
        ("pooling", {"k": "x" * 5000}),
        ("pooling", {f"k{i}": 1 for i in range(300)}),
    ]:
        with pytest.raises(ValueError):
            Location(page, values)
    assert not lesson_key("Pool") and lesson_key("pool_kernel_size")
    # a damaged row is no location (the follower does not move), never an exception
    assert Location.decode("pooling", "{not json") is None
    assert Location.decode("pooling", '{"cnnviz_user": 1}') is None
    assert Location.decode(None, "{}") is None
    assert Location.decode("pooling", None) == Location("pooling")
