"""Stop means stop (a batch that never returns ends with its worker), a store whose
checkpoints folder disappears, and a database another program holds locked: nothing is lost,
the dispatcher waits and says so once."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import textwrap
import time

import pytest

from cnnviz.runs import RunManager, RunStore
from cnnviz.runs.executors import ProcessExecutor, ThreadExecutor
from conftest import tiny_config as tiny
from conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

HANG = """\
import os, time

_flag = os.environ.get("HANG_BATCH_FLAG")
if _flag:
    import torch

    def _hang(module, args):
        while os.path.exists(_flag):  # a batch that never returns while the flag is there
            time.sleep(0.05)

    torch.nn.modules.module.register_module_forward_pre_hook(_hang)
"""


@pytest.fixture
def hanging_workers(tmp_path, monkeypatch):
    """Worker processes whose every forward pass blocks while a flag file exists (a
    ``sitecustomize`` on their path), with a one-second grace period after Stop."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(textwrap.dedent(HANG))
    flag = tmp_path / "hang"
    monkeypatch.setenv("PYTHONPATH", str(hooks))
    monkeypatch.setenv("HANG_BATCH_FLAG", str(flag))
    store = RunStore(tmp_path / "store")
    m = RunManager(store, executor=ProcessExecutor(store.root, 1, threads=1, grace_s=1.0))
    yield m, flag
    flag.unlink(missing_ok=True)
    m.shutdown()


class TestStopMeansStop:
    def test_a_batch_that_never_returns_ends_with_its_worker(self, hanging_workers):
        m, flag = hanging_workers
        store = m.store
        run_id = m.submit(tiny(num_epochs=200, limit=1024))
        wait_for(lambda: store.get(run_id).epochs_done >= 1, timeout=180)
        (pid,) = m.executor.worker_pids()
        flag.touch()  # the batch in progress now never ends
        time.sleep(0.5)
        t0 = time.time()
        m.stop(run_id)
        wait_for(lambda: store.status(run_id) != "running", timeout=15)
        took = time.time() - t0
        rec = store.get(run_id)
        assert rec.status == "stopped", (rec.status, rec.error)
        assert took < 6, f"{took:.1f} s after Stop (grace 1 s)"
        assert "did not end within 1 s of Stop" in rec.notice
        assert rec.epochs_done >= 1 and store.load_state_dict(run_id) is not None
        assert store.metrics_rows(run_id)[-1]["epoch"] == rec.epochs_done
        wait_for(lambda: m.executor.worker_pids() not in ([], [pid]), timeout=10)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended and reaped
        flag.unlink()
        after = m.submit(tiny(num_epochs=1))  # the replacement takes the queue on
        assert m.wait(after, 180) == "finished"
        assert m.executor.started_workers == 2

    def test_a_stop_through_the_store_is_enforced_too(self, hanging_workers):
        """Another process (another server's page) asks through the store's flag."""
        m, flag = hanging_workers
        run_id = m.submit(tiny(num_epochs=200, limit=1024))
        wait_for(lambda: m.store.get(run_id).epochs_done >= 1, timeout=180)
        flag.touch()
        time.sleep(0.5)
        RunStore(m.store.root).request_stop(run_id)
        wait_for(lambda: m.store.status(run_id) != "running", timeout=15)
        assert m.store.status(run_id) == "stopped"

    def test_a_run_that_stops_in_time_keeps_its_worker(self, hanging_workers):
        m, _flag = hanging_workers
        run_id = m.submit(tiny(num_epochs=200, limit=1024))
        wait_for(lambda: m.progress(run_id) is not None, timeout=180)
        m.stop(run_id)
        wait_for(lambda: m.store.status(run_id) != "running", timeout=10)
        time.sleep(1.5)  # past the grace period: nothing is ended
        rec = m.store.get(run_id)
        assert rec.status == "stopped" and not rec.notice
        assert m.executor.started_workers == 1 and len(m.executor.worker_pids()) == 1


