"""Class sessions (cnnviz.classes): opening and closing, joining by code, display names, the
seat rate limit per address (in the store, so it holds across server processes), a cleared
cookie taking its seat back, the limits and the fair queue counting seats, the teacher's
actions refused to a student, and solo use unchanged without a class."""

from __future__ import annotations

import pytest
import torch
from test_queue_limits import Parked

from cnnviz import classroom as C
from cnnviz.classes import (
    CODE_CHARS,
    CODE_LEN,
    MAX_NAME,
    MINT_WINDOW_S,
    REJOIN_IDLE_S,
    TOUCH_S,
    ClassError,
    Classes,
    clean_name,
)
from cnnviz.runs import RunManager, RunStore
from cnnviz.runs import queue as Q
from cnnviz.runs.service import RunAccessError, RunService
from conftest import tiny_config

pytestmark = pytest.mark.unit

TEACHER = C.User("teacher0", C.TEACHER)
ADDR, OTHER_ADDR = "10.0.0.7", "10.0.0.8"


@pytest.fixture
def store(tmp_path, clock):
    return RunStore(tmp_path / "store", clock=clock)


@pytest.fixture
def classes(store, clock):
    return Classes(store, clock=clock, seats_per_address=50)


@pytest.fixture
def manager(store):
    m = RunManager(store, executor=Parked(), limits=C.Limits(max_queued_per_user=2))
    yield m
    m.shutdown()


def student(uid: str, address: str = ADDR) -> C.User:
    return C.User(uid, C.STUDENT, address)


def submit(service: RunService, user: C.User, n: int = 1) -> list[str]:
    return service.submit(user, [(tiny_config(), "r", None, None)] * n)


# -- opening, closing, the teacher's actions --------------------------------------------------


def test_teacher_opens_a_class_with_a_short_code_and_a_new_one_each_time(classes):
    assert classes.current() is None
    first = classes.open_class(TEACHER)
    assert len(first.code) == CODE_LEN and set(first.code) <= set(CODE_CHARS)
    assert first.is_open and not first.show_names
    assert classes.current() == first
    second = classes.open_class(TEACHER)  # opening closes the class before
    assert second.code != first.code and second.class_id != first.class_id
    assert classes.current() == second
    assert classes.get(first.class_id).closed is not None
    classes.close_class(TEACHER)
    assert classes.current() is None
    assert [c.class_id for c in classes.history()] == [second.class_id, first.class_id]


def test_a_student_is_refused_every_teacher_action(classes):
    ann = student("ann1")
    with pytest.raises(RunAccessError) as err:
        classes.open_class(ann)
    assert err.value.key == "access.teacher"
    assert classes.current() is None
    session = classes.open_class(TEACHER)
    classes.join("ann1", session.code, "Ann", ADDR)
    for action in (
        lambda: classes.close_class(ann),
        lambda: classes.set_show_names(ann, True),
        lambda: classes.roster(ann),
    ):
        with pytest.raises(RunAccessError):
            action()
    assert classes.current() == session  # still open, names still off
    assert [s.name for s in classes.roster(TEACHER)] == ["Ann"]


def test_a_teacher_locked_elsewhere_is_refused(store, clock):
    locked = Classes(store, clock=clock, role_check=lambda user: False)
    with pytest.raises(RunAccessError):
        locked.open_class(TEACHER)
    still = Classes(store, clock=clock, role_check=lambda user: user.id == TEACHER.id)
    assert still.open_class(TEACHER).is_open


def test_closing_keeps_every_seat_and_run(classes, store):
    session = classes.open_class(TEACHER)
    seat = classes.join("ann1", session.code, "Ann", ADDR)
    rid = store.create(tiny_config(), user="ann1", status="finished")
    classes.close_class(TEACHER)
    assert classes.seat_of("ann1") is None  # no class: no seat now
    assert [s.seat_id for s in classes.seats(session.class_id)] == [seat.seat_id]
    assert store.get(rid).user == "ann1"
    with pytest.raises(ClassError) as err:
        classes.join("bob1", session.code, "Bob", ADDR)
    assert err.value.key == "class.none_open"


