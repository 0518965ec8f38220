"""Runs out of the web server: worker processes, their supervision, seeds that belong to
their run, the live curve in the store, Stop's latency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from cnnviz.features import feature_maps
from cnnviz.models import VGGSpec, build_model
from cnnviz.runs import RunManager, RunStore
from cnnviz.runs.executors import ProcessExecutor, ThreadExecutor, exit_reason
from cnnviz.train import RunConfig
from conftest import tiny_config as tiny
from conftest import wait_for
from ui.common import stored_text

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture
def workers(tmp_path):
    """A manager over one warm worker process (one torch thread), shut down after."""
    store = RunStore(tmp_path / "store")
    m = RunManager(store, executor=ProcessExecutor(store.root, 1, threads=1))
    yield m
    m.shutdown()


def _losses(store, run_id):
    return [(m["train_loss"], m["val_loss"], m["val_acc"]) for m in store.metrics_rows(run_id)]


def test_seeds_are_isolated(tmp_path):
    """The same seeded VGG-with-dropout run, alone and while another thread reseeds torch and
    renders feature maps (as the builder page does): identical losses."""
    spec = VGGSpec(arch=((1, 8), (1, 16)), fc=64, dropout=0.5, input_size=28)
    cfg = RunConfig(spec, num_epochs=2, limit=512, val_limit=128, seed=7)

    def train_once(noise: bool):
        store = RunStore(tmp_path / f"s{noise}")
        m = RunManager(store, executor=ThreadExecutor(store, 1))
        done = threading.Event()

        def meddle():
            X = torch.rand(1, 1, 28, 28)
            while not done.is_set():
                torch.manual_seed(0)  # what a page once did on the script thread
                feature_maps(build_model(spec), X)  # consumes the global RNG
                torch.rand(1000).bernoulli_(0.5)

        t = threading.Thread(target=meddle, daemon=True)
        if noise:
            t.start()
        run_id = m.submit(cfg)
        status = m.wait(run_id, 300)
        done.set()
        if noise:
            t.join()
        m.shutdown()
        assert status == "finished"
        return _losses(store, run_id)

    alone = train_once(False)
    assert train_once(True) == alone
    assert len(alone) == 2


def test_worker_process_trains_and_stamps_itself(workers):
    """The run trains in the worker (its pid is stamped, not the server's); its in-epoch curve
    and progress are in the store, so any process can draw them."""
    run_id = workers.submit(tiny(num_epochs=3, limit=1024))
    assert workers.wait(run_id, 180) == "finished"
    pid, host = workers.store._q(
        "SELECT owner_pid, owner_host FROM runs WHERE run_id=?", (run_id,)
    )[0]
    assert pid in workers.executor.worker_pids() and pid != os.getpid()
    points = RunStore(workers.store.root).points(run_id)  # another store object reads them
    assert len(points) >= 3 and [x for x, _ in points][-1] == 3.0
    assert all(0 < x <= 3 for x, _ in points)
    assert workers.progress(run_id) is None  # ended: no live progress left


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV])
def test_a_dead_worker_interrupts_only_its_run(workers, sig):
    """kill -9 (or a segfault) mid-epoch: the run is interrupted within 5 s, with a readable
    reason and its finished epochs; the worker is replaced and the queue goes on."""
    long = workers.submit(tiny(num_epochs=200, limit=2048))
    queued = workers.submit(tiny(num_epochs=1))
    store = workers.store
    wait_for(lambda: store.get(long).epochs_done >= 1 and store.stored_progress(long))
    assert store.status(queued) == "queued"
    (pid,) = workers.executor.worker_pids()
    t0 = time.time()
    os.kill(pid, sig)
    wait_for(lambda: store.status(long) != "running", timeout=5)
    detected = time.time() - t0
    rec = store.get(long)
    assert rec.status == "interrupted" and detected < 5
    word = "killed (signal 9" if sig == signal.SIGKILL else "segmentation fault"
    assert word in rec.error and "finished epochs are kept" in rec.error
    korean = stored_text(rec.error, "ko")  # the page's words for it, sentence by sentence
    said = "강제로 끝남 (시그널 9" if sig == signal.SIGKILL else "세그멘테이션 오류"
    assert said in korean and "끝난 에포크는 보관됩니다" in korean and "Interrupted" not in korean
    assert rec.epochs_done >= 1
    assert store.load_state_dict(long) is not None  # the last finished epoch's weights
    assert workers.wait(queued, 180) == "finished"  # a new worker took the queue on
    assert workers.executor.started_workers == 2 and workers.executor.worker_pids() != [pid]


def test_stop_ends_a_long_run_in_its_worker_and_keeps_its_weights(workers):
    """Stop reaches the worker mid-epoch (a message, and the store's flag): a 500-epoch run
    ends as stopped, long before it could have finished, with its weights kept."""
    run_id = workers.submit(tiny(num_epochs=500, limit=2048))
    wait_for(lambda: workers.progress(run_id) is not None)
    workers.stop(run_id)
    wait_for(lambda: workers.status(run_id) != "running", timeout=30, step=0.01)
    assert workers.status(run_id) == "stopped"
    assert workers.store.get(run_id).epochs_done < 500
    assert workers.store.load_state_dict(run_id) is not None


def test_stop_from_another_process_goes_through_the_store(tmp_path):
    """A CLI run in its own process stops when the page (here: this process) asks."""
    home = tmp_path / "cli"
    env = {**os.environ, "CNNVIZ_HOME": str(home), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "cnnviz", "train", "--epochs", "500", "--limit", "1024",
           "--val-limit", "128", "--threads", "1", "--json"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE)
    try:
        proc.stdout.readline()
        store = RunStore(home)
        (run_id,) = [r.run_id for r in store.list_runs()]
        assert store.points(run_id)  # the CLI's live curve, drawn by another process
        manager = RunManager(store)
        manager.stop(run_id)
        assert manager.wait(run_id, 30) == "stopped"
        assert proc.wait(30) == 0
        manager.shutdown()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_queued_runs_survive_a_restart(tmp_path):
    """Runs queued by a server that is gone are adopted by the next one and trained."""
    store = RunStore(tmp_path / "s")
    cfg = tiny(num_epochs=1)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    run_id = store.create(cfg, name="left behind", owner_token="old-server")
    store._x("UPDATE runs SET owner_pid=? WHERE run_id=?", (int(gone.stdout), run_id))
    assert RunStore(store.root).status(run_id) == "queued"  # not reaped by merely opening
    m = RunManager(RunStore(store.root))
    assert m.wait(run_id, 120) == "finished"
    m.shutdown()


def test_workers_leave_with_their_server(tmp_path):
    """A server killed outright (kill -9) takes its worker processes with it."""
    code = (
        "import sys, time; from pathlib import Path;"
        "from cnnviz.runs import RunStore, RunManager;"
        "from cnnviz.runs.executors import ProcessExecutor;"
        "s = RunStore(Path(sys.argv[1])); m = RunManager(s, executor=ProcessExecutor(s.root, 2));"
        "time.sleep(0.5); print(*m.executor.worker_pids(), flush=True); time.sleep(600)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "s")], env=env,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        pids = [int(p) for p in server.stdout.readline().split()]
        assert len(pids) == 2
    finally:
        server.kill()
        server.wait()
        server.stdout.close()

    def gone(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

    wait_for(lambda: all(gone(p) for p in pids), timeout=30, step=0.1)


def test_exit_reasons_are_readable():
    assert "signal 9" in exit_reason(-9) and "killed" in exit_reason(-9)
    assert "segmentation fault" in exit_reason(-11)
    assert "exited with code 3" in exit_reason(3)
