"""The run store and manager: persistence, queueing, stop, crash recovery, bad files."""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from cnnviz import train as ctrain
from cnnviz.models import PRESETS, build_model
from cnnviz.runs import CheckpointError, RunManager, RunStore, StoreError, get_manager
from conftest import tiny_config as tiny
from conftest import wait_for

REPO = Path(__file__).resolve().parents[1]
LIST_COLUMNS = {
    "run_id", "name", "group", "status", "family", "preset", "epochs_done", "num_epochs",
    "best_val_acc", "final_val_acc", "seconds", "created",
}  # fmt: skip


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture
def manager(tmp_path):
    m = RunManager(RunStore(tmp_path / "store"), max_workers=1)
    yield m
    m.shutdown()


def test_run_is_stored_with_metrics_and_checkpoint(manager):
    run_id = manager.submit(tiny(), name="first", group="g", preset="LeNet")
    assert manager.wait(run_id, 120) == "finished"
    store = manager.store
    rec = store.get(run_id)
    assert (rec.name, rec.group, rec.preset, rec.status) == ("first", "g", "LeNet", "finished")
    assert rec.config == tiny() and rec.error is None
    m = store.metrics_rows(run_id)
    assert [e["epoch"] for e in m] == [1, 2]
    assert {"train_loss", "train_acc", "val_loss", "val_acc", "examples_per_s"} <= set(m[0])
    (row,) = store.list_runs()
    assert LIST_COLUMNS <= {f.name for f in dataclasses.fields(row)}
    assert row.epochs_done == 2 and row.final_val_acc == m[-1]["val_acc"]
    sd = store.load_state_dict(run_id)
    net = build_model(PRESETS["LeNet"])
    net.load_state_dict(sd)  # the same keys and shapes as the model
    assert manager.progress(run_id) is None
    # A second store object over the same folder (another process, a restart) sees it all.
    again = RunStore(store.root)
    assert again.get(run_id).status == "finished"
    assert len(again.metrics_rows(run_id)) == 2


def test_queueing_with_one_worker(manager):
    first = manager.submit(tiny(num_epochs=30, limit=1024))
    second = manager.submit(tiny(num_epochs=1))
    wait_for(lambda: manager.status(first) == "running")
    assert manager.status(second) == "queued"
    runs = {r.run_id: r for r in manager.store.list_runs()}
    assert runs[second].status == "queued"
    manager.stop(first)
    assert manager.wait(first, 60) == "stopped"
    assert manager.wait(second, 120) == "finished"


def test_two_users_at_once_both_run(manager):
    ids = []

    def user():
        ids.append(manager.submit(tiny(num_epochs=1)))

    threads = [threading.Thread(target=user) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 2
    assert [manager.wait(i, 120) for i in ids] == ["finished", "finished"]


def test_stop_running_and_queued(manager):
    long = manager.submit(tiny(num_epochs=500, limit=1024))
    queued = manager.submit(tiny(num_epochs=1))
    wait_for(lambda: manager.progress(long) is not None)
    t0 = time.time()
    manager.stop(long)
    manager.stop(queued)
    assert manager.wait(long, 30) == "stopped"
    stop_s = time.time() - t0
    assert manager.status(queued) == "stopped"
    assert manager.store.get(long).epochs_done < 500
    assert manager.store.metrics_rows(queued) == []
    print(f"stop took {stop_s:.2f} s")


def test_stop_from_another_manager_goes_through_the_store(manager):
    run_id = manager.submit(tiny(num_epochs=500, limit=1024))
    wait_for(lambda: manager.status(run_id) == "running")
    other = RunManager(RunStore(manager.store.root))
    other.stop(run_id)  # not its run: it asks the owner through the store
    assert manager.wait(run_id, 30) == "stopped"
    other.shutdown()


def test_crash_keeps_finished_epochs(tmp_path):
    """kill -9 the training process mid-run; reopening the store marks the run interrupted."""
    home = tmp_path / "crash"
    env = {**os.environ, "CNNVIZ_HOME": str(home), "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable, "-m", "cnnviz", "train", "--preset", "LeNet", "--epochs", "1000",
        "--limit", "512", "--val-limit", "256", "--threads", "1", "--json",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE)
    try:
        proc.stdout.readline()  # the first epoch line: that epoch is committed
        wait_for(lambda: (home / "runs.sqlite").exists())
        store = RunStore(home)
        (run_id,) = [r.run_id for r in store.list_runs()]
        assert store.status(run_id) == "running"  # its owner is alive: not reaped
        done_before = len(store.metrics_rows(run_id))
        assert done_before >= 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    reopened = RunStore(home)
    rec = reopened.get(run_id)
    assert rec.status == "interrupted"
    assert "finished epochs are kept" in rec.error
    m = reopened.metrics_rows(run_id)
    assert len(m) >= done_before and [e["epoch"] for e in m] == list(range(1, len(m) + 1))
    assert reopened.load_state_dict(run_id) is not None  # the last finished epoch's weights


def test_older_or_foreign_store_is_a_clear_error(tmp_path):
    old = tmp_path / "old"
    RunStore(old).close()
    with sqlite3.connect(old / "runs.sqlite") as db:
        db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="older cnnviz"):
        RunStore(old)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "runs.sqlite") as db:
        db.execute("CREATE TABLE something (x)")
    with pytest.raises(StoreError, match="not a cnnviz run store"):
        RunStore(foreign)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "runs.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="damaged"):
        RunStore(junk)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_checkpoints_are_never_unpickled(tmp_path):
    store = RunStore(tmp_path / "s")
    run_id = store.create(tiny(), status="finished")
    assert store.load_state_dict(run_id) is None
    marker = tmp_path / "pwned"
    store.checkpoint_path(run_id).write_bytes(pickle.dumps({"w": _Evil(str(marker))}))
    with pytest.raises(CheckpointError, match="cannot be read"):
        store.load_state_dict(run_id)
    assert not marker.exists()
    store.save_state_dict(run_id, {"w": torch.ones(2, 3)})
    assert torch.equal(store.load_state_dict(run_id)["w"], torch.ones(2, 3))