# -- joining ----------------------------------------------------------------------------------


def test_join_by_code_makes_one_seat_per_browser(classes, clock):
    session = classes.open_class(TEACHER)
    seat = classes.join("ann1", f" {session.code.lower()[:3]}-{session.code[3:]} ", "Ann", ADDR)
    assert (seat.user_id, seat.name, seat.number, seat.class_id) == (
        "ann1", "Ann", 1, session.class_id,
    )  # fmt: skip
    assert seat.pseudonym == "Student 1"
    clock.advance(1)
    again = classes.join("ann1", session.code, "Annie", ADDR)  # the same browser: a new name
    assert again.seat_id == seat.seat_id and again.name == "Annie"
    bob = classes.join("bob1", session.code, "Bob", ADDR)
    assert bob.number == 2
    assert [s.name for s in classes.seats()] == ["Annie", "Bob"]
    assert classes.seat_of("bob1") == bob
    assert classes.seat_of("nobody") is None


@pytest.mark.parametrize("code", ["", "WRONG1", "x" * 1000, None])
def test_a_wrong_code_is_refused(classes, code):
    classes.open_class(TEACHER)
    with pytest.raises(ClassError) as err:
        classes.join("ann1", code, "Ann", ADDR)
    assert err.value.key == "class.bad_code"
    assert classes.seats() == []


def test_no_class_no_join(classes):
    with pytest.raises(ClassError) as err:
        classes.join("ann1", "ABCDEF", "Ann", ADDR)
    assert err.value.key == "class.none_open"


@pytest.mark.parametrize(
    "raw, kept",
    [
        ("  Ann   Lee ", "Ann Lee"),
        ("A\x00n\x1bn\u202e", "Ann"),  # control and bidi characters go
        ("zero\u200bwidth", "zerowidth"),
        ("<img src=x onerror=a()>", "<img src=x onerror=a()>"),
        ("**b** [x](y) $x$", "**b** [x](y) $x$"),  # kept as typed: escaped where shown
        ("김민수", "김민수"),
        ("e\u0301", "\u00e9"),  # one name however it was typed (NFC)
    ],
)
def test_names_are_cleaned_and_kept_as_typed(raw, kept):
    assert clean_name(raw) == kept


@pytest.mark.parametrize(
    "raw, key",
    [("", "class.name_empty"), (" \x00\u200b ", "class.name_empty"),
     ("x" * (MAX_NAME + 1), "class.name_long")],
)  # fmt: skip
def test_empty_and_long_names_are_refused(classes, raw, key):
    session = classes.open_class(TEACHER)
    with pytest.raises(ClassError) as err:
        classes.join("ann1", session.code, raw, ADDR)
    assert err.value.key == key
    assert classes.seats() == []


def test_a_name_is_taken_whatever_its_case_or_width(classes, clock):
    session = classes.open_class(TEACHER)
    classes.join("ann1", session.code, "Ann", ADDR)
    clock.advance(REJOIN_IDLE_S * 10)
    for name in ("ann", "ANN", "Ａｎｎ"):  # from another address: never this seat
        with pytest.raises(ClassError) as err:
            classes.join("eve1", session.code, name, OTHER_ADDR)
        assert err.value.key == "class.name_taken"
    bob = classes.join("bob1", session.code, "Bob", ADDR)
    with pytest.raises(ClassError):  # a seated browser cannot rename onto another's name
        classes.join("bob1", session.code, "ann", ADDR)
    assert classes.seat_of("bob1").name == "Bob" == bob.name
    assert classes.seat_of("ann1").user_id == "ann1"


def test_display_names_pseudonyms_on_the_projector_until_names_are_on(classes):
    session = classes.open_class(TEACHER)
    seat = classes.join("ann1", session.code, "Ann", ADDR)
    assert Classes.display_name(seat, for_projector=False) == "Ann"
    assert Classes.display_name(seat, for_projector=True) == "Student 1"
    assert classes.projector_name(seat) == "Student 1"
    assert classes.projector_name(seat).key == "class.pseudonym"  # translated where shown
    classes.set_show_names(TEACHER, True)
    assert classes.current().show_names
    assert classes.projector_name(seat) == "Ann"
    classes.set_show_names(TEACHER, False)
    assert classes.projector_name(seat) == "Student 1"


