"""The trainer (d2l 6.6 train_ch6 on Fashion-MNIST): records, determinism, stop, resize, errors."""

from __future__ import annotations

import json
import math
import threading

import pytest
import torch
from torch import nn

from cnnviz import train as ctrain
from cnnviz.estimates import format_seconds
from cnnviz.models import PRESETS, LeNetSpec, build_model
from cnnviz.train import (
    RunConfig,
    TrainingError,
    subset_indices,
    to_input,
    train,
)

EPOCH_KEYS = {
    "kind", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "examples_per_s",
    "seconds",
}  # fmt: skip


pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("one_torch_thread")]


def tiny(**kw) -> RunConfig:
    base = {"spec": PRESETS["LeNet-ReLU"], "num_epochs": 2, "limit": 512, "val_limit": 256}
    return RunConfig(**{**base, **kw})


def test_generator_records(monkeypatch):
    monkeypatch.setattr(ctrain, "PROGRESS_EVERY_S", 0.0)
    recs = list(train(tiny(), stop_event=threading.Event()))
    kinds = [r["kind"] for r in recs]
    assert kinds[-1] == "done"
    epochs = [r for r in recs if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2]
    for r in epochs:
        assert set(r) == EPOCH_KEYS
        assert 0.0 <= r["train_acc"] <= 1.0 and 0.0 <= r["val_acc"] <= 1.0
        assert r["train_loss"] > 0 and r["val_loss"] > 0
        assert r["examples_per_s"] > 0 and r["seconds"] > 0
    progress = [r for r in recs if r["kind"] == "progress"]
    # 512 examples / batch 128 = 4 batches per epoch; with no throttle each batch reports.
    assert [(p["epoch"], p["batch"]) for p in progress] == [
        (e, b) for e in (1, 2) for b in (1, 2, 3, 4)
    ]
    assert all(p["num_batches"] == 4 for p in progress)
    # Throttled, the first batch still reports at once: the chart's first point.
    monkeypatch.setattr(ctrain, "PROGRESS_EVERY_S", 3600.0)
    throttled = [r for r in train(tiny()) if r["kind"] == "progress"]
    assert [(p["epoch"], p["batch"]) for p in throttled] == [(1, 1)]
    done = recs[-1]
    assert done["stopped"] is False and done["device"] == "cpu"
    expected = build_model(PRESETS["LeNet-ReLU"]).state_dict()
    assert set(done["state_dict"]) == set(expected)
    assert all(t.device.type == "cpu" for t in done["state_dict"].values())
    assert all(torch.isfinite(t).all() for t in done["state_dict"].values())


def test_same_seed_same_run_on_cpu():
    def run(seed):
        recs = list(train(tiny(seed=seed)))
        metrics = [
            {k: r[k] for k in ("train_loss", "train_acc", "val_loss", "val_acc")}
            for r in recs
            if r["kind"] == "epoch"
        ]
        return metrics, recs[-1]["state_dict"]

    m1, sd1 = run(3)
    m2, sd2 = run(3)
    assert m1 == m2
    assert all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    m3, _ = run(4)
    assert m3 != m1


def test_data_order_does_not_depend_on_spec():
    a = subset_indices(60000, 1000, seed=7)
    b = subset_indices(60000, 1000, seed=7)
    assert torch.equal(a, b) and len(a.unique()) == 1000
    assert not torch.equal(a, subset_indices(60000, 1000, seed=8))
    assert torch.equal(subset_indices(100, None, 0), torch.arange(100))


def test_resize_matches_torchvision():
    from torchvision.transforms import functional as TF

    X = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    ours = to_input(X, 96)
    ref = TF.resize(X.unsqueeze(1).float() / 255, [96, 96], antialias=True)
    assert ours.shape == (3, 1, 96, 96)
    assert torch.allclose(ours, ref, atol=1e-5)
    same = to_input(X, 28)
    assert torch.equal(same, X.unsqueeze(1).float() / 255)


def test_stop_ends_the_run_early():
    ev = threading.Event()
    seen = []
    for r in train(tiny(num_epochs=50, limit=2048), stop_event=ev):
        seen.append(r["kind"])
        if r["kind"] == "progress" or r["kind"] == "epoch":
            ev.set()
    assert seen[-1] == "done"
    assert seen.count("epoch") <= 1


def test_stop_inside_a_batch():
    """A set event is noticed by the hooks in the middle of forward/backward."""
    ev = threading.Event()
    net = build_model(PRESETS["LeNet"])
    hooks = ctrain._install_stop_hooks(net, ev)
    ev.set()
    with pytest.raises(ctrain._Stopped):
        net(torch.zeros(2, 1, 28, 28))
    for h in hooks:
        h.remove()
    net(torch.zeros(2, 1, 28, 28)).sum().backward()


def test_cuda_without_gpu_falls_back_with_notice(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    recs = list(train(tiny(num_epochs=1, device="cuda")))
    assert recs[0]["kind"] == "notice" and "CPU" in recs[0]["message"]
    assert recs[-1]["device"] == "cpu"


class _OOMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_becomes_a_message():
    with pytest.raises(TrainingError, match="smaller batch size"):
        list(train(tiny(num_epochs=1), net=_OOMNet()))


def test_config_round_trip_and_validation():
    cfg = RunConfig(PRESETS["ResNet-18-noBN"], num_epochs=3, lr=0.05, limit=100, seed=2)
    back = RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg
    assert RunConfig(LeNetSpec()).effective_lr == 0.1
    assert cfg.effective_lr == 0.05
    for bad in (
        {"num_epochs": 0},
        {"batch_size": 0},
        {"limit": 0},
        {"lr": -1.0},
        {"device": "tpu"},
    ):
        with pytest.raises(ValueError):
            RunConfig(LeNetSpec(), **bad).validate()


@pytest.mark.parametrize("one", [{"batch_size": 1}, {"limit": 1}])
def test_batch_norm_on_one_example_is_refused_with_a_message(one):
    """LeNet-BN's BatchNorm1d cannot train on one example: the run is refused before it
    starts, in words, instead of failing in its first batch with PyTorch's error."""
    with pytest.raises(ValueError, match="at least 2 examples per batch"):
        list(train(tiny(spec=PRESETS["LeNet-BN"], num_epochs=1, **one)))
    for fine in ("LeNet-BN-scratch", "LeNet-ReLU"):  # one image trains (badly, but it runs)
        recs = list(train(tiny(spec=PRESETS[fine], num_epochs=1, limit=3, batch_size=1)))
        assert recs[-1]["kind"] == "done"
    assert list(train(tiny(spec=PRESETS["LeNet-BN"], num_epochs=1, limit=3, batch_size=2)))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "under 1 s"), (1.4, "1 s"), (89, "89 s"), (600, "10 min"), (9000, "2.5 h"),
     (math.nan, "unknown")],
)  # fmt: skip
def test_format_seconds_never_says_zero(seconds, text):
    assert format_seconds(seconds) == text


def test_warm_up_pays_the_first_optimizer_import():
    import sys

    ctrain.warm_up()
    assert "torch._dynamo" in sys.modules  # what the first torch.optim.SGD(...) imports