def test_failed_run_keeps_the_message(manager, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")
        yield

    monkeypatch.setattr(ctrain, "train", boom)
    run_id = manager.submit(tiny())
    assert manager.wait(run_id, 30) == "failed"
    assert "disk on fire" in manager.store.get(run_id).error
    with pytest.raises(ValueError):
        manager.submit(tiny(num_epochs=0))


def test_get_manager_follows_cnnviz_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "a"))
    a = get_manager()
    assert get_manager() is a and a.store.root == (tmp_path / "a").resolve()
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "b"))
    assert get_manager() is not a


def test_first_layer_is_kept_after_every_epoch(manager):
    """Epoch 0 is the init; the last snapshot is the final net's first stage, exactly."""
    from cnnviz import features
    from cnnviz.ablation import load_network
    from cnnviz.train import build_net

    cfg = tiny(num_epochs=3)
    run_id = manager.submit(cfg, name="scrub")
    assert manager.wait(run_id, 120) == "finished"
    store = manager.store
    assert store.snapshot_epochs(run_id) == [0, 1, 2, 3]
    init = features.first_stage_state(build_net(cfg))
    snap0 = store.load_snapshot(run_id, 0)
    assert set(snap0) == {"0.weight", "0.bias"}
    assert all(torch.equal(snap0[k], init[k]) for k in init)

    final = load_network(cfg.spec, store.load_state_dict(run_id))
    snap3 = store.load_snapshot(run_id, 3)
    assert all(torch.equal(snap3[k], final.state_dict()[k]) for k in snap3)
    assert not torch.equal(snap3["0.weight"], snap0["0.weight"])  # training moved the kernels

    X = torch.rand(1, 1, 28, 28)
    kernels, maps = features.learned_at(cfg.spec, snap3, X)
    assert torch.equal(kernels, features.first_layer_kernels(final))
    assert torch.allclose(maps, features.first_layer_maps(final, X), atol=1e-6)
    assert store.load_snapshot(run_id, 7) is None

    store.delete(run_id)
    assert not store.snapshots_path(run_id).exists() and store.snapshot_epochs(run_id) == []


def test_damaged_snapshot_file_is_a_clear_error(tmp_path):
    store = RunStore(tmp_path / "s")
    store.snapshots_path("abc").write_bytes(b"not safetensors")
    assert store.snapshot_epochs("abc") == []
    with pytest.raises(CheckpointError, match="cannot be read"):
        store.load_snapshot("abc", 1)
    store.save_snapshot("abc", 1, {"0.weight": torch.ones(2, 1, 3, 3)})  # replaced, not extended
    assert store.snapshot_epochs("abc") == [1]
