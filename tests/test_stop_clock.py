"""Stop's grace period on a test clock: the process executor ends a worker only when its run
still trains after the grace, counted from when the worker could act on Stop; a run that ends
in time keeps its worker. The Ray executor kills the actor the same way (a short grace)."""

from __future__ import annotations

import signal
import time

import pytest

from cnnviz.runs.executors import ProcessExecutor, Worker
from conftest import Clock, wait_for

pytestmark = pytest.mark.unit


class FakeProc:
    """A worker process that lives until it is killed."""

    pid = 4242

    def __init__(self):
        self.returncode = None
        self.killed = 0

    def poll(self):
        return self.returncode

    def kill(self):
        self.killed += 1
        self.returncode = -signal.SIGKILL

    def wait(self, timeout=None):
        return self.returncode


class FakeConn:
    """The worker's end of the socket: messages the test queues, and what was sent."""

    def __init__(self):
        self.inbox, self.sent = [], []

    def poll(self):
        return bool(self.inbox)

    def recv(self):
        return self.inbox.pop(0)

    def send(self, msg):
        self.sent.append(msg)

    def close(self):
        pass


@pytest.fixture
def executor(tmp_path):
    clock = Clock(1000.0)
    ex = ProcessExecutor(tmp_path, 1, threads=1, grace_s=3.0, clock=clock)
    ex._closed = True  # no real worker is spawned: the test's worker is the only one
    w = Worker(FakeProc(), FakeConn(), run_id="run0000001", ready=True)
    ex._workers.append(w)
    return ex, w, clock


class TestGrace:
    @pytest.mark.parametrize("waited, killed", [(0.0, False), (2.9, False), (3.0, True),
                                                (60.0, True)])  # fmt: skip
    def test_a_run_still_training_after_the_grace_ends_its_worker(self, executor, waited, killed):
        ex, w, clock = executor
        ex.cancel("run0000001")
        assert ("stop", "run0000001") in w.conn.sent
        clock.t += waited
        ended = ex.poll()
        assert (w.proc.killed == 1) is killed
        if killed:
            assert [(e.run_id, e.reason, e.stopped_after_s) for e in ended] == [
                ("run0000001", None, 3.0)
            ]
            assert ex.worker_pids() == []  # gone; a new one is started when not closed
        else:
            assert ended == [] and ex.worker_pids() == [4242]

    def test_a_run_that_ends_in_time_keeps_its_worker(self, executor):
        ex, w, clock = executor
        ex.cancel("run0000001")
        clock.t += 1.0
        w.conn.inbox.append(("ended", "run0000001"))
        assert [e.run_id for e in ex.poll()] == ["run0000001"]
        clock.t += 100.0
        assert ex.poll() == [] and w.proc.killed == 0 and w.stop_at is None

    def test_the_grace_counts_from_when_the_worker_is_ready(self, executor):
        ex, w, clock = executor
        w.ready = False  # still loading the data set
        ex.cancel("run0000001")
        clock.t += 10.0
        assert ex.poll() == [] and w.proc.killed == 0
        w.conn.inbox.append(("ready", 4242))
        ex.poll()
        clock.t += 2.0
        assert ex.poll() == [] and w.proc.killed == 0
        clock.t += 1.5
        assert ex.poll()[0].stopped_after_s == 3.0 and w.proc.killed == 1

    def test_stop_twice_does_not_restart_the_grace(self, executor):
        ex, w, clock = executor
        ex.cancel("run0000001")
        clock.t += 2.0
        ex.cancel("run0000001")
        clock.t += 1.0
        ex.poll()
        assert w.proc.killed == 1

    def test_a_crash_is_not_a_stop(self, executor):
        ex, w, clock = executor
        w.proc.returncode = -signal.SIGSEGV
        (e,) = ex.poll()
        assert e.stopped_after_s is None and "segmentation fault" in e.reason


class FakeActor:
    """A Ray actor handle: ``stop.remote(run_id)`` is recorded."""

    def __init__(self):
        self.stops = []
        outer = self

        class _Stop:
            def remote(self, run_id):
                outer.stops.append(run_id)

        self.stop = _Stop()


@pytest.fixture
def ray_books(monkeypatch):
    """A Ray executor's books without a cluster: one run on a fake actor, ray.kill recorded."""
    import ray  # pinned in requirements.txt: a missing Ray is a failure, not a skip

    from cnnviz.runs.ray_executor import RayExecutor

    killed = []
    monkeypatch.setattr(ray, "kill", killed.append)
    ex = RayExecutor.__new__(RayExecutor)  # no connection: only the stop path is tested
    ex._init_books()
    ex.grace_s, ex._stopping, ex._killed, ex._closed = 0.2, set(), set(), False
    actor = FakeActor()
    ex._runs["run0000001"] = actor
    return ex, actor, killed


class TestRayGrace:
    def test_an_actor_still_training_after_the_grace_is_killed(self, ray_books):
        ex, actor, killed = ray_books
        ex.cancel("run0000001")
        ex.cancel("run0000001")  # a second Stop starts no second timer
        assert actor.stops == ["run0000001", "run0000001"]
        wait_for(lambda: killed, timeout=5)
        time.sleep(0.4)
        assert killed == [actor] and ex._killed == {"run0000001"}

    def test_a_run_that_ended_in_time_keeps_its_actor(self, ray_books):
        ex, actor, killed = ray_books
        ex.cancel("run0000001")
        with ex._lock:
            ex._runs.pop("run0000001")  # what the run's consumer does when it ends
        time.sleep(0.5)
        assert killed == [] and ex._killed == set()
