"""The worker processes of :class:`cnnviz.runs.executors.ProcessExecutor`: starting one
(``python -m cnnviz.runs.worker``, spawned, talking over a socket pair), the handle the
executor keeps for it, and why one ended, in words."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger("cnnviz.runs")


@dataclass
class Worker:
    """One worker process as its executor sees it."""

    proc: subprocess.Popen
    conn: Connection
    run_id: str | None = None
    ready: bool = False
    stop_at: float | None = None  # when Stop's grace runs out (clock time)
    killed_for_stop: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None


def spawn_worker(root: Path, threads: int | None) -> Worker:
    """Start a worker process over the store in ``root`` (``threads`` torch threads)."""
    ours, theirs = socket.socketpair()
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    # Idle OpenMP threads sleep instead of spinning: on a busy machine (the web server,
    # browsers, another worker) spinning threads cost a run half its speed or more.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "cnnviz.runs.worker", "--fd", str(theirs.fileno()),
           "--root", str(root)]  # fmt: skip
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL)
    theirs.close()
    conn = Connection(os.dup(ours.fileno()))
    ours.close()
    log.info("worker process %s started", proc.pid)
    return Worker(proc, conn)


# Why a run's worker could not mark it (cnnviz.runs.executors.INTERRUPTED's reason; the
# server marks it instead, retrying until the store takes the mark).
STORE_REFUSED = "the run store refused its writes ({error})"
# The error of a run that could not start: its stored config is one this version cannot read
# (the worker), or it could not be read or handed to the executor (the dispatcher).
NOT_STARTED = "It could not start: {error}"
# Why a worker process ended (exit_reason): the reason an interrupted run's error quotes
# (cnnviz.runs.executors.INTERRUPTED).
EXIT_SILENT = "the worker process stopped answering"
EXIT_KILLED = (
    "the worker process was killed (signal {sig}, {name}: the system ran out of memory, or "
    "someone killed it)"
)
EXIT_CRASHED = "the worker process crashed (signal {sig}, {name}: a segmentation fault)"
EXIT_SIGNAL = "the worker process was ended by signal {sig} ({name})"
EXIT_CODE = "the worker process exited with code {code}"
EXIT_REASONS = {
    "reason.exit_silent": EXIT_SILENT, "reason.exit_killed": EXIT_KILLED,
    "reason.exit_crashed": EXIT_CRASHED, "reason.exit_signal": EXIT_SIGNAL,
    "reason.exit_code": EXIT_CODE,
}  # fmt: skip


def exit_reason(code: int | None) -> str:
    """Why a worker process ended, in words ("the worker process was killed (signal 9)")."""
    if code is None:
        return EXIT_SILENT
    if code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "unknown signal"
        if sig == signal.SIGKILL:
            return EXIT_KILLED.format(sig=sig, name=name)
        if sig == signal.SIGSEGV:
            return EXIT_CRASHED.format(sig=sig, name=name)
        return EXIT_SIGNAL.format(sig=sig, name=name)
    return EXIT_CODE.format(code=code)
