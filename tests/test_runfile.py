"""Portable run files: a checkpoint carries its run, and another store imports it whole."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load, save

from cnnviz.models import PRESETS, build_model
from cnnviz.runfile import EPOCHS_KEY, RUN_KEY, RunFileError, read_metadata, read_run_file
from cnnviz.runs import RunStore
from cnnviz.train import RunConfig

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


TINY = RunConfig(PRESETS["LeNet"], num_epochs=3, limit=256, val_limit=128)  # as trained_run


def rewrite(data: bytes, **meta) -> bytes:
    """The same weights with some metadata replaced (None deletes a key)."""
    old = read_metadata(data)
    new = {k: v for k, v in {**old, **meta}.items() if v is not None}
    return save(load(data), metadata=new)


def test_checkpoint_is_plain_weights_that_describe_their_run(trained_run):
    store, run_id, data = trained_run
    net = build_model(PRESETS["LeNet"])
    net.load_state_dict(load(data))  # an ordinary state dict: usable without cnnviz
    d = json.loads(read_metadata(data)[RUN_KEY])
    assert (d["run_id"], d["name"], d["group"], d["status"]) == (run_id, "class demo", "g1",
                                                                  "finished")  # fmt: skip
    assert RunConfig.from_dict(d["config"]) == TINY
    assert [m["epoch"] for m in d["metrics"]] == [1, 2, 3]
    assert d["metrics"] == store.metrics_rows(run_id)
    assert EPOCHS_KEY in read_metadata(data)


def test_import_brings_back_the_whole_run(trained_run, tmp_path):
    source, run_id, data = trained_run
    target = RunStore(tmp_path / "target")
    assert target.import_run(data, f"{run_id}.safetensors") == (run_id, True)
    rec, orig = target.get(run_id), source.get(run_id)
    assert (rec.name, rec.group, rec.preset, rec.status) == (orig.name, orig.group, orig.preset,
                                                              "finished")  # fmt: skip
    assert rec.config == orig.config and rec.device == orig.device
    assert rec.created == orig.created
    assert "Imported from" in rec.notice
    assert target.metrics_rows(run_id) == source.metrics_rows(run_id)
    got, want = target.load_state_dict(run_id), source.load_state_dict(run_id)
    assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)
    # every epoch's first layer: scrubbing works as in the source store
    assert target.snapshot_epochs(run_id) == source.snapshot_epochs(run_id) == [0, 1, 2, 3]
    for e in (0, 3):
        a, b = target.load_snapshot(run_id, e), source.load_snapshot(run_id, e)
        assert all(torch.equal(a[k], b[k]) for k in b)
    row = target.list_runs()[0]
    assert (row.run_id, row.epochs_done) == (run_id, 3)
    # the imported checkpoint is itself a run file: a third store takes it from there
    third = RunStore(tmp_path / "third")
    assert third.import_run(target.checkpoint_path(run_id).read_bytes()) == (run_id, True)
    # importing again changes nothing
    assert target.import_run(data) == (run_id, False)
    assert len(target.list_runs()) == 1


def test_without_snapshots_epoch_0_and_the_last_are_rebuilt(trained_run, tmp_path):
    source, run_id, data = trained_run
    target = RunStore(tmp_path / "target")
    target.import_run(rewrite(data, **{EPOCHS_KEY: None}))
    assert target.snapshot_epochs(run_id) == [0, 3]
    for e in (0, 3):  # the init from the seed, the last epoch from the weights
        a, b = target.load_snapshot(run_id, e), source.load_snapshot(run_id, e)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in b)
    # damaged snapshots cost the scrubbing only, never the import
    other = RunStore(tmp_path / "other")
    other.import_run(rewrite(data, **{EPOCHS_KEY: "not base64!"}))
    assert other.snapshot_epochs(run_id) == [0, 3]


def test_a_file_saved_mid_run_comes_in_interrupted(trained_run, tmp_path):
    _, run_id, data = trained_run
    d = json.loads(read_metadata(data)[RUN_KEY])
    d["status"], d["metrics"] = "running", d["metrics"][:2]
    target = RunStore(tmp_path / "target")
    target.import_run(rewrite(data, **{RUN_KEY: json.dumps(d)}))
    rec = target.get(run_id)
    assert (rec.status, rec.epochs_done) == ("interrupted", 2)
    assert "after epoch 2" in rec.error


def _damaged(data: bytes) -> dict[str, tuple[bytes, str]]:
    d = json.loads(read_metadata(data)[RUN_KEY])
    resnet = {**d, "config": RunConfig(spec=PRESETS["ResNet-18"]).to_dict()}
    gap = {**d, "metrics": [d["metrics"][0], d["metrics"][2]]}
    nan = {**d, "metrics": [{**d["metrics"][0], "val_acc": "high"}]}
    newer = {**d, "version": 99}
    halves = {k: v.half() if v.is_floating_point() else v for k, v in load(data).items()}
    half = save(halves, metadata=read_metadata(data))
    n = struct.unpack("<Q", data[:8])[0]
    return {
        "empty": (b"", "not a safetensors file"),
        "png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a safetensors file"),
        "header cut": (data[: 8 + n // 2], "not a safetensors file"),
        "weights cut": (data[: len(data) // 2], "cut short"),
        "plain weights": (save(load(data)), "no cnnviz run"),
        "description not json": (rewrite(data, **{RUN_KEY: "{"}), "damaged run description"),
        "other network": (rewrite(data, **{RUN_KEY: json.dumps(resnet)}), "do not fit"),
        "epoch missing": (rewrite(data, **{RUN_KEY: json.dumps(gap)}), "out of order"),
        "metric not a number": (rewrite(data, **{RUN_KEY: json.dumps(nan)}), "not a number"),
        "newer cnnviz": (rewrite(data, **{RUN_KEY: json.dumps(newer)}), "newer cnnviz"),
        "float16 weights": (half, "wrong shape or type"),
    }


def test_bad_files_are_refused_with_a_reason_and_nothing_is_written(trained_run, tmp_path):
    _, _, data = trained_run
    target = RunStore(tmp_path / "target")
    for case, (bad, reason) in _damaged(data).items():
        with pytest.raises(RunFileError, match=reason):
            target.import_run(bad, "bad.safetensors")
        assert target.list_runs() == [], case
        assert not list(target.checkpoints.iterdir()), case
    with pytest.raises(RunFileError, match="bad.safetensors"):
        read_run_file(b"xx", "bad.safetensors")  # the message names the file


def test_cli_imports_and_reports_bad_files(trained_run, tmp_path):
    _, run_id, data = trained_run
    good, bad = tmp_path / "good.safetensors", tmp_path / "bad.safetensors"
    good.write_bytes(data)
    bad.write_bytes(b"not a run")
    env = {"CNNVIZ_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "cnnviz", "import", str(bad), str(good)]
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1  # one file was bad; the good one still came in
    assert "“bad.safetensors” is not a safetensors file" in out.stderr
    assert f"imported run {run_id} (class demo, 3/3 epochs, finished)" in out.stdout
    assert "Traceback" not in out.stderr
    again = subprocess.run(cmd[:-2] + [str(good)], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0 and "already in the store" in again.stdout


def test_a_run_keeps_its_final_evaluation_in_the_store_and_its_file(trained_run, tmp_path):
    """The worker's last step: the confusion matrix of the kept weights on the run's validation
    images (cnnviz.insight); its diagonal is the last epoch's val acc, and it travels with the
    run file into another store."""
    import numpy as np

    from cnnviz.runfile import ANALYSIS_KEY

    store, run_id, data = trained_run
    stored = store.load_analysis(run_id)
    cm = np.asarray(stored["confusion"])
    assert cm.sum() == TINY.val_limit
    assert np.trace(cm) / cm.sum() == pytest.approx(store.metrics_rows(run_id)[-1]["val_acc"])
    assert json.loads(read_metadata(data)[ANALYSIS_KEY]) == stored
    target = RunStore(tmp_path / "t")
    target.import_run(data, "f.safetensors")
    assert target.load_analysis(run_id) == stored
    broken = rewrite(data, **{ANALYSIS_KEY: '{"version": 1, "confusion": [[1, 2]]}'})
    again = RunStore(tmp_path / "again")
    again.import_run(broken, "broken.safetensors")  # a damaged matrix costs only the matrix
    assert again.load_analysis(run_id) is None and again.get(run_id).status == "finished"
