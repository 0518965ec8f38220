"""State that several server processes over one store share, tested with the store's clock set
by hand (no sleeps): the dispatcher lease (taken, renewed, refused while held, taken over once
it expires or its process is gone, released), a claim fenced by the lease, one dispatcher
among several managers, and the secret's guesses and new identities counted in the store by
every process together."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import pytest

from cnnviz import classroom as C
from cnnviz.runs import RunManager, RunStore
from cnnviz.runs.dispatcher import LEASE
from cnnviz.runs.shared import LEASE_S, lease_holder_name
from conftest import tiny_config, wait_for

pytestmark = pytest.mark.unit

SECRET = "open sesame"


@pytest.fixture
def store(tmp_path, clock):
    return RunStore(tmp_path / "s", clock=clock)


def other_store(store: RunStore) -> RunStore:
    """A second connection to the same store (another server process, as far as SQLite and
    the lease can tell), on the same clock."""
    return RunStore(store.root, clock=store.clock)


def a_gone_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


# -- the lease -------------------------------------------------------------------------------
def test_one_holder_at_a_time_until_it_expires(store, clock):
    a, b = f"elsewhere:1:{'a' * 8}", f"elsewhere:2:{'b' * 8}"  # no process to ask: expiry only
    other = other_store(store)
    assert store.hold_lease(LEASE, a)
    assert not other.hold_lease(LEASE, b)
    assert other.lease_holder(LEASE) == a
    clock.t += LEASE_S - 0.5
    assert store.hold_lease(LEASE, a)  # renewed: another LEASE_S from now
    clock.t += LEASE_S - 0.5
    assert not other.hold_lease(LEASE, b)
    clock.t += 0.6  # not renewed for LEASE_S: the holder died or hangs
    assert store.lease_holder(LEASE) is None
    assert other.hold_lease(LEASE, b)
    assert not store.hold_lease(LEASE, a)  # the old holder cannot come back while b renews
    assert store.lease_holder(LEASE) == b


def test_a_release_hands_the_lease_over_at_once(store):
    a, b = "elsewhere:1:aaaa", "elsewhere:2:bbbb"
    assert store.hold_lease(LEASE, a)
    assert not store.release_lease(LEASE, b)  # only its holder releases it
    assert not store.hold_lease(LEASE, b)
    assert store.release_lease(LEASE, a)
    assert store.hold_lease(LEASE, b)


def test_a_holder_gone_from_this_host_lets_go_at_once(store):
    gone = lease_holder_name("dead" * 8, a_gone_pid())
    assert store.hold_lease(LEASE, gone)
    me = lease_holder_name("live" * 8, os.getpid())
    assert store.hold_lease(LEASE, me)  # no wait for the expiry
    assert not store.hold_lease(LEASE, gone)


def test_a_waiting_process_writes_nothing(store):
    store.hold_lease(LEASE, "elsewhere:1:aaaa")
    before = store._db.total_changes
    for _ in range(50):
        assert not store.hold_lease(LEASE, "elsewhere:2:bbbb")
    assert store._db.total_changes == before


def test_a_claim_holds_only_for_the_leases_holder(store, clock):
    run = store.create(tiny_config(), name="queued")
    store.hold_lease(LEASE, "elsewhere:1:aaaa")
    assert not store.claim(run, "token-b", (LEASE, "elsewhere:2:bbbb"))
    assert store.status(run) == "queued"
    assert store.claim(run, "token-a", (LEASE, "elsewhere:1:aaaa"))
    assert store.status(run) == "running"


# -- one dispatcher among managers -----------------------------------------------------------
class Recording:
    """An executor that starts nothing real: it records which runs it was given (and, while
    ``hang`` is set, blocks the dispatcher in ``poll``, as a process that hangs)."""

    kind = "recording"

    def __init__(self, slots: int = 4):
        self.slots, self.started, self.polls = slots, [], 0
        self.hang = threading.Event()
        self.hung = threading.Event()

    def free_slots(self) -> int:
        return self.slots

    def start(self, run_id, config) -> None:
        self.started.append(run_id)

    def cancel(self, run_id) -> None:
        pass

    def poll(self) -> list:
        self.polls += 1
        while self.hang.is_set():
            self.hung.set()
            threading.Event().wait(0.01)
        return []

    def alive(self) -> set[str]:
        return set()

    def shutdown(self) -> None:
        self.hang.clear()


def test_only_the_leases_holder_dispatches_and_a_waiting_one_takes_over(store, clock):
    ex_a, ex_b = Recording(), Recording()
    a = RunManager(store, executor=ex_a)
    wait_for(lambda: a.dispatching, timeout=10)
    b = RunManager(other_store(store), executor=ex_b)
    try:
        ids = [b.submit(tiny_config(), name=f"r{i}") for i in range(3)]  # queued through b
        wait_for(lambda: len(ex_a.started) == 3, timeout=10)
        assert sorted(ex_a.started) == sorted(ids) and ex_b.started == []
        assert not b.dispatching and ex_b.polls == 0  # a waiting process starts no worker
        ex_a.hang.set()  # a's dispatcher hangs (a paused process): its lease runs out
        ex_a.hung.wait(10)
        clock.t += LEASE_S + 0.1
        wait_for(lambda: b.dispatching, timeout=10)
        more = a.submit(tiny_config(), name="after")  # any process queues; b starts it
        wait_for(lambda: more in ex_b.started, timeout=10)
        ex_a.hang.clear()  # a wakes up: it learns it lost the lease and starts nothing more
        wait_for(lambda: not a.dispatching, timeout=10)
        late = a.submit(tiny_config(), name="late")
        wait_for(lambda: late in ex_b.started, timeout=10)
        assert more not in ex_a.started and late not in ex_a.started
    finally:
        b.shutdown()
        a.shutdown()


def test_a_manager_that_shuts_down_hands_dispatch_over(store):
    ex_a, ex_b = Recording(), Recording()
    a = RunManager(store, executor=ex_a)
    wait_for(lambda: a.dispatching, timeout=10)
    b = RunManager(other_store(store), executor=ex_b)
    a.shutdown()  # releases the lease: no expiry to wait for (the clock stands still)
    wait_for(lambda: b.dispatching, timeout=10)
    run = b.submit(tiny_config())
    wait_for(lambda: run in ex_b.started, timeout=10)
    b.shutdown()


def test_the_queue_is_the_stores_in_every_process(store):
    ex_a, ex_b = Recording(slots=0), Recording(slots=0)
    a = RunManager(store, executor=ex_a)
    b = RunManager(other_store(store), executor=ex_b)
    try:
        first = a.submit(tiny_config(), user="ann")
        store.clock.t += 1
        second = b.submit(tiny_config(), user="bob")
        assert a.queue_positions() == b.queue_positions() == {first: 1, second: 2}
    finally:
        a.shutdown()
        b.shutdown()


# -- limits counted in the store -------------------------------------------------------------
def test_guesses_count_together_across_processes(store, clock):
    one = C.SecretGuesses(per_address=5, overall=20, window_s=600, store=store)
    two = C.SecretGuesses(per_address=5, overall=20, window_s=600, store=other_store(store))
    results = [(one if i % 2 else two).check("wrong", SECRET, "10.0.0.7") for i in range(5)]
    assert results == [False] * 5
    for g in (one, two):
        with pytest.raises(C.LimitError) as exc:
            g.check(SECRET, SECRET, "10.0.0.7")  # even the right one waits out the window
        assert exc.value.key == "secret.guesses" and exc.value.params["s"] == 600
    assert two.check(SECRET, SECRET, "10.0.0.8")  # another address is not blocked
    assert one.check(SECRET, SECRET, "10.0.0.8")  # and a right guess is not counted
    clock.t += 601
    assert one.check(SECRET, SECRET, "10.0.0.7")


def test_parallel_guesses_in_the_store_meet_both_limits(store):
    stores = [store, other_store(store)]
    guesses = [C.SecretGuesses(per_address=5, overall=20, window_s=600, store=s) for s in stores]
    refused: list = []

    def guess(i):
        try:
            guesses[i % 2].check("wrong", SECRET, f"10.0.1.{i % 7}")
        except C.LimitError:
            refused.append(i)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 30  # 20 counted in all, at most 5 from each of 7 addresses


def test_new_identities_count_together_across_processes(store, clock, caplog):
    one = C.NewIdentities(per_hour=3, store=store)
    two = C.NewIdentities(per_hour=3, store=other_store(store))
    made = [one.identity("10.0.0.7"), two.identity("10.0.0.7"), one.identity("10.0.0.7")]
    with caplog.at_level(logging.WARNING, logger="cnnviz"):
        made += [two.identity("10.0.0.7"), one.identity("10.0.0.7")]
    assert len(set(made)) == 5  # never another browser's identity, past the limit too
    assert caplog.text.count("more than 3 this hour") == 2  # counted across both processes
    assert two.identity("10.0.0.8") not in made
    clock.t += 3601
    with caplog.at_level(logging.WARNING, logger="cnnviz"):
        assert one.identity("10.0.0.7") not in made
    assert caplog.text.count("more than 3 this hour") == 2  # a new hour: under the limit
    assert store._q("SELECT COUNT(*) FROM rate_events WHERE at <= ?", (clock.t - 3600,)) == [
        (0,)
    ]  # old events are forgotten


def test_the_address_queue_cap_counts_every_process(store, clock):
    """Students behind one address who land on different server processes share its cap."""
    limits = C.Limits(max_queued_per_user=4, max_queued_per_address=5)
    a = RunManager(store, executor=Recording(slots=0), limits=limits)
    b = RunManager(other_store(store), executor=Recording(slots=0), limits=limits)
    try:
        entries = [(tiny_config(), None, None, None)]
        a.submit_many(entries * 4, C.User("a" * 16, C.STUDENT, "10.0.0.7"))
        clock.t += 1
        with pytest.raises(C.LimitError) as err:
            b.submit_many(entries * 2, C.User("b" * 16, C.STUDENT, "10.0.0.7"))
        assert err.value.key == "limit.address_queue"
        b.submit_many(entries, C.User("b" * 16, C.STUDENT, "10.0.0.7"))  # 5: at the cap
        b.submit_many(entries * 2, C.User("c" * 16, C.STUDENT, "10.0.0.8"))  # elsewhere
    finally:
        a.shutdown()
        b.shutdown()
