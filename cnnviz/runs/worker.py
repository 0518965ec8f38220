"""The main function of a worker process (:class:`cnnviz.runs.executors.ProcessExecutor`).

A fresh interpreter (``python -m cnnviz.runs.worker --fd N --root STORE``): it reads the
dataset once, pays the first run's start-up costs (imports, CUDA), says "ready", then trains
the runs it is sent one at a time, straight into the store. A thread listens to the server
meanwhile: "stop" sets the current run's stop event, and when the server goes away (its end of
the socket closes) the worker exits at once, so no worker outlives its server.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from pathlib import Path

from cnnviz.runs.supervision import NOT_STARTED, STORE_REFUSED


def speed_test(store) -> None:
    """Time LeNet batches here and leave the result in the store: the estimates the pages
    show scale from it (cnnviz.estimates)."""
    import json

    import torch

    from cnnviz.estimates import SPEED_KEY, probe_speed
    from cnnviz.runs.store import HOST

    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        speed = probe_speed(device)
        store.set_setting(SPEED_KEY.format(host=HOST, device=device), json.dumps(speed))
    except Exception as exc:  # noqa: BLE001 - the estimates fall back to built-in numbers
        logging.getLogger("cnnviz.runs").warning("speed test failed: %s", exc)


def open_store(root: Path, log: logging.Logger, wait_s: float = 5.0):
    """The run store, waited for while another program holds it locked (a backup): a worker
    that gave up here would only be replaced by another that gives up too. It waits as long
    as its server lives (the listening thread ends the process when the server goes)."""
    from cnnviz.runs import store as S

    said = False
    while True:
        try:
            return S.RunStore(root, busy_s=2.0)
        except S.StoreBusyError as exc:
            if not said:
                log.warning("the run store is locked (%s); waiting for it", exc)
                said = True
            time.sleep(wait_s)


def worker_main(conn, root: str, threads: int | None) -> None:
    from cnnviz.config import RunConfig
    from cnnviz.runs import store as S
    from cnnviz.runs.execute import execute
    from cnnviz.runs.threads import torch_threads

    logging.basicConfig(level=logging.WARNING, format="cnnviz worker %(process)d: %(message)s")
    log = logging.getLogger("cnnviz.runs")
    jobs: queue.Queue = queue.Queue()
    current: dict = {"run_id": None, "stop": threading.Event()}
    lock = threading.Lock()

    def listen() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                os._exit(0)  # the server is gone: so is its worker
            if msg[0] == "run":
                jobs.put((msg[1], msg[2]))
            elif msg[0] == "stop":
                with lock:
                    if current["run_id"] == msg[1]:
                        current["stop"].set()
            elif msg[0] == "exit":
                jobs.put(None)
                return

    threading.Thread(target=listen, name="cnnviz-worker-listen", daemon=True).start()
    torch_threads(threads)
    token = uuid.uuid4().hex
    S.LIVE_TOKENS.add(token)
    store = open_store(Path(root), log)
    data = None
    try:
        from cnnviz.data import load_fashion_mnist

        data = load_fashion_mnist()
    except Exception as exc:  # noqa: BLE001 - each run says it (train() tries again and fails with the message)
        log.warning("Fashion-MNIST could not be read: %s", exc)
    try:
        from cnnviz.train import warm_up

        warm_up()
    except Exception as exc:  # noqa: BLE001 - only an optimisation: a run reports real problems itself
        log.warning("warm-up failed: %s", exc)
    speed_test(store)
    conn.send(("ready", os.getpid()))
    while (job := jobs.get()) is not None:
        run_id, config = job
        stop = threading.Event()
        with lock:
            current["run_id"], current["stop"] = run_id, stop
        reason = None  # why the server must mark the run: it could not be marked here
        try:
            run_config = RunConfig.from_dict(config)
        except Exception as exc:  # a config this version cannot read: the run says so
            log.exception("run %s could not start", run_id)
            try:
                store.set_status(
                    run_id, "failed", NOT_STARTED.format(error=f"{type(exc).__name__}: {exc}")
                )
            except S.StoreError as busy:  # the server marks it when the worker says "ended"
                log.warning("run %s: %s", run_id, busy)
                reason = STORE_REFUSED.format(error=f"{type(busy).__name__}: {busy}")
            run_config = None
        try:
            if run_config is not None:
                for _rec in execute(store, run_id, run_config, stop.is_set, data, token):
                    pass
        except Exception as exc:  # noqa: BLE001 - the store refused its writes, then its mark
            log.exception("run %s: the store refused it", run_id)
            reason = STORE_REFUSED.format(error=f"{type(exc).__name__}: {exc}")
        finally:
            with lock:
                current["run_id"] = None
            conn.send(("ended", run_id, reason))  # a reason: the server marks it, retrying


def main(argv: list[str] | None = None) -> None:
    import argparse
    from multiprocessing.connection import Connection

    p = argparse.ArgumentParser(prog="python -m cnnviz.runs.worker")
    p.add_argument("--fd", type=int, required=True, help="the socket to the server")
    p.add_argument("--root", required=True, help="the run store's folder")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = p.parse_args(argv)
    worker_main(Connection(args.fd), args.root, args.threads)


if __name__ == "__main__":
    main()