# -- the seat rate limit ----------------------------------------------------------------------


def test_seats_cannot_be_minted_faster_than_the_rate_limit(tmp_path, clock):
    # two server processes over one store: the limit is counted in the store
    a = Classes(RunStore(tmp_path / "s", clock=clock), clock=clock, seats_per_address=3)
    b = Classes(RunStore(tmp_path / "s", clock=clock), clock=clock, seats_per_address=3)
    code = a.open_class(TEACHER).code
    a.join("u1", code, "One", ADDR)
    b.join("u2", code, "Two", ADDR)
    a.join("u3", code, "Three", ADDR)
    for classes in (a, b):
        with pytest.raises(ClassError) as err:
            classes.join("u4", code, "Four", ADDR)
        assert err.value.key == "class.seat_rate"
        assert err.value.params["most"] == 3 and 0 < err.value.params["s"] <= MINT_WINDOW_S
    assert len(a.seats()) == 3
    a.join("u1", code, "Uno", ADDR)  # a seated browser renaming makes no seat
    assert b.join("v1", code, "Vee", OTHER_ADDR).number == 4  # another address is not counted
    clock.advance(MINT_WINDOW_S + 1)
    assert a.join("u4", code, "Four", ADDR).number == 5
    # a new class does not reset the limit: the address made its seats lately
    code = a.open_class(TEACHER).code
    for uid in ("w1", "w2"):
        a.join(uid, code, uid, ADDR)
    with pytest.raises(ClassError):
        a.join("w3", code, "w3", ADDR)


def test_seat_rate_limit_from_the_environment(store, clock, monkeypatch):
    monkeypatch.setenv("CNNVIZ_SEATS_PER_ADDRESS", "1")
    classes = Classes(store, clock=clock)
    code = classes.open_class(TEACHER).code
    classes.join("u1", code, "One", ADDR)
    with pytest.raises(ClassError):
        classes.join("u2", code, "Two", ADDR)


# -- a cleared cookie ---------------------------------------------------------------------------


def test_a_cleared_cookie_takes_its_seat_back_with_its_runs(classes, store, clock):
    session = classes.open_class(TEACHER)
    seat = classes.join("old1", session.code, "Ann", ADDR)
    runs = [store.create(tiny_config(), user="old1") for _ in range(2)]
    # the same browser, its cookie cleared: a new id. At once, the name is still in use
    clock.advance(5)
    with pytest.raises(ClassError) as err:
        classes.join("new1", session.code, "Ann", ADDR)
    assert err.value.key == "class.name_busy" and err.value.params["s"] > 0
    clock.advance(REJOIN_IDLE_S)
    key = classes.seat_key(C.User("old1"))
    assert key and len(key) == 6
    back = classes.join("new1", session.code, "ann", ADDR, f" {key.lower()} ")
    assert classes.seat_key(C.User("new1")) == key  # the seat's key stays its own
    assert back.seat_id == seat.seat_id and back.number == 1 and back.user_id == "new1"
    assert classes.seat_of("old1") is None and classes.seat_of("new1") == back
    assert [store.get(r).user for r in runs] == ["new1", "new1"]
    assert len(classes.seats()) == 1
    # the old browser is back: its name is busy again, the other browser was just seen
    with pytest.raises(ClassError):
        classes.join("old1", session.code, "Ann", ADDR)


def test_a_seat_seen_lately_is_not_taken_over(classes, clock):
    session = classes.open_class(TEACHER)
    classes.join("ann1", session.code, "Ann", ADDR)
    for _ in range(5):
        clock.advance(REJOIN_IDLE_S / 2)
        classes.touch("ann1", "pooling")  # Ann works on: her browser is seen
        with pytest.raises(ClassError):
            classes.join("eve1", session.code, "Ann", ADDR)
    assert classes.seat_of("ann1").page == "pooling"


