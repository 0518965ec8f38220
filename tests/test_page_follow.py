"""The "Follow the teacher" switch on the pages: only a seated student in an open class sees
it; switched on, the lesson's settings take the teacher's (their own are kept), a move of the
teacher reaches them and not a student who does not follow; switched off, their own settings
come back; the teacher's page publishes where it is, and "Bring everyone here" turns a student
on who had not switched."""

from __future__ import annotations

import pytest
from classpages import FOLLOW_PAGE
from streamlit.testing.v1 import AppTest

from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User
from cnnviz.follow import Follow, Location
from conftest import APPTEST_TIMEOUT, assert_clean
from ui.identity import TOKEN, store_and_key

pytestmark = pytest.mark.apptest
ANN, BOB = User("a" * 16), User("b" * 16)
TEACHER_USER = User("t" * 16, TEACHER)
# The sidebar, then a lesson widget bound to the address (as Pooling's), then what app.py
# does after the page: a page of its own, without the router.
PAGE = FOLLOW_PAGE


def page_as(user: User, token: str | None = None) -> AppTest:
    at = AppTest.from_string(PAGE, default_timeout=APPTEST_TIMEOUT)
    at.session_state["cnnviz_user"] = user
    if token:
        at.session_state[TOKEN] = token
    return at.run()


@pytest.fixture
def lesson(monkeypatch):
    """An open class with Ann and Bob seated; the teacher's token."""
    store = store_and_key()[0]
    monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", "open sesame")
    token = store.issue_teacher_token(TEACHER_USER.id, "open sesame", 3600)
    classes = Classes(store)
    session = classes.open_class(TEACHER_USER)
    classes.join(ANN.id, session.code, "Ann", "10.0.0.1")
    classes.join(BOB.id, session.code, "Bob", "10.0.0.2")
    return store, session.class_id, token


def kernel(at) -> int:
    return at.slider(key="pool_kernel_size").value


def test_no_switch_without_a_seat(lesson):
    at = page_as(User("c" * 16))  # in the room, not joined
    assert_clean(at)
    assert "follow_switch" not in {t.key for t in at.toggle}
    Classes(lesson[0]).close_class(TEACHER_USER)
    at = page_as(ANN)  # joined, but the class has ended
    assert "follow_switch" not in {t.key for t in at.toggle}


def test_following_takes_the_teachers_settings_and_gives_back_ones_own(lesson):
    store, class_id, token = lesson
    teacher = page_as(TEACHER_USER, token)
    assert_clean(teacher)
    teacher.slider(key="pool_kernel_size").set_value(5).run()  # published: the page changed
    where, signal = Follow(store).teacher_location(class_id)
    assert where.values["pool_kernel_size"] == 5 and where.values["pool_mode"] == "max"
    teacher.run()  # unchanged: nothing new written
    assert Follow(store).signal(class_id) == signal

    ann, bob = page_as(ANN), page_as(BOB)
    assert_clean(ann)
    assert not ann.toggle(key="follow_switch").value
    ann.slider(key="pool_kernel_size").set_value(2).run()  # Ann's own setting
    bob.slider(key="pool_kernel_size").set_value(6).run()
    ann.toggle(key="follow_switch").set_value(True).run()
    assert_clean(ann)
    assert ann.toggle(key="follow_switch").value
    assert kernel(ann) == 5  # the teacher's

    teacher.slider(key="pool_kernel_size").set_value(7).run()
    teacher.radio(key="pool_mode").set_value("avg").run()
    ann.run()  # the follower's poll (its fragment runs in every full run too)
    bob.run()
    assert kernel(ann) == 7 and ann.radio(key="pool_mode").value == "avg"
    assert kernel(bob) == 6  # Bob does not follow: his own setting stays

    ann.toggle(key="follow_switch").set_value(False).run()
    assert_clean(ann)
    assert kernel(ann) == 2 and ann.radio(key="pool_mode").value == "max"  # her own, back
    teacher.slider(key="pool_kernel_size").set_value(4).run()
    ann.run()
    assert kernel(ann) == 2  # switched off: she explores on her own


def test_a_change_sent_before_a_move_arrived_does_not_undo_it(lesson):
    """A browser that sends a change before the teacher's move reached it sends the settings
    from before the move too: the moved ones are put back (once); the student's own change to
    another setting stays, and a second change to the old value is the student's."""
    store, class_id, token = lesson
    teacher = page_as(TEACHER_USER, token)
    teacher.slider(key="pool_kernel_size").set_value(4).run()
    ann = page_as(ANN)
    ann.toggle(key="follow_switch").set_value(True).run()
    assert kernel(ann) == 4
    teacher.slider(key="pool_kernel_size").set_value(6).run()
    ann.run()  # the move
    assert kernel(ann) == 6
    ann.slider(key="pool_kernel_size").set_value(4)  # what the browser still held…
    ann.radio(key="pool_mode").set_value("avg").run()  # …sent with the student's own change
    assert_clean(ann)
    assert kernel(ann) == 6 and ann.radio(key="pool_mode").value == "avg"
    ann.slider(key="pool_kernel_size").set_value(4).run()  # now the student's own choice
    assert kernel(ann) == 4
    ann.slider(key="pool_kernel_size").set_value(5).run()
    assert kernel(ann) == 5


