"""Where runs train. The manager keeps the queue and the books; an executor only starts a run
when it has a free slot, cancels it, reports which runs ended (and why, when their worker
died), and shuts down.

- :class:`ProcessExecutor` (the default for the app): ``slots`` warm worker processes,
  started with ``spawn`` and supervised. Each loads the dataset once (and holds its CUDA
  context); runs train there, so the web server builds no training network, a run's random
  streams are its own process's, and a run that kills its interpreter (a segfault, the OOM
  killer, a CUDA fault) takes only its worker down: the run is marked interrupted with the
  reason, the worker is replaced, and the queue goes on.
- :class:`ThreadExecutor`: runs in threads of the calling process (tests, and the CLI, which is
  a process of its own anyway).
- :class:`cnnviz.runs.ray_executor.RayExecutor`: a Ray cluster's workers.

Stop means stop. A run checks its stop flag between batches; a batch that takes long (VGG-11
at 224 on a CPU: minutes) or never returns would keep training long after Stop. So the process
and Ray executors give a stopped run a grace period (``$CNNVIZ_STOP_GRACE_S``, 5 s), then end
the process (or actor) that trains it: the run is marked stopped with its finished epochs, and
the worker is replaced as after a crash. A thread cannot be ended from outside: on the thread
executor a stopped run ends when its batch does.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cnnviz.config import RunConfig, setting
from cnnviz.runs.execute import execute
from cnnviz.runs.store import RunStore
from cnnviz.runs.supervision import Worker, exit_reason, spawn_worker
from cnnviz.runs.threads import cores_given

log = logging.getLogger("cnnviz.runs")
SHUTDOWN_S = 5.0


@dataclass(frozen=True)
class Ended:
    """A run an executor no longer has. ``reason`` is set when it did not end on its own
    (its worker died): the run is then marked interrupted with it."""

    run_id: str
    reason: str | None = None
    stopped_after_s: float | None = None  # Stop's grace ran out: its worker was ended


STOPPED = (
    "Stopped: the batch in progress did not end within {grace_s:g} s of Stop, so the "
    "process training it was ended. The finished epochs are kept."
)


# The error of a run whose executor lost it ({reason}: an EXIT_REASONS one, or THREAD_FAILED).
INTERRUPTED = "Interrupted: {reason}. The finished epochs are kept."
THREAD_FAILED = "its thread failed ({error})"


def stopped_text(grace_s: float) -> str:
    """What a run stopped by ending its worker says."""
    return STOPPED.format(grace_s=grace_s)


class Executor(Protocol):
    kind: str
    slots: int  # runs that can train at once

    def free_slots(self) -> int: ...

    def start(self, run_id: str, config: RunConfig) -> None: ...

    def cancel(self, run_id: str) -> None: ...

    def poll(self) -> list[Ended]: ...

    def alive(self) -> set[str]: ...

    def shutdown(self) -> None: ...


class Books:
    """What the thread and Ray executors keep alike: their runs (id → handle) and the runs that
    ended since the dispatcher last asked."""

    def _init_books(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, object] = {}
        self._ended: list[Ended] = []

    def poll(self) -> list[Ended]:
        with self._lock:
            ended, self._ended = self._ended, []
        return ended

    def alive(self) -> set[str]:
        with self._lock:
            return set(self._runs)


def default_threads(slots: int) -> int:
    """Torch threads per worker: ``$CNNVIZ_THREADS``, else the cores this process is given
    less one (left to the web server, so pages stay quick while runs train), shared between
    the workers: on 16 cores one worker trains on 15.

    On two cores that is one thread, measured (``benchmarks/watched_bench.py``, the worker on
    one thread and on two, alternating): on both cores a LeNet run trained 60–75% faster, but
    the pages answered about a third more slowly while it trained, and a watched run kept less
    of its unwatched speed (66% against 72%, on a busy machine). The CLI, with no server to
    leave a core for, trains on every core (:func:`cnnviz.runs.threads.own_process_threads`)."""
    if threads := setting("CNNVIZ_THREADS"):
        return threads
    return max(1, (cores_given() - 1) // max(1, slots))


class ThreadExecutor(Books):
    """Runs in threads of this process (tests; the CLI trains in its own process anyway).

    Its limit: a thread cannot be ended from outside, so Stop takes effect when the batch in
    progress ends (between batches: within a second for a lesson's run). A batch that never
    returns keeps its slot, and its run stays running; the process and Ray executors end the
    worker after the grace period instead."""

    kind = "thread"

    def __init__(self, store: RunStore, slots: int = 1, token: str | None = None):
        """``token``: the manager's, which stamps these runs as this process's (the manager
        sets it when left None)."""
        self.store, self.slots, self.token = store, max(1, int(slots)), token
        self._init_books()  # run id → (thread, stop event)

    def free_slots(self) -> int:
        with self._lock:
            return self.slots - len(self._runs)

    def start(self, run_id: str, config: RunConfig) -> None:
        ev = threading.Event()
        t = threading.Thread(
            target=self._run, args=(run_id, config, ev), name=f"cnnviz-run-{run_id}", daemon=True
        )
        with self._lock:
            self._runs[run_id] = (t, ev)
        t.start()

    def _run(self, run_id: str, config: RunConfig, ev: threading.Event) -> None:
        reason = None
        try:
            for _rec in execute(self.store, run_id, config, ev.is_set, token=self.token):
                pass
        except BaseException as exc:  # execute never raises; if it did, say so on the run
            log.exception("run %s: the executor thread failed", run_id)
            reason = THREAD_FAILED.format(error=f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._runs.pop(run_id, None)
                self._ended.append(Ended(run_id, reason))

    def cancel(self, run_id: str) -> None:
        with self._lock:
            entry = self._runs.get(run_id)
        if entry is not None:
            entry[1].set()

    def shutdown(self) -> None:
        with self._lock:
            entries = list(self._runs.values())
        for _t, ev in entries:
            ev.set()
        for t, _ev in entries:
            t.join(timeout=SHUTDOWN_S)


class ProcessExecutor:
    """``slots`` supervised worker processes, each training one run at a time.

    Each worker is a fresh interpreter (``python -m cnnviz.runs.worker``: spawned, not forked,
    so it shares no locks, threads or CUDA state with the server, and imports nothing of the
    server's). Workers start when the executor does and stay warm: the dataset read, torch
    and (on a GPU) CUDA initialised, so a run's first point comes within a second of Start.
    They talk to the server over a socket pair; when the server dies, its end closes and the
    worker exits. Only the thread that calls :meth:`poll` (the manager's dispatcher) starts
    or replaces workers.
    """

    kind = "process"

    def __init__(
        self,
        root: Path,
        slots: int = 1,
        threads: int | None = None,
        grace_s: float | None = None,
        clock=time.monotonic,
    ):
        """``grace_s``: how long a stopped run may take to leave its batch before its worker is
        ended (default ``$CNNVIZ_STOP_GRACE_S``); ``clock``: the time source (tests)."""
        self.root, self.slots = Path(root), max(1, int(slots))
        self.threads = threads or default_threads(self.slots)
        self.grace_s = float(setting("CNNVIZ_STOP_GRACE_S") if grace_s is None else grace_s)
        self.clock = clock
        self._respawn_at = 0.0  # workers that die before they are ready are restarted slower
        self._respawn_wait = 0.0
        self._workers: list[Worker] = []
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self.started_workers = 0  # replacements included (tests, the log)
        self._closed = False

    # -- workers ----------------------------------------------------------------------------
    def _spawn(self) -> Worker:
        w = spawn_worker(self.root, self.threads)
        self.started_workers += 1
        return w

    def _ensure_workers(self) -> None:
        if self._closed or self.clock() < self._respawn_at:
            return
        with self._lock:
            while len(self._workers) < self.slots:
                self._workers.append(self._spawn())

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers]

    def _send(self, w: Worker, msg: tuple) -> bool:
        try:
            with self._send_lock:
                w.conn.send(msg)
            return True
        except (OSError, ValueError) as exc:  # the worker is dead: poll() will say why
            log.warning("cannot reach worker %s: %s", w.pid, exc)
            return False

    # -- the executor interface -------------------------------------------------------------
    def free_slots(self) -> int:
        self._ensure_workers()
        with self._lock:
            return sum(1 for w in self._workers if w.run_id is None and w.alive())

    def start(self, run_id: str, config: RunConfig) -> None:
        with self._lock:
            idle = [w for w in self._workers if w.run_id is None and w.alive()]
            if not idle:
                raise RuntimeError("no free worker")  # the dispatcher asks free_slots first
            w = idle[0]
            w.run_id = run_id
        self._send(w, ("run", run_id, config.to_dict()))

    def cancel(self, run_id: str) -> None:
        """Ask the worker to stop the run between batches; :meth:`poll` ends the worker once
        the grace period has passed and the run still trains."""
        with self._lock:
            owners = [w for w in self._workers if w.run_id == run_id]
            for w in owners:
                if w.stop_at is None:
                    w.stop_at = self.clock() + self.grace_s
        for w in owners:
            self._send(w, ("stop", run_id))

    def poll(self) -> list[Ended]:
        """Messages from the workers, and the workers that died: their runs end with the
        reason, and each is replaced."""
        ended: list[Ended] = []
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            try:
                while w.conn.poll():
                    msg = w.conn.recv()
                    if msg[0] == "ready":
                        w.ready = True
                        if w.stop_at is not None:  # stopped before it could start: the grace
                            w.stop_at = max(w.stop_at, self.clock() + self.grace_s)  # from now
                    elif msg[0] == "ended":  # with a reason when the worker could not mark it
                        ended.append(Ended(msg[1], msg[2] if len(msg) > 2 else None))
                        with self._lock:
                            if w.run_id == msg[1]:
                                w.run_id, w.stop_at = None, None
            except (EOFError, OSError):
                pass  # the worker is gone: its exit code says why, below
            if w.run_id is not None and w.stop_at is not None and self.clock() >= w.stop_at:
                if w.ready and not w.killed_for_stop and w.alive():
                    log.warning(
                        "run %s: still training %g s after Stop; its worker process %s is ended",
                        w.run_id, self.grace_s, w.pid,
                    )  # fmt: skip
                    w.killed_for_stop = True
                    w.proc.kill()
                    w.proc.wait(timeout=SHUTDOWN_S)
            if not w.alive():  # poll() collected its exit code: no zombie is left
                reason = exit_reason(w.proc.returncode)
                if w.killed_for_stop:
                    if w.run_id is not None:
                        ended.append(Ended(w.run_id, stopped_after_s=self.grace_s))
                else:
                    log.warning("worker process %s ended: %s", w.pid, reason)
                    if w.run_id is not None:
                        ended.append(Ended(w.run_id, reason))
                    if not w.ready:  # it died starting up (a locked store, no memory...)
                        self._respawn_wait = min(max(1.0, self._respawn_wait * 2), 30.0)
                        self._respawn_at = self.clock() + self._respawn_wait
                        log.warning("the next worker starts in %.0f s", self._respawn_wait)
                if w.ready:
                    self._respawn_wait = 0.0
                w.conn.close()
                with self._lock:
                    self._workers.remove(w)
        self._ensure_workers()
        return ended

    def alive(self) -> set[str]:
        with self._lock:
            return {w.run_id for w in self._workers if w.run_id is not None}

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._workers = list(self._workers), []
        for w in workers:
            if w.run_id is not None:
                self._send(w, ("stop", w.run_id))
            self._send(w, ("exit",))
        deadline = time.monotonic() + SHUTDOWN_S
        for w in workers:
            try:
                w.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait(timeout=5)
            w.conn.close()
