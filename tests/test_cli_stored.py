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
T = importlib.import_module("cnnviz.runs.threads")

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
    assert [r.status for r in runs] == ["finished"] and runs[0].epochs_done == 2
    assert f"in {RunStore().root}" in capsys.readouterr().err


def test_the_cli_trains_on_every_core_it_is_given(monkeypatch, capsys):
    monkeypatch.delenv("CNNVIZ_THREADS", raising=False)
    assert T.own_process_threads() == T.cores_given() == len(os.sched_getaffinity(0))
    assert T.own_process_threads(3) == 3  # --threads wins
    monkeypatch.setenv("CNNVIZ_THREADS", "1")
    assert T.own_process_threads() == 1 and T.own_process_threads(2) == 2

    monkeypatch.delenv("CNNVIZ_THREADS")
    seen = []
    real = E.torch_threads
    monkeypatch.setattr(E, "torch_threads", lambda t=None: (seen.append(t), real(t))[1])
    assert cli.main(ARGS) == 0
    assert seen == [T.cores_given()] and torch.get_num_threads() == T.cores_given()
    capsys.readouterr()


@pytest.mark.parametrize("bad", ["0", "-2"])
def test_threads_below_one_is_a_message(bad, capsys):
    assert cli.main([*ARGS, "--threads", bad]) == 2
    err = capsys.readouterr().err
    assert f"--threads must be 1 or more, not {bad}" in err and "Traceback" not in err
    assert RunStore().list_runs() == []  # nothing was started


# -- how many threads a run gets, and why (the Training page's "what is practical" panel) ---


@pytest.mark.parametrize(
    ("cores", "slots", "threads", "why"),
    [(1, 1, 1, "one_core"), (2, 1, 1, "two_cores"), (2, 2, 1, "two_cores"),
     (16, 1, 15, "spare"), (16, 3, 5, "spare")],
)  # fmt: skip
def test_a_worker_gets_the_cores_the_server_does_not_need(
    cores, slots, threads, why, monkeypatch, tmp_path
):
    from cnnviz.runs import executors

    monkeypatch.delenv("CNNVIZ_THREADS", raising=False)
    monkeypatch.setattr(T, "cores_given", lambda: cores)
    monkeypatch.setattr(executors, "cores_given", lambda: cores)
    ex = executors.ProcessExecutor(tmp_path, slots)  # starts no worker until it is polled
    assert ex.threads == executors.default_threads(slots) == threads
    plan = T.thread_plan(ex)
    assert plan == {"threads": threads, "cores": cores, "workers": slots, "why": why}


def test_the_plan_names_what_set_the_threads(monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setenv("CNNVIZ_THREADS", "3")
    assert T.thread_plan(SimpleNamespace(kind="process", threads=3, slots=1))["why"] == "set"
    assert T.thread_plan(SimpleNamespace(kind="ray", threads=4, slots=2)) == {
        "threads": 4, "cores": T.cores_given(), "workers": 2, "why": "cluster"}  # fmt: skip
    monkeypatch.delenv("CNNVIZ_THREADS")
    here = T.thread_plan(SimpleNamespace(kind="thread", slots=1))
    assert here["why"] == "here" and here["threads"] == torch.get_num_threads() == 1


def test_every_plan_has_its_words_in_both_languages():
    from ui.locales import CATALOGS

    plan = {"threads": 2, "cores": 4, "workers": 1}
    for why in ("one_core", "two_cores", "spare", "set", "here", "cluster"):
        for lang in ("en", "ko"):
            text = CATALOGS[lang]["training"]["threads"][why].format(**plan)
            assert "{" not in text and ("**2**" in text or why in ("one_core", "two_cores"))
