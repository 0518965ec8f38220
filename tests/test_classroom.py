"""A class on one server: round-robin across students, queue caps, big runs refused for
students, quotas and retention, signed identities."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
import torch

from cnnviz.classroom import (
    STUDENT,
    TEACHER,
    LimitError,
    Limits,
    User,
    can_control,
    can_view,
    sign,
    verify,
)
from cnnviz.models import PRESETS
from cnnviz.runs import RunManager, RunStore
from cnnviz.runs.executors import Ended
from cnnviz.runs.queue import next_run, positions
from cnnviz.train import RunConfig

pytestmark = pytest.mark.unit

CFG = RunConfig(PRESETS["LeNet"], num_epochs=1, limit=256, val_limit=128)
ANN, BOB = User("a" * 16), User("b" * 16)


class OneSlot:
    """An executor with one slot that trains nothing: each started run ends at the next poll,
    in the order the dispatcher chose."""

    kind, slots = "fake", 1

    def __init__(self, store):
        self.store, self.order, self.current = store, [], None

    def free_slots(self):
        return 0 if self.current else 1

    def start(self, run_id, config):
        self.order.append(run_id)
        self.current = run_id

    def cancel(self, run_id):
        pass

    def poll(self):
        if self.current is None:
            return []
        run_id, self.current = self.current, None
        self.store.set_status(run_id, "finished")
        return [Ended(run_id)]

    def alive(self):
        return {self.current} if self.current else set()

    def shutdown(self):
        pass


class NoSlot(OneSlot):
    """Every run stays queued."""

    def free_slots(self):
        return 0


class Ticking:
    """A store's clock that moves on a millisecond at every reading: distinct start times
    without sleeping."""

    def __init__(self):
        self.ticks = itertools.count(1)  # next() is atomic: the dispatcher reads it too

    def __call__(self) -> float:
        return 1_800_000_000.0 + next(self.ticks) / 1000


def test_round_robin_two_students_five_runs_each(tmp_path):
    store = RunStore(tmp_path / "s", clock=Ticking())
    limits = Limits(max_queued_per_user=10)
    ex = OneSlot(store)
    # Ann queues five runs first, then Bob five: Bob's first run waits for one of Ann's only.
    ann = [store.create(CFG, name=f"ann{i}", user=ANN.id) for i in range(5)]
    bob = [store.create(CFG, name=f"bob{i}", user=BOB.id) for i in range(5)]
    order = positions(store.queued(), *store.user_load())
    assert [order[r] for r in ann] == [1, 3, 5, 7, 9]
    assert [order[r] for r in bob] == [2, 4, 6, 8, 10]
    m = RunManager(store, executor=ex, limits=limits)  # adopts them (no live owner)
    deadline = time.time() + 30
    while len(ex.order) < 10 and time.time() < deadline:
        m.kick()
        time.sleep(0.05)
    m.shutdown()
    assert ex.order == [x for pair in zip(ann, bob, strict=True) for x in pair]


def test_next_run_caps_running_per_user_but_not_scripts():
    queued = [("a1", "ann", 1.0), ("a2", "ann", 2.0), ("b1", "bob", 3.0), ("s1", None, 0.5)]
    assert next_run(queued, {"ann": 1}, {}, 1) in ("b1", "s1")
    assert next_run(queued, {"ann": 1, "bob": 1, None: 5}, {}, 1) == "s1"
    assert next_run([("a1", "ann", 1.0)], {"ann": 1}, {}, 1) is None
    assert next_run(queued, {}, {"ann": 10.0, "bob": 5.0, None: 20.0}, None) == "b1"


def test_caps_and_big_runs_give_clear_messages(tmp_path):
    store = RunStore(tmp_path / "s")
    limits = Limits(max_queued_per_user=2, max_queued=3, student_max_run_s=600)
    m = RunManager(store, executor=NoSlot(store), limits=limits)
    with pytest.raises(LimitError, match="students may start runs of up to 10 min"):
        m.submit_many([(CFG, "big", None, None)], User("d" * 16), estimate_s=3600)
    m.submit_many([(CFG, "a", None, None)] * 2, ANN)
    with pytest.raises(LimitError, match="at most 2 at a time"):
        m.submit(CFG, user=ANN)
    m.submit(CFG, user=BOB)
    with pytest.raises(LimitError, match="class queue is full"):
        m.submit(CFG, user=User("c" * 16))
    teacher = User("e" * 16, TEACHER)
    m.submit_many([(CFG, "big", None, None)] * 5, teacher, estimate_s=36_000)  # exempt
    assert store.queued_counts(ANN.id) == (2, 8)
    # a group is all or nothing
    with pytest.raises(LimitError):
        m.submit_many([(CFG, "v", "g", None)] * 3, BOB)
    assert store.queued_counts(BOB.id)[0] == 1
    m.shutdown()


def test_quota_and_retention_remove_weights_but_keep_metrics(tmp_path):
    store = RunStore(tmp_path / "s")
    limits = Limits(user_quota_mb=2, retention_days=14, store_quota_mb=1000)
    big = {"w": torch.zeros(300_000)}  # 1.2 MB of weights each
    rec = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0, "val_acc": 0.5,
           "examples_per_s": 100.0, "seconds": 1.0}  # fmt: skip

    def run(user, age_days=0.0, pinned=False, role=None):
        rid = store.create(CFG, user=user, status="finished")
        store.add_epoch(rid, rec)
        store.save_state_dict(rid, big)
        store._x("UPDATE runs SET created=? WHERE run_id=?", (time.time() - age_days * 86400, rid))
        if pinned:
            store.set_pinned(rid, True)
        if role:
            store.set_user_role(user, role, "k")
        return rid

    old = run(ANN.id, age_days=30)
    old_pinned = run(BOB.id, age_days=30, pinned=True)
    teacher_old = run("t" * 16, age_days=30, role=TEACHER)
    ann_new1, ann_new2 = run(ANN.id, 2), run(ANN.id, 1)  # Ann: 2.4 MB now, quota 2 MB
    m = RunManager(store, executor=NoSlot(store), limits=limits)  # its dispatcher may be first
    m.housekeeping()
    assert "older than 14 days" in store.get(old).notice
    assert "quota" in store.get(ann_new1).notice  # the oldest first, and just enough
    for rid in (old, ann_new1):
        assert store.load_state_dict(rid) is None
        assert len(store.metrics_rows(rid)) == 1  # the metrics stay
        assert "weights were removed" in store.get(rid).notice
    for rid in (ann_new2, old_pinned, teacher_old):
        assert store.load_state_dict(rid) is not None and store.get(rid).notice is None
    assert m.housekeeping() == []  # nothing more to do
    runs = {r.run_id: r for r in store.list_runs()}
    assert runs[old].size_mb < 0.1 and runs[ann_new2].size_mb > 1
    m.shutdown()


def test_housekeeping_at_once_from_many_threads_trims_each_run_once(tmp_path):
    """The dispatcher's round and a direct call can meet: each run is trimmed by one of them,
    once, and says so by the time that call returns."""
    store = RunStore(tmp_path / "s")
    limits = Limits(user_quota_mb=1000, retention_days=14, store_quota_mb=1000)
    old = []
    for _ in range(6):
        rid = store.create(CFG, user=ANN.id, status="finished")
        store.save_state_dict(rid, {"w": torch.zeros(1000)})
        store._x("UPDATE runs SET created=? WHERE run_id=?", (time.time() - 30 * 86400, rid))
        old.append(rid)
    read = store.disk_usage

    def slow_read():  # every caller reads before any trims, unless they take turns
        usage = read()
        time.sleep(0.05)
        return usage

    store.disk_usage = slow_read
    m = RunManager(store, executor=NoSlot(store), limits=limits)  # its dispatcher trims too
    gate, results = threading.Barrier(4), []

    def call():
        gate.wait()
        trimmed = m.housekeeping()
        results.append([(rid, store.get(rid).notice) for rid, _ in trimmed])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    m.shutdown()
    got = [rid for trimmed in results for rid, _ in trimmed]
    assert len(got) == len(set(got)) and set(got) <= set(old)  # none trimmed twice
    assert all("weights were removed" in notice for trimmed in results for _, notice in trimmed)
    for rid in old:
        assert store.load_state_dict(rid) is None
        assert "weights were removed" in store.get(rid).notice


def test_identities_are_signed_and_roles_follow_the_secret(tmp_path):
    store = RunStore(tmp_path / "s")
    key = store.secret_key()
    assert RunStore(store.root).secret_key() == key  # one key per store
    cookie = sign("abc123", key)
    assert verify(cookie, key) == "abc123"
    assert verify(cookie.replace("abc123", "abc124"), key) is None  # forged
    assert verify("abc123", key) is None and verify(None, key) is None
    assert verify(sign("abc123", b"other key"), key) is None
    assert store.user_role("abc123", "fp1") == STUDENT
    store.set_user_role("abc123", TEACHER, "fp1")
    assert store.user_role("abc123", "fp1") == TEACHER
    assert store.user_role("abc123", "fp2") == STUDENT  # the secret changed: locked again


def test_who_may_see_and_control_a_run():
    teacher = User("t" * 16, TEACHER)
    assert can_control(ANN, ANN.id) and not can_control(ANN, BOB.id)
    assert not can_control(ANN, None) and can_control(teacher, BOB.id)
    assert can_view(ANN, BOB.id, pinned=False, share_links=True)
    assert not can_view(ANN, BOB.id, pinned=False, share_links=False)
    assert can_view(ANN, BOB.id, pinned=True, share_links=False)
    assert can_view(ANN, None, pinned=False, share_links=False)  # the class's (CLI, imports)
