"""``python -m cnnviz``: JSON lines per epoch, the runs listing, and no Streamlit import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Runs ``python -m cnnviz`` twice in one interpreter and reports which UI-side packages were
# loaded after the first command: a GPU machine with only torch and safetensors must train.
PROBE = """
import runpy, sys
for i, argv in enumerate((sys.argv[1:], ["runs"])):
    sys.argv = ["cnnviz", *argv]
    try:
        runpy.run_module("cnnviz", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        assert not e.code, e.code
    if i == 0:
        extra = [m for m in ("streamlit", "pandas", "plotly") if m in sys.modules]
        print("LOADED_BY_FIRST", ",".join(extra) or "-")
print("STREAMLIT_LOADED", "streamlit" in sys.modules)
"""


def run_cli(tmp_path, *args):
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_train_prints_json_lines_and_stores_the_run(tmp_path):
    out = run_cli(
        tmp_path, "train", "--preset", "LeNet-ReLU", "--epochs", "2", "--limit", "256",
        "--val-limit", "128", "--batch-size", "64", "--device", "cpu", "--threads", "1", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    epochs = [json.loads(line) for line in lines if line.startswith("{")]
    assert [e["epoch"] for e in epochs] == [1, 2]
    for e in epochs:
        assert e["examples_per_s"] > 0 and 0 <= e["val_acc"] <= 1
        assert {"train_loss", "train_acc", "val_loss", "seconds"} <= set(e)
    assert "LOADED_BY_FIRST -" in lines  # training needs neither pandas, plotly nor streamlit
    listing = [line for line in lines if "LeNet-ReLU" in line and not line.startswith("{")]
    assert len(listing) == 1 and "finished" in listing[0]
    assert lines[-1] == "STREAMLIT_LOADED False"


def test_bad_arguments_are_a_message(tmp_path):
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "h"), "PYTHONPATH": str(REPO)}
    bad = subprocess.run(
        [sys.executable, "-m", "cnnviz", "train", "--epochs", "0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "num_epochs must be at least 1" in bad.stderr
    assert "Traceback" not in bad.stderr
