"""``python -m cnnviz``: JSON lines per epoch, the runs listing, and no Streamlit import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

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
    assert bad.returncode == 2 and "num_epochs must be a whole number from 1" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_import_goes_on_past_every_bad_file_one_line_each(trained_run, tmp_path):
    _, run_id, data = trained_run
    files = {
        "empty.safetensors": b"",
        "notes.safetensors": b"not a run",
        "cut.safetensors": data[: len(data) // 2],
        "good.safetensors": data,
        "nested.safetensors": (100_000).to_bytes(8, "little") + b"[" * 100_000,
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "a folder.safetensors").mkdir()
    args = [str(tmp_path / n) for n in files]
    args[3:3] = [str(tmp_path / "missing.safetensors"), str(tmp_path / "a folder.safetensors")]
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "cnnviz", "import", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    bad = [a for a in args if not a.endswith("good.safetensors")]
    assert [line.split(": ", 2)[1] for line in errors] == bad  # one line per bad file, in order
    assert all(len(line.split(": ", 2)[2]) > 5 for line in errors)  # each with a reason
    assert out.stdout.splitlines() == [f"imported run {run_id} (class demo, 3/3 epochs, finished)"]


def test_import_reports_any_failure_of_one_file_and_imports_the_next(
    trained_run, tmp_path, monkeypatch, capsys
):
    from cnnviz import cli
    from cnnviz.runs import RunStore

    _, run_id, data = trained_run
    real = RunStore.import_run

    def flaky(self, content, name="upload", *args, **kwargs):
        if name.startswith("boom"):
            raise RuntimeError("the disk\nis on fire")
        return real(self, content, name, *args, **kwargs)

    monkeypatch.setattr(RunStore, "import_run", flaky)
    for name in ("boom.safetensors", "good.safetensors"):
        (tmp_path / name).write_bytes(data)
    status = cli.main(["import", str(tmp_path / "boom.safetensors"),
                       str(tmp_path / "good.safetensors")])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 1
    assert f"error: {tmp_path / 'boom.safetensors'}: RuntimeError: the disk is on fire" in err
    assert out.splitlines() == [f"imported run {run_id} (class demo, 3/3 epochs, finished)"]
    assert cli.main(["import", str(tmp_path / "good.safetensors")]) == 0  # all good: exit 0
    assert "already in the store" in capsys.readouterr().out


def test_runs_json_is_json_with_null_for_missing_numbers(trained_run, tmp_path):
    """Beside a finished run, a run without a finished epoch has no final accuracy: JSON null,
    not NaN."""
    from cnnviz.models import PRESETS
    from cnnviz.runs import RunStore
    from cnnviz.train import RunConfig

    home = tmp_path / "home"
    store = RunStore(home)
    done, _ = store.import_run(trained_run[2], "finished.safetensors")
    run_id = store.create(RunConfig(spec=PRESETS["LeNet"], num_epochs=1), name="new")
    env = {**os.environ, "CNNVIZ_HOME": str(home), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "cnnviz", "runs", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr

    def not_json(name):
        raise AssertionError(f"{name} is not JSON: {out.stdout}")

    rows = [json.loads(line, parse_constant=not_json) for line in out.stdout.splitlines()]
    row = next(r for r in rows if r["run_id"] == run_id)
    assert row["name"] == "new" and row["final_val_acc"] is None
    assert all(v is None or isinstance(v, str | int | float | bool) for v in row.values()), row
    assert 0 < next(r for r in rows if r["run_id"] == done)["final_val_acc"] <= 1