def test_a_name_and_an_address_never_hand_a_seat_over(classes, store, clock):
    """In a classroom every student shares the address and knows the others' names: another
    student who types Ann's name while her browser is away gets neither her seat nor her runs
    (only her seat's key takes it back)."""
    session = classes.open_class(TEACHER)
    seat = classes.join("ann1", session.code, "Ann", ADDR)
    runs = [store.create(tiny_config(), user="ann1") for _ in range(2)]
    classes.join("eve1", session.code, "Eve", ADDR)
    assert classes.seat_key(C.User("eve1")) != classes.seat_key(C.User("ann1"))
    clock.advance(REJOIN_IDLE_S * 10)  # Ann's laptop sleeps
    for uid, key in (("eve2", ""), ("eve2", "WRONG1"), ("eve2", classes.seat_key(C.User("eve1")))):
        with pytest.raises(ClassError) as err:
            classes.join(uid, session.code, "Ann", ADDR, key)
        assert err.value.key == "class.seat_key"
    with pytest.raises(ClassError):  # a seated browser cannot rename onto her name either
        classes.join("eve1", session.code, "Ann", ADDR, classes.seat_key(C.User("ann1")))
    assert classes.seat_of("ann1") == seat and classes.seat_of("eve2") is None
    assert [store.get(r).user for r in runs] == ["ann1", "ann1"]
    assert classes.seat_key(C.User("eve2")) is None and classes.seat_key(C.User("x")) is None


# -- the limits count seats ---------------------------------------------------------------------


def test_while_a_class_is_open_a_student_starts_runs_only_from_a_seat(classes, manager, store):
    service = RunService(manager)
    submit(service, student("solo1"))  # no class: as today
    session = classes.open_class(TEACHER)
    with pytest.raises(ClassError) as err:
        submit(service, student("solo2"))
    assert err.value.key == "class.join_first"
    assert store.queued_counts("solo2")[0] == 0
    submit(service, TEACHER)  # the teacher needs no seat
    classes.join("solo2", session.code, "Sol", ADDR)
    submit(service, student("solo2"))
    classes.close_class(TEACHER)
    submit(service, student("solo3"))  # closed: as today again


def test_clearing_the_cookie_between_starts_does_not_raise_the_queue_share(
    classes, manager, store, clock
):
    """The identity acceptance: one browser at one address clears its cookie between Starts
    (a new user id each time) and joins the class again; its queued runs stay within one
    seat's cap, and an honest student's run queued first stays ahead of all of them."""
    service = RunService(manager)
    code = classes.open_class(TEACHER).code
    classes.join("bob1", code, "Bob", OTHER_ADDR)
    classes.join("eve1", code, "Eve", ADDR)
    key = classes.seat_key(C.User("eve1"))
    submit(service, student("eve1"), 2)  # Eve's cap (2)
    clock.advance(1)
    (honest,) = submit(service, student("bob1", OTHER_ADDR))
    queued_by_eve = 2
    for i in range(2, 8):
        uid = f"eve{i}"
        clock.advance(1)
        with pytest.raises(ClassError):  # a fresh cookie has no seat: no run
            submit(service, student(uid))
        clock.advance(REJOIN_IDLE_S)  # joins again under her name: her own seat
        seat = classes.join(uid, code, "Eve", ADDR, key)
        assert seat.number == 2
        with pytest.raises(C.LimitError) as err:
            submit(service, student(uid))
        assert err.value.key == "limit.user_queue"
        assert store.queued_counts(uid)[0] == queued_by_eve
    assert len(classes.seats()) == 2
    order = Q.positions(store.queued(), *store.user_load())
    eve_runs = [rid for rid, user, _ in store.queued() if user == "eve7"]
    assert len(eve_runs) == 2  # her first two, now her seat's browser's
    assert order[honest] == 1  # queued after hers, yet first: clearing never moved her ahead
    assert sorted(order[r] for r in eve_runs) == [2, 3]


