"""The cap on runs training at once per client address: each run keeps the address it was
queued from, and the dispatcher starts no run of an address that already trains as many as
``CNNVIZ_MAX_RUNNING_PER_ADDRESS`` allows, whoever queued it (a cleared cookie, a new student
id at the same address, buys no new training slot)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from cnnviz.classroom import Limits, User
from cnnviz.runs import RunManager, RunStore
from cnnviz.runs import queue as Q
from conftest import tiny_config as tiny
from conftest import wait_for

pytestmark = pytest.mark.unit

A, B = "10.0.0.7", "10.0.0.8"


def at(uid: str, address: str | None, role: str = "student") -> User:
    return User(uid, role, address)


class Holding:
    """An executor with ``slots`` slots whose runs train until the test ends them: what the
    dispatcher starts, and when, is seen without training anything."""

    kind = "holding"

    def __init__(self, store: RunStore, slots: int):
        self.store, self.slots = store, slots
        self.running: set[str] = set()
        self.started: list[str] = []
        self._lock = threading.Lock()

    def free_slots(self) -> int:
        with self._lock:
            return self.slots - len(self.running)

    def start(self, run_id, config) -> None:
        with self._lock:
            self.running.add(run_id)
            self.started.append(run_id)

    def finish(self, run_id: str) -> None:
        self.store.set_status(run_id, "finished")
        with self._lock:
            self.running.discard(run_id)

    def cancel(self, run_id) -> None:
        with self._lock:
            self.running.discard(run_id)
        self.store.set_status(run_id, "stopped", only_live=True)

    def poll(self) -> list:
        return []

    def alive(self) -> set[str]:
        with self._lock:
            return set(self.running)

    def shutdown(self) -> None:
        pass


# -- the order (plain data) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queued", "addresses", "at_address", "cap", "want"),
    [
        # (run, user, created) waiting; run → address; address → runs training; cap; next
        ([("r1", "a", 1.0), ("r2", "b", 2.0)], {"r1": A, "r2": B}, {A: 2}, 2, "r2"),
        ([("r1", "a", 1.0), ("r2", "b", 2.0)], {"r1": A, "r2": A}, {A: 2}, 2, None),
        ([("r1", "a", 1.0), ("r2", "b", 2.0)], {"r1": A, "r2": A}, {A: 1}, 2, "r1"),
        ([("r1", "a", 1.0), ("r2", "b", 2.0)], {"r1": A, "r2": A}, {A: 9}, None, "r1"),  # no cap
        ([("r1", "a", 1.0), ("r2", "b", 2.0)], {"r2": A}, {A: 2}, 2, "r1"),  # r1: no address
        ([("r1", None, 1.0)], {}, {A: 5}, 1, "r1"),  # the CLI's, the teacher's: never capped
        # one student's oldest waits for its address; their run from another address goes
        ([("r1", "a", 1.0), ("r2", "a", 2.0)], {"r1": A, "r2": B}, {A: 1}, 1, "r2"),
    ],
)
def test_next_run_skips_runs_of_an_address_at_its_cap(queued, addresses, at_address, cap, want):
    got = Q.next_run(queued, {}, {}, None, addresses, at_address, cap)
    assert got == want


def test_without_addresses_the_order_is_unchanged():
    queued = [("r1", "a", 1.0), ("r2", "b", 2.0), ("r3", "a", 3.0)]
    assert Q.next_run(queued, {"a": 1}, {}, 1) == Q.next_run(queued, {"a": 1}, {}, 1, {}, {}, 1)
    assert Q.next_run(queued, {"a": 1}, {}, 1) == "r2"


# -- the store keeps the address with the run --------------------------------------------------


def test_the_address_is_stored_with_each_run_and_goes_with_it(tmp_path):
    store = RunStore(tmp_path / "s")
    m = RunManager(store, executor=Holding(store, 0))  # no slot: everything waits
    try:
        mine = m.submit_many([(tiny(), None, None, None)] * 2, at("a", A))
        other = m.submit(tiny(), user=at("b", B))
        teachers = m.submit(tiny(), user=at("t", A, "teacher"))  # exempt from the caps
        cli = m.submit(tiny())  # no user, no address
        queued, running = store.address_load()
        assert queued == {mine[0]: A, mine[1]: A, other: B} and running == {}
        assert teachers not in queued and cli not in queued
        # a second store object over the folder (another server process) reads the same
        again = RunStore(store.root)
        assert again.address_load() == (queued, running)
        again.close()
        m.stop(mine[0])
        store.delete(mine[0])
        assert mine[0] not in store.address_load()[0]  # deleted with its run
        db = sqlite3.connect(store.path)
        (n,) = db.execute(
            "SELECT COUNT(*) FROM run_addresses WHERE run_id=?", (mine[0],)
        ).fetchone()
        db.close()
        assert n == 0
    finally:
        m.shutdown()
        store.close()


# -- the dispatcher holds the cap --------------------------------------------------------------


def test_a_new_cookie_at_the_same_address_gets_no_extra_training_slot(tmp_path):
    """Three students at one address (one of them a cleared cookie) and one at another, four
    free slots, at most two training per address: two of the first address train, the other
    address's run trains, the third waits; it starts when one of its address's runs ends."""
    store = RunStore(tmp_path / "s")
    ex = Holding(store, 4)
    m = RunManager(store, executor=ex, limits=Limits(max_running_per_address=2))
    try:
        a1 = m.submit(tiny(), user=at("a", A))
        a2 = m.submit(tiny(), user=at("a-new-cookie", A))
        a3 = m.submit(tiny(), user=at("c", A))
        b1 = m.submit(tiny(), user=at("b", B))
        wait_for(lambda: len(ex.started) == 3, timeout=30)
        m.kick()
        assert not wait_for_or_false(lambda: len(ex.started) > 3, 1.0)  # the third A waits
        assert set(ex.started) == {a1, a2, b1} and store.status(a3) == "queued"
        assert store.address_load() == ({a3: A}, {A: 2, B: 1})
        ex.finish(a1)
        m.kick()
        wait_for(lambda: a3 in ex.started, timeout=30)
        assert store.status(a3) == "running"
    finally:
        m.shutdown()
        store.close()


def test_the_teacher_and_the_cli_are_not_held_by_the_address_cap(tmp_path):
    store = RunStore(tmp_path / "s")
    ex = Holding(store, 4)
    m = RunManager(store, executor=ex, limits=Limits(max_running_per_address=1))
    try:
        s1 = m.submit(tiny(), user=at("a", A))
        t1 = m.submit(tiny(), user=at("t", A, "teacher"))
        c1 = m.submit(tiny())
        s2 = m.submit(tiny(), user=at("b", A))
        wait_for(lambda: len(ex.started) == 3, timeout=30)
        assert set(ex.started) == {s1, t1, c1} and store.status(s2) == "queued"
    finally:
        m.shutdown()
        store.close()


def wait_for_or_false(cond, seconds: float) -> bool:
    """Whether ``cond()`` comes to hold within ``seconds`` (False, not a failure, if not)."""
    try:
        return wait_for(cond, timeout=seconds)
    except AssertionError:
        return False


@pytest.mark.parametrize(("value", "expected"), [(None, 30), ("3", 3), ("0", 30), ("x", 30)])
def test_the_setting(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("CNNVIZ_MAX_RUNNING_PER_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("CNNVIZ_MAX_RUNNING_PER_ADDRESS", value)
    assert Limits.from_env().max_running_per_address == expected