class TestCheckpointsFolderGone:
    def test_made_again_and_only_the_run_that_lost_files_is_touched(self, tmp_path):
        store = RunStore(tmp_path / "store")
        m = RunManager(store, executor=ThreadExecutor(store, 1))
        try:
            done = m.submit(tiny(num_epochs=1))
            assert m.wait(done, 120) == "finished"
            shutil.rmtree(store.checkpoints)  # someone cleaned up
            during = m.submit(tiny(num_epochs=3, limit=512))
            wait_for(lambda: store.get(during).epochs_done >= 1, timeout=120)
            shutil.rmtree(store.checkpoints, ignore_errors=True)  # again, mid-run
            assert m.wait(during, 120) in ("finished", "failed")
            later = [m.submit(tiny(num_epochs=1)) for _ in range(2)]
            for rid in later:
                assert m.wait(rid, 120) == "finished", store.get(rid).error
                assert store.load_state_dict(rid) is not None
                assert store.snapshot_epochs(rid) == [0, 1]
            assert store.checkpoints.is_dir()
            assert store.load_state_dict(done) is None  # its file is gone: said, not raised
        finally:
            m.shutdown()

    def test_an_import_after_the_folder_went(self, tmp_path, trained_run):
        store = RunStore(tmp_path / "store")
        shutil.rmtree(store.checkpoints)
        _store, _run_id, data = trained_run
        rid, added = store.import_run(data, "run.safetensors")
        assert added and store.load_state_dict(rid) is not None


class TestLockedDatabase:
    def test_a_long_exclusive_lock_loses_nothing_and_is_said_once(self, tmp_path, caplog):
        """Another program (a backup) holds BEGIN EXCLUSIVE for 6 s, far longer than this
        store waits for a write (0.5 s): the dispatcher backs off and says so once, starts
        and loses no worker, logs no traceback; every run finishes with all its epochs."""
        store = RunStore(tmp_path / "store", busy_s=0.5)
        m = RunManager(store, executor=ProcessExecutor(store.root, 1, threads=1))
        try:
            with caplog.at_level(logging.INFO, logger="cnnviz"):
                first = m.submit(tiny(num_epochs=3, limit=1024))
                queued = m.submit(tiny(num_epochs=2))
                wait_for(lambda: m.progress(first) is not None, timeout=180)
                db = sqlite3.connect(store.path, isolation_level=None)
                db.execute("BEGIN EXCLUSIVE")
                try:
                    time.sleep(6)
                finally:
                    db.execute("COMMIT")
                    db.close()
                assert m.wait(first, 180) == "finished"
                assert m.wait(queued, 180) == "finished"
            assert [r["epoch"] for r in store.metrics_rows(first)] == [1, 2, 3]
            assert [r["epoch"] for r in store.metrics_rows(queued)] == [1, 2]
            assert store.points(first)[-1][0] == 3.0
            assert m.executor.started_workers == 1
            records = [r for r in caplog.records if r.name.startswith("cnnviz")]
            assert not [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
            busy = [r for r in records if "waits for the store" in r.getMessage()]
            assert len(busy) <= 1
        finally:
            m.shutdown()

    def test_the_dispatcher_backs_off_while_locked(self, tmp_path, caplog):
        """With nothing training, a queued run waits out the lock: one line when it starts,
        one when it ends, few rounds meanwhile, and then the run starts."""
        store = RunStore(tmp_path / "store", busy_s=0.2)
        m = RunManager(store, executor=ThreadExecutor(store, 1))
        try:
            m.executor.slots = 0  # nothing starts until the lock is taken
            rid = m.submit(tiny(num_epochs=1))
            db = sqlite3.connect(store.path, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            with caplog.at_level(logging.INFO, logger="cnnviz"):
                m.executor.slots = 1
                m.kick()
                try:
                    wait_for(lambda: m.busy_since is not None, timeout=10)
                    time.sleep(5)
                    assert store.status(rid) == "queued"
                finally:
                    db.execute("COMMIT")
                    db.close()
                assert m.wait(rid, 120) == "finished"
            lines = [r.getMessage() for r in caplog.records if r.name == "cnnviz.runs"]
            assert sum("waits for the store" in x for x in lines) == 1
            assert sum("usable again" in x for x in lines) == 1
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        finally:
            m.shutdown()