def test_a_new_seat_is_counted_as_already_served(classes, manager, store, clock):
    """A browser that takes a new name instead gets a new seat, which starts as served now:
    the runs queued before it keep their places."""
    service = RunService(manager)
    code = classes.open_class(TEACHER).code
    classes.join("bob1", code, "Bob", OTHER_ADDR)
    classes.join("eve1", code, "Eve", ADDR)
    submit(service, student("eve1"))
    clock.advance(1)
    (honest,) = submit(service, student("bob1", OTHER_ADDR))
    clock.advance(1)
    classes.join("eve2", code, "Eve 2", ADDR)
    (fresh,) = submit(service, student("eve2"))
    running, served = store.user_load()
    assert served["eve2"] == pytest.approx(clock.t)
    # an identity seen long ago (it acted before the class) gets a seat: served now too
    store.note_user("old1")
    clock.advance(3600)
    classes.join("old1", code, "Olga", OTHER_ADDR)
    assert store.user_load()[1]["old1"] == pytest.approx(clock.t)
    order = Q.positions(store.queued(), running, served)
    assert order[honest] < order[fresh]


def test_the_disk_quota_counts_the_seat(classes, store, clock):
    code = classes.open_class(TEACHER).code
    classes.join("old1", code, "Ann", ADDR)
    limits = C.Limits(user_quota_mb=2, store_quota_mb=1000)
    mb = 2**20
    for _ in range(2):
        rid = store.create(tiny_config(), user="old1", status="finished")
        store.save_state_dict(rid, {"w": torch.zeros(300_000)})  # 1.2 MB
    clock.advance(REJOIN_IDLE_S)
    classes.join("new1", code, "Ann", ADDR, classes.seat_key(C.User("old1")))
    rid = store.create(tiny_config(), user="new1", status="finished")
    store.save_state_dict(rid, {"w": torch.zeros(300_000)})
    usage = store.disk_usage()
    assert {r["user"] for r in usage} == {"new1"}
    assert sum(r["size"] for r in usage) > 3 * mb
    trimmed = C.runs_to_trim(usage, limits, now=clock.t)
    assert len(trimmed) == 2  # the seat's three runs against one quota: the two oldest go


# -- keeping track --------------------------------------------------------------------------------


def test_touch_records_the_page_and_writes_at_most_every_few_seconds(classes, store, clock):
    code = classes.open_class(TEACHER).code
    joined = classes.join("ann1", code, "Ann", ADDR).joined
    assert classes.touch("nobody", "home") is False  # no seat: nothing
    clock.advance(1)
    assert classes.touch("ann1", "pooling") is True
    assert classes.touch("ann1", "pooling") is None  # too soon: not looked up
    seat = classes.seat_of("ann1")
    assert (seat.page, seat.last_seen) == ("pooling", joined + 1)
    writes = []
    store.touch_seat = lambda *a: writes.append(a)
    for _ in range(10):
        clock.advance(TOUCH_S / 10)
        classes.touch("ann1", "pooling")
    assert len(writes) == 1  # one write in ten calls over TOUCH_S
    classes.touch("ann1", "training")  # a new page: at once
    assert len(writes) == 2 and writes[-1][1] == "training"
    classes.touch("ann1", "x" * 500)
    assert len(writes[-1][1]) <= 64


def test_a_new_seats_first_page_view_is_noted_at_once(classes, clock):
    code = classes.open_class(TEACHER).code
    classes.touch("ann1", "classroom")  # not seated yet: nothing to note
    classes.join("ann1", code, "Ann", ADDR)
    clock.advance(1)
    classes.touch("ann1", "classroom")  # the same page within TOUCH_S, but a new seat
    assert classes.seat_of("ann1").page == "classroom"


def test_without_a_class_nothing_changes(classes, manager, store):
    service = RunService(manager)
    assert classes.current() is None and classes.seats() == []
    assert not classes.needs_seat(student("ann1"))
    classes.check_may_run(student("ann1"))
    submit(service, student("ann1"), 2)
    assert store.queued_counts("ann1")[0] == 2
    classes.touch("ann1", "home")
    assert classes.seat_of("ann1") is None
