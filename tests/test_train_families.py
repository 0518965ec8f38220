"""Every family trains: d2l's loop on real Fashion-MNIST for each new chapter-8 family's
CPU-sized preset, the Training page's estimate for every preset the registry offers, and
the command line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cnnviz.ablation import scale_spec
from cnnviz.models import PRESETS, REGISTRY, build_model
from cnnviz.train import RunConfig, train

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("one_torch_thread")]
REPO = Path(__file__).resolve().parents[1]
# The smallest preset of each family added for chapter 8, and ResNeXt.
CPU_PRESETS = ["AlexNet-small", "NiN-small", "GoogLeNet-small", "LeNet-BN-scratch",
               "ResNeXt-18", "DenseNet-small"]  # fmt: skip


@pytest.mark.parametrize("name", CPU_PRESETS)
def test_a_new_family_trains_on_fashion_mnist(name):
    # a third of the side for the large inputs (the lab's classroom scale), 257 images so the
    # last batch holds one image (batch norm cannot train on one: it is left for the next epoch)
    spec = scale_spec(PRESETS[name], 1 / 3)
    config = RunConfig(spec, num_epochs=1, batch_size=128, limit=257, val_limit=128, seed=0)
    records = list(train(config))
    epoch = [r for r in records if r["kind"] == "epoch"][0]
    assert math.isfinite(epoch["train_loss"]) and 0 <= epoch["val_acc"] <= 1
    done = records[-1]
    assert done["kind"] == "done" and not done["stopped"]
    net = build_model(spec)
    net.load_state_dict(done["state_dict"])  # the checkpoint is this family's network
    changed = [k for k, v in done["state_dict"].items() if v.dtype.is_floating_point
               and not torch.equal(v, build_model(spec, generator=torch.Generator()
                                                  .manual_seed(0)).state_dict()[k])]  # fmt: skip
    assert changed  # it learned something


def test_every_preset_of_every_family_has_an_estimate():
    from cnnviz.estimates import Speeds, estimate_run

    speeds = Speeds(train=11651.5, eval=32051.4, basis="probe")  # LeNet here (the speed test)
    families = {spec.family for spec in PRESETS.values()}
    assert families == set(REGISTRY)
    seconds = {}
    for name, spec in PRESETS.items():
        est = estimate_run(RunConfig(spec, num_epochs=1, limit=1000), "cpu", speeds)
        assert est.seconds > 0 and math.isfinite(est.seconds), name
        seconds[name] = est.seconds
    # the multiply-adds drive it: the book's networks cost more than their CPU-sized variants
    for big, small in (
        ("AlexNet", "AlexNet-small"),
        ("NiN", "NiN-small"),
        ("GoogLeNet", "GoogLeNet-small"),
        ("DenseNet", "DenseNet-small"),
    ):
        assert seconds[big] > 3 * seconds[small], (big, seconds[big], seconds[small])


def test_the_command_line_trains_a_new_family(tmp_path):
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "cnnviz", "train", "--preset", "LeNet-BN-scratch", "--epochs", "1",
         "--limit", "256", "--val-limit", "128", "--device", "cpu", "--threads", "1", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    epochs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [e["epoch"] for e in epochs] == [1] and math.isfinite(epochs[0]["train_loss"])


@pytest.mark.apptest
@pytest.mark.parametrize("name", ["AlexNet-small", "GoogLeNet-small", "LeNet-BN", "DenseNet"])
def test_the_training_page_offers_every_family_with_an_estimate(name):
    from conftest import app_test, assert_clean

    at = app_test("training.py").run()
    assert name in at.selectbox(key="train_preset").options
    at.selectbox(key="train_preset").set_value(name).run()
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    assert "This run should take" in text and "CPU" in text
