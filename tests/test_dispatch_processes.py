"""Several server processes over one store, as real processes: one dispatcher serves the
runs every process queues (each run started exactly once, none stranded); killing it (kill
-9) hands dispatch to another within 5 s, and the runs it was training end interrupted with
the reason; the teacher's Lock in one process ends the role in another at its next action,
and the class's settings are the store's."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cnnviz import classroom as C
from cnnviz.runs import RunStore
from cnnviz.runs.dispatcher import DISPATCH_S
from cnnviz.runs.service import RunAccessError, RunService
from cnnviz.runs.shared import LEASE_S
from cnnviz.runs.store import REAPED
from cnnviz_testing import REPO
from conftest import wait_for

pytestmark = pytest.mark.slow

ENDED = ("finished", "stopped", "failed", "interrupted")
SECRET = "a long enough teacher secret"


class Server:
    """One ``cnnviz_testing.dispatching`` process; its stdout read line by line as it comes,
    each line with the time it was read."""

    def __init__(self, store: Path, log: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-m", "cnnviz_testing.dispatching", str(store), str(log), *args]
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[tuple[float, list[str]]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put((time.time(), line.split()))

    def expect(self, word: str, timeout: float = 60.0) -> tuple[float, list[str]]:
        """The next line that starts with ``word`` (earlier ones are kept in ``seen``)."""
        deadline = time.time() + timeout
        while True:
            try:
                got = self.lines.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                raise AssertionError(f"no {word!r} line within {timeout} s") from None
            self.seen.append(got)
            if got[1] and got[1][0] == word:
                return got

    def drain(self) -> None:
        """Keep every line read so far in ``seen``."""
        while not self.lines.empty():
            self.seen.append(self.lines.get())

    def said(self, word: str) -> bool:
        return any(words and words[0] == word for _, words in self.seen)

    def queued(self) -> list[str]:
        return [words[1] for _, words in self.seen if words[0] == "queued"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def servers():
    started: list[Server] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
        s.stop()


def starts(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [(int(p), rid) for _, p, rid in (line.split() for line in log.read_text().splitlines())]


def test_two_processes_dispatch_each_queued_run_exactly_once(tmp_path, servers):
    store, log, n = tmp_path / "s", tmp_path / "starts.log", 30
    for _ in range(2):  # each queues n runs through its own manager
        servers.append(Server(store, log, "--queue", str(n), "--run-s", "0.02"))
    for s in servers:
        s.expect("ready")
        for _ in range(n):
            s.expect("queued")
    queued = [rid for s in servers for rid in s.queued()]
    assert len(set(queued)) == 2 * n
    reader = RunStore(store)
    wait_for(lambda: all(reader.status(r) in ENDED for r in queued), timeout=60, step=0.2)
    started = starts(log)
    assert sorted(rid for _, rid in started) == sorted(queued)  # each once: none twice, none left
    assert {reader.status(r) for r in queued} == {"finished"}  # none reaped while its owner lived
    assert reader.lease_holder("dispatcher") is not None
    for s in servers:
        s.stop()
        s.drain()
    assert reader.lease_holder("dispatcher") is None  # released on the way out
    # only a process that held the lease started runs (on a loaded machine a late renewal
    # may move the lease: then both did, one after the other)
    holders = {s.proc.pid for s in servers if s.said("dispatching")}
    assert holders and {pid for pid, _ in started} <= holders


def test_killing_the_dispatcher_hands_dispatch_over_within_5_s(tmp_path, servers):
    store, log = tmp_path / "s", tmp_path / "starts.log"
    a = Server(store, log, "--queue", "4", "--run-s", "600")  # two train, two wait
    servers.append(a)
    a.expect("dispatching")
    b = Server(store, log, "--run-s", "600")
    servers.append(b)
    b.expect("ready")
    reader = RunStore(store)
    wait_for(lambda: len(starts(log)) == 2, timeout=30)
    training = [rid for _, rid in starts(log)]
    waiting = sorted(set(a.queued()) - set(training))
    killed_at = time.time()
    a.proc.send_signal(signal.SIGKILL)  # not waited for yet: its pid stays, the lease expires
    took_over_at, _ = b.expect("dispatching", timeout=30)
    took = took_over_at - killed_at
    # the lease outlives its holder's last renewal by LEASE_S; b looks every DISPATCH_S
    assert took < LEASE_S + DISPATCH_S + 1.0 < 5.0, f"dispatch handed over after {took:.2f} s"
    wait_for(lambda: len(starts(log)) == 4, timeout=10)  # b starts the runs a left queued
    assert sorted(rid for pid, rid in starts(log) if pid == b.proc.pid) == waiting
    a.proc.wait()  # now its pid is gone: b's reaper ends the runs a was training
    wait_for(lambda: all(reader.status(r) == "interrupted" for r in training), timeout=15)
    assert {reader.get(r).error for r in training} == {REAPED}
    assert all(reader.status(r) == "running" for r in waiting)  # b's own: never reaped
    print(f"dispatch handed over {took:.2f} s after kill -9")


LOCK_IN_A = """
import sys
from pathlib import Path
from cnnviz.runs import RunStore
from cnnviz.runs.service import RunService
store = RunStore(Path(sys.argv[1]))
print(RunService(None, store=store).share_links())
print(store.revoke_teacher_tokens(sys.argv[2]))  # the teacher's Lock there
"""


def test_a_lock_in_one_process_ends_the_role_in_another(tmp_path):
    store = RunStore(tmp_path / "s")
    teacher = C.User("t" * 16, C.TEACHER)
    token = store.issue_teacher_token(teacher.id, SECRET, 3600)

    def still_teacher(user: C.User) -> bool:  # what the pages ask before each action
        return store.teacher_token_valid(token, user.id, SECRET)

    here = RunService(None, role_check=still_teacher, store=store)
    here.set_share_links(teacher, False)  # the class's settings are the store's
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", LOCK_IN_A, str(store.root), teacher.id],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen_there, revoked = done.stdout.split()
    assert seen_there == "False" and revoked == "1"
    assert not still_teacher(teacher)  # this session's next action finds the role gone
    with pytest.raises(RunAccessError):
        here.set_share_links(teacher, True)
    assert not here.share_links()  # unchanged by the refused action


def owner_pid(store: RunStore, run_id: str) -> int | None:
    rows = store._q("SELECT owner_pid FROM runs WHERE run_id=?", (run_id,))
    return rows[0][0] if rows else None


def test_the_worker_of_a_killed_dispatcher_leaves_and_its_run_ends_interrupted(tmp_path, servers):
    """Real worker processes: the killed dispatcher's worker leaves with it, and the next
    dispatcher marks its run interrupted with the reason. (Most of the time is the worker's
    start: torch, the dataset, its speed test.)"""
    store, log = tmp_path / "s", tmp_path / "unused.log"
    a = Server(store, log, "--workers", "--slots", "1", "--queue", "1", "--epochs", "300")
    servers.append(a)
    a.expect("dispatching")  # after its run was queued
    (run,) = a.queued()
    b = Server(store, log, "--workers", "--slots", "1")
    servers.append(b)
    b.expect("ready")
    reader = RunStore(store)
    # the run trains in a's worker once the worker stamps its own pid on it
    wait_for(lambda: owner_pid(reader, run) not in (None, a.proc.pid), timeout=120, step=0.1)
    worker = owner_pid(reader, run)
    a.proc.kill()
    a.proc.wait()
    b.expect("dispatching", timeout=10)
    wait_for(lambda: not Path(f"/proc/{worker}").exists(), timeout=10, step=0.1)  # it left
    wait_for(lambda: reader.status(run) == "interrupted", timeout=15, step=0.1)
    assert reader.get(run).error == REAPED
    b.proc.kill()  # its own worker (still starting) leaves with it
