"""A server process's run manager over a run store, with an executor that trains nothing: the
process the tests start two of over one store to see that one dispatcher serves them.

``python -m cnnviz_testing.dispatching STORE LOG --queue N`` queues N runs (a tiny LeNet config
each) through its own manager, then dispatches when it holds the store's lease. Each run it
is given is written to LOG (``start PID RUN_ID``, one appended line each, so several processes
can share the file) and finishes ``--run-s`` seconds later; with ``--workers``, runs train in
real worker processes instead (LOG stays empty). On stdout it says ``ready PID``,
then ``queued RUN_ID`` for each run it queued and ``dispatching TIME`` (``time.time()``) when
it gains the lease; it exits when its stdin closes (shutting its manager down).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path


class LoggingExecutor:
    """``slots`` pretend workers: a run "trains" for ``run_s`` seconds, then finishes."""

    kind = "logging"

    def __init__(self, store, log_path: Path, run_s: float, slots: int = 2):
        self.store, self.log_path, self.run_s, self.slots = store, log_path, run_s, slots
        self._alive: set[str] = set()
        self._lock = threading.Lock()

    def free_slots(self) -> int:
        with self._lock:
            return self.slots - len(self._alive)

    def start(self, run_id: str, config) -> None:
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"start {os.getpid()} {run_id}\n".encode())
        finally:
            os.close(fd)
        with self._lock:
            self._alive.add(run_id)
        timer = threading.Timer(self.run_s, self._finish, args=(run_id,))
        timer.daemon = True  # a run still "training" never keeps the process from exiting
        timer.start()

    def _finish(self, run_id: str) -> None:
        try:
            self.store.set_status(run_id, "finished", only_live=True)
        finally:
            with self._lock:
                self._alive.discard(run_id)

    def cancel(self, run_id: str) -> None:
        pass

    def poll(self) -> list:
        return []

    def alive(self) -> set[str]:
        with self._lock:
            return set(self._alive)

    def shutdown(self) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    from cnnviz.models import PRESETS
    from cnnviz.runs import RunManager, RunStore
    from cnnviz.train import RunConfig

    p = argparse.ArgumentParser(prog="python -m cnnviz_testing.dispatching")
    p.add_argument("store")
    p.add_argument("log")
    p.add_argument("--queue", type=int, default=0, help="runs to queue at the start")
    p.add_argument("--run-s", type=float, default=0.05, help="how long each run trains")
    p.add_argument("--slots", type=int, default=2)
    p.add_argument("--workers", action="store_true", help="real worker processes instead")
    p.add_argument("--epochs", type=int, default=1, help="epochs of each queued run")
    args = p.parse_args(argv)
    store = RunStore(Path(args.store))
    if args.workers:
        from cnnviz.runs.executors import ProcessExecutor

        executor = ProcessExecutor(store.root, args.slots, threads=1)
    else:
        executor = LoggingExecutor(store, Path(args.log), args.run_s, args.slots)
    manager = RunManager(store, executor=executor)
    print("ready", os.getpid(), flush=True)
    config = RunConfig(PRESETS["LeNet"], num_epochs=args.epochs, limit=256, val_limit=128)
    for i in range(args.queue):
        print("queued", manager.submit(config, name=f"{os.getpid()}-{i}"), flush=True)
    closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    said = False
    while not closed.wait(0.02):
        if manager.dispatching and not said:
            print("dispatching", time.time(), flush=True)
        said = manager.dispatching
    manager.shutdown()


if __name__ == "__main__":
    main()
