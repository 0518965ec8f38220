"""``python -m cnnviz train`` stores its run without slowing it: the same seed gives the same
metrics stored and unstored, no worker process is started beside it, and it trains on every
core it is given unless told otherwise."""

from __future__ import annotations

import importlib
import json
import os

import pytest
import torch

from cnnviz import cli
from cnnviz.runs import RunStore
from cnnviz.train import train
from conftest import tiny_config

E = importlib.import_module("cnnviz.runs.execute")  # the package exports a function by the name

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("one_torch_thread")]

METRICS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")
ARGS = ["train", "--preset", "LeNet-ReLU", "--epochs", "2", "--limit", "256", "--val-limit",
        "128", "--batch-size", "64", "--device", "cpu", "--seed", "7", "--json"]  # fmt: skip


def epoch_metrics(records) -> list[dict]:
    return [{k: r[k] for k in METRICS} for r in records if r["kind"] == "epoch"]


def cli_epochs(capsys, *extra: str) -> list[dict]:
    assert cli.main([*ARGS, *extra]) == 0
    out = capsys.readouterr().out
    return [{k: rec[k] for k in METRICS} for rec in map(json.loads, out.splitlines())]


def test_same_seed_same_metrics_stored_and_unstored(tmp_path, capsys):
    config = tiny_config(seed=11)
    bare = epoch_metrics(train(config))
    store = RunStore(tmp_path / "store")
    run_id, records = E.run_here(store, config, "stored")
    stored = epoch_metrics(records)
    assert stored == bare and len(bare) == 2
    kept = store.metrics_rows(run_id)
    assert [round(m["val_acc"], 12) for m in kept] == [round(m["val_acc"], 12) for m in bare]
    assert store.status(run_id) == "finished"

    # The CLI, both ways, on one thread each: the same numbers, to the last bit.
    unstored = cli_epochs(capsys, "--no-store", "--threads", "1")
    assert cli_epochs(capsys, "--threads", "1") == unstored and len(unstored) == 2


def test_a_stored_cli_run_starts_no_manager_and_no_worker(monkeypatch, capsys):
    from cnnviz.runs import executors, manager

    started = []
    monkeypatch.setattr(executors.ProcessExecutor, "_spawn", lambda self: started.append("worker"))
    real_init = manager.RunManager.__init__

    def init(self, *a, **kw):
        started.append("manager")
        real_init(self, *a, **kw)

    monkeypatch.setattr(manager.RunManager, "__init__", init)
    monkeypatch.setattr(manager, "_managers", {})
    assert cli.main([*ARGS, "--threads", "1"]) == 0
    assert started == []
    runs = RunStore().list_runs()
    assert list(runs["status"]) == ["finished"] and int(runs["epochs_done"].iloc[0]) == 2
    assert f"in {RunStore().root}" in capsys.readouterr().err


def test_the_cli_trains_on_every_core_it_is_given(monkeypatch, capsys):
    monkeypatch.delenv("CNNVIZ_THREADS", raising=False)
    assert E.own_process_threads() == E.cores_given() == len(os.sched_getaffinity(0))
    assert E.own_process_threads(3) == 3  # --threads wins
    monkeypatch.setenv("CNNVIZ_THREADS", "1")
    assert E.own_process_threads() == 1 and E.own_process_threads(2) == 2

    monkeypatch.delenv("CNNVIZ_THREADS")
    seen = []
    real = E.torch_threads
    monkeypatch.setattr(E, "torch_threads", lambda t=None: (seen.append(t), real(t))[1])
    assert cli.main(ARGS) == 0
    assert seen == [E.cores_given()] and torch.get_num_threads() == E.cores_given()
    capsys.readouterr()


@pytest.mark.parametrize("bad", ["0", "-2"])
def test_threads_below_one_is_a_message(bad, capsys):
    assert cli.main([*ARGS, "--threads", bad]) == 2
    err = capsys.readouterr().err
    assert f"--threads must be 1 or more, not {bad}" in err and "Traceback" not in err
    assert RunStore().list_runs().empty  # nothing was started