def test_bring_everyone_here_turns_every_seat_on(lesson):
    store, class_id, token = lesson
    teacher = page_as(TEACHER_USER, token)
    teacher.slider(key="pool_kernel_size").set_value(6).run()
    bob = page_as(BOB)
    bob.slider(key="pool_kernel_size").set_value(2).run()
    assert not bob.toggle(key="follow_switch").value
    assert "follow_switch" not in {t.key for t in teacher.toggle}  # the teacher leads
    teacher.button(key="follow_bring").click().run()
    assert_clean(teacher)
    assert Follow(store).signal(class_id).recall == 1
    bob.run()
    assert_clean(bob)
    assert bob.toggle(key="follow_switch").value
    assert kernel(bob) == 6
    bob.toggle(key="follow_switch").set_value(False).run()
    assert kernel(bob) == 2  # what he had before the teacher called everyone


def test_a_student_cannot_bring_everyone_or_publish(lesson):
    store, class_id, _ = lesson
    ann = page_as(ANN)
    ann.slider(key="pool_kernel_size").set_value(6).run()
    assert "follow_bring" not in {b.key for b in ann.button}
    assert Follow(store).signal(class_id) is None  # a student's page publishes nothing
    stale = page_as(TEACHER_USER, "not-a-valid-token")  # locked: a student now
    stale.slider(key="pool_kernel_size").set_value(2).run()
    assert Follow(store).signal(class_id) is None
    assert Follow(store).teacher_location(class_id) is None
    assert Location("") == Location("")  # (the page of a script run on its own)


def test_the_watcher_reruns_only_the_pages_that_must_move(lesson):
    """One read per class per tick; a page reruns only when the teacher moved (a follower)
    or called everyone back (every seated page)."""
    from ui.follow import Watcher

    store, class_id, _ = lesson
    rerun: list[str] = []
    watcher = Watcher(store)
    watcher._rerun = lambda sid, fragment=None: rerun.append(sid) or 1  # what a rerun does
    watcher.sessions = {"ann": (class_id, True), "bob": (class_id, False),
                        "elsewhere": ("another-class", True)}  # fmt: skip
    follow = Follow(store)
    follow.publish(TEACHER_USER, class_id, Location("pooling", {"pool_kernel_size": 4}))
    assert watcher.tick() == 0  # the first look: where the teacher is now, no move
    for _ in range(3):
        assert watcher.tick() == 0 and rerun == []  # the teacher stays: nothing reruns
    follow.publish(TEACHER_USER, class_id, Location("pooling", {"pool_kernel_size": 5}))
    assert watcher.tick() == 1 and rerun == ["ann"]  # the follower only
    assert watcher.tick() == 0
    rerun.clear()
    follow.bring_everyone(TEACHER_USER, class_id, Location("pooling", {"pool_kernel_size": 5}))
    watcher.tick()
    assert sorted(rerun) == ["ann", "bob"]  # a recall: every seated page of the class
    assert watcher.reruns == 3


def test_a_move_inside_one_fragment_reruns_only_that_fragment(lesson):
    """The watcher knows each follower's fragments (from its last full run): a move whose
    changed settings all live in one of them reruns only it, and hands it the location once;
    a move across fragments, to another page, or to a page it does not know yet reruns the
    whole page."""
    from ui.follow import Watcher

    store, class_id, _ = lesson
    calls: list[tuple[str, str | None]] = []
    watcher = Watcher(store)
    watcher._rerun = lambda sid, fragment=None: calls.append((sid, fragment)) or 1
    watcher.sessions = {"ann": (class_id, True), "cy": (class_id, True),
                        "bob": (class_id, False)}  # fmt: skip
    pool = {"pool_kernel_size": "f-try", "pool_mode": "f-try", "pool_shift": "f-shift"}
    for sid in ("ann", "bob"):
        watcher.note_page(sid, "pooling", pool)
    watcher.note_page("cy", "padding_stride", {"pad_kernel_h": "f-pad"})
    watcher.note_page("someone gone", "pooling", pool)  # not registered: not kept
    assert "someone gone" not in watcher.pages
    follow = Follow(store)

    def move(page: str, **values) -> list[tuple[str, str | None]]:
        calls.clear()
        follow.publish(TEACHER_USER, class_id, Location(page, values))
        watcher.tick()
        return sorted(calls)

    assert move("pooling", pool_kernel_size=3, pool_shift=1) == []  # the first look
    assert move("pooling", pool_kernel_size=4, pool_shift=1) == [("ann", "f-try"), ("cy", None)]
    signal, target = watcher.take_move("ann")
    assert target.values == {"pool_kernel_size": 4, "pool_shift": 1}
    assert signal == follow.signal(class_id)
    assert watcher.take_move("ann") is None and watcher.take_move("cy") is None  # once
    assert move("pooling", pool_kernel_size=5, pool_shift=2) == [("ann", None), ("cy", None)]
    assert move("pooling", pool_kernel_size=5, pool_shift=2, pool_mode="avg") == [
        ("ann", "f-try"), ("cy", None)]  # fmt: skip
    assert move("padding_stride", pad_kernel_h=2) == [("ann", None), ("cy", None)]
    assert move("padding_stride", pad_kernel_h=3) == [("ann", None), ("cy", "f-pad")]


def test_a_teachers_move_wakes_the_watcher_of_its_process(lesson, monkeypatch):
    """The teacher's page, having published a move, wakes this process's watcher: it looks at
    the store at once instead of at its next tick (here a minute away)."""
    import threading

    import ui.follow as F

    store, _, token = lesson
    monkeypatch.setattr(F, "WATCH_S", 60.0)
    watcher = F.Watcher(store)
    monkeypatch.setattr(F, "_watcher", lambda _store: watcher)  # this process's watcher
    looked = threading.Event()
    watcher.tick = lambda: looked.set() or 0
    teacher = page_as(TEACHER_USER, token)  # its first location: published, a wake
    assert watcher.woken.is_set()
    watcher.woken.clear()
    loop = threading.Thread(target=watcher._loop, daemon=True)
    loop.start()
    assert not looked.wait(0.5)  # no move since: the watcher waits its tick
    teacher.run()  # nothing new published: still no look
    assert not looked.wait(0.5)
    teacher.slider(key="pool_kernel_size").set_value(6).run()  # a move: published
    assert looked.wait(10)
    watcher.close()
    loop.join(10)
    assert not loop.is_alive()


def test_a_moves_reruns_go_out_a_few_at_a_time_in_turn(lesson, monkeypatch):
    """The pages a move reruns are asked in turn, at most RERUNS_AT_ONCE running at once: a
    rerun frees its place when its session holds no script runner any more."""
    import threading
    import types

    import ui.follow as F

    monkeypatch.setattr(F, "RERUNS_AT_ONCE", 2)
    watcher = F.Watcher(lesson[0])
    asked, running, most = [], [], []
    lock = threading.Lock()

    def rerun(sid, fragment_id=None):
        with lock:
            asked.append(sid)
            running.append(sid)
            most.append(len(running))
            watcher.started[sid] = types.SimpleNamespace(_scriptrunner=object())
        return 1

    def end_runs(stop: threading.Event) -> None:  # each run ends a little later, in turn
        while not stop.is_set():
            with lock:
                if running:
                    watcher.started[running.pop(0)]._scriptrunner = None
            stop.wait(0.01)

    watcher._rerun = rerun
    stop = threading.Event()
    ender = threading.Thread(target=end_runs, args=(stop,), daemon=True)
    ender.start()
    due = {f"s{i}": None for i in range(7)}
    assert watcher._rerun_all(due) == 7
    stop.set()
    ender.join(5)
    assert asked == list(due) and max(most) <= 2


def test_a_full_collection_runs_once_a_moves_reruns_have_ended(lesson, monkeypatch):
    """Python's full collection runs after a move's reruns have all ended (not during them),
    at most once per COLLECT_AFTER_MOVE_S; a tick that reran nobody collects nothing."""
    import types

    import ui.follow as F

    watcher = F.Watcher(lesson[0])
    events = []

    def rerun(sid, fragment_id=None):
        events.append(("rerun", sid))
        watcher.started[sid] = types.SimpleNamespace(_scriptrunner=None)  # ended at once
        return 1

    def collect(*args):
        events.append(("collect", args))
        return 0

    watcher._rerun = rerun
    monkeypatch.setattr(F.gc, "collect", collect)
    watcher.collected -= F.COLLECT_AFTER_MOVE_S + 1
    assert watcher._rerun_all({"s0": None, "s1": "f"}) == 2
    assert events == [("rerun", "s0"), ("rerun", "s1"), ("collect", ())]
    assert watcher._rerun_all({"s2": None}) == 1  # collected just now: not again
    assert watcher._rerun_all({}) == 0
    assert [e for e in events if e[0] == "collect"] == [("collect", ())]
