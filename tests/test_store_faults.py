"""Store faults as a class: a held write lock, a paused process, killed writers, deleting a live
run, two imports at once, rows no listing may choke on, an older store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cnnviz.models import PRESETS
from cnnviz.runs import RunActiveError, RunDamagedError, RunManager, RunStore
from cnnviz.runs.executors import ThreadExecutor
from cnnviz.runs.store import REAPED, SCHEMA_VERSION
from conftest import app_test, assert_clean, wait_for
from conftest import tiny_config as tiny

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


def hold_write_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that takes the database's write lock and keeps it."""
    code = (
        "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None);"
        "db.execute('BEGIN IMMEDIATE'); print('locked', flush=True);"
        "time.sleep(float(sys.argv[2])); db.execute('COMMIT')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_held_write_lock_delays_epochs_but_never_fails_the_run(tmp_path):
    store = RunStore(tmp_path / "s", busy_s=0.3)  # gives up on a write fast: epochs wait
    m = RunManager(store, executor=ThreadExecutor(store, 1))
    run_id = m.submit(tiny(num_epochs=6, limit=1024))
    wait_for(lambda: store.get(run_id).epochs_done >= 1)
    locker = hold_write_lock(store.path, 4.0)
    assert m.wait(run_id, 240) == "finished"
    assert locker.wait(30) == 0
    locker.stdout.close()
    rec = store.get(run_id)
    assert rec.error is None and rec.epochs_done == 6
    assert [r["epoch"] for r in store.metrics_rows(run_id)] == [1, 2, 3, 4, 5, 6]
    assert store.snapshot_epochs(run_id) == list(range(7))
    m.shutdown()


def test_a_paused_process_is_not_reaped_and_a_wrong_mark_is_cleared(tmp_path):
    store = RunStore(tmp_path / "s")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_id = store.create(tiny(), status="running")
        # alive on this host, silent for ten minutes (SIGSTOP, swapped out): slow, not gone
        store._x("UPDATE runs SET owner_pid=?, heartbeat=? WHERE run_id=?",
                 (sleeper.pid, time.time() - 600, run_id))  # fmt: skip
        assert store.reap() == [] and store.status(run_id) == "running"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert store.reap() == [run_id]  # now its process is gone
    rec = store.get(run_id)
    assert rec.status == "interrupted" and rec.error == REAPED
    store.beat(run_id)  # ... but it was only paused: its next beat proves it alive
    rec = store.get(run_id)
    assert rec.status == "running" and rec.error is None
    store.set_status(run_id, "interrupted", REAPED)
    store.set_status(run_id, "finished")  # ends well: no stale "process ended" text
    assert store.get(run_id).error is None


def test_temporaries_of_killed_writers_are_cleaned(tmp_path):
    store = RunStore(tmp_path / "s")
    run_id = store.create(tiny(), status="finished")
    folder = store.checkpoints
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    of_dead = folder / f"{run_id}.safetensors.{dead}-0123abcd.tmp"
    old_style = folder / f"{run_id}.tmp"  # from an older cnnviz: no pid in the name
    fresh_old_style = folder / "other.tmp"
    live = folder / f"{run_id}.epochs.safetensors.{os.getpid()}-89abcdef.tmp"
    for p in (of_dead, old_style, fresh_old_style, live):
        p.write_bytes(b"x" * 1000)
    os.utime(old_style, (time.time() - 3600, time.time() - 3600))
    RunStore(store.root)  # opening cleans what dead writers left
    assert not of_dead.exists() and not old_style.exists()
    assert live.exists() and fresh_old_style.exists()  # a writer may still be at work
    store.delete(run_id)
    assert not live.exists()  # deleting a run removes its temporaries too


def test_deleting_a_live_run_is_refused_or_stops_it_first(tmp_path):
    store = RunStore(tmp_path / "s")
    m = RunManager(store, executor=ThreadExecutor(store, 1))
    run_id = m.submit(tiny(num_epochs=500, limit=1024))
    wait_for(lambda: m.status(run_id) == "running")
    with pytest.raises(RunActiveError, match="stop it"):
        store.delete(run_id)
    m.delete(run_id)
    assert not store.exists(run_id) and not store.checkpoint_path(run_id).exists()
    # a run deleted under a trainer (another process, raw SQL) ends quietly, no FK error
    other = m.submit(tiny(num_epochs=500, limit=1024))
    wait_for(lambda: m.status(other) == "running" and store.stored_progress(other))
    store._x("DELETE FROM runs WHERE run_id=?", (other,))
    wait_for(lambda: not m.executor.alive(), timeout=30)
    ok = m.submit(tiny(num_epochs=1))
    assert m.wait(ok, 120) == "finished"
    m.shutdown()


def _import(store, data, gate, results, errors):
    gate.wait()
    try:
        results.append(store.import_run(data, "teacher.safetensors"))
    except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
        errors.append(exc)


@pytest.mark.parametrize("separate", [False, True], ids=["one store", "two connections"])
def test_two_imports_of_one_file_at_once_add_it_once(trained_run, tmp_path, separate):
    _, run_id, data = trained_run
    for trial in range(5):
        root = tmp_path / f"{separate}-{trial}"
        stores = [RunStore(root), RunStore(root)] if separate else [RunStore(root)] * 2
        results, errors = [], []
        gate = threading.Barrier(2)
        threads = [
            threading.Thread(target=_import, args=(s, data, gate, results, errors)) for s in stores
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sorted(added for _, added in results) == [False, True]
        s = RunStore(root)
        assert s.get(run_id).status == "finished"
        assert s.load_state_dict(run_id) is not None and s.snapshot_epochs(run_id) == [0, 1, 2, 3]
        assert list(root.glob("checkpoints/*.tmp")) == []


def test_an_import_never_joins_someone_elses_group(trained_run, tmp_path):
    _, run_id, data = trained_run  # its group is "g1"
    store = RunStore(tmp_path / "s")
    store.create(tiny(), name="mine", group="g1", status="finished")
    store.import_run(data, "f.safetensors")
    group = store.get(run_id).group
    assert group != "g1" and group.startswith("g1 (imported")
    fresh = RunStore(tmp_path / "fresh")
    fresh.import_run(data, "f.safetensors")
    assert fresh.get(run_id).group == "g1"  # a group of its own stays as it was


POISON = [
    ("created", 1e20),
    ("created", -1e15),
    ("created", float("inf")),
    ("created", "yesterday"),
    ("num_epochs", 10**18),
    ("name", None),
    ("config", "{not json"),
    ("config", json.dumps({"spec": {"family": "alien"}})),
]


def test_no_row_breaks_a_listing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("CNNVIZ_HOME", str(home))
    store = RunStore(home)
    good = store.create(tiny(), name="good", status="finished")
    bad = []
    for column, value in POISON:
        rid = store.create(tiny(), name=f"bad {column}", status="finished")
        # written as another program (or a damaged file) might: past every check
        db = sqlite3.connect(store.path)
        db.execute("PRAGMA ignore_check_constraints=ON")
        if column == "name":
            db.execute("UPDATE runs SET name='' WHERE run_id=?", (rid,))
        else:
            db.execute(f"UPDATE runs SET {column}=? WHERE run_id=?", (value, rid))
        db.commit()
        db.close()
        bad.append(rid)
    runs = {r.run_id: r for r in store.list_runs()}
    assert set(runs) == {good, *bad}
    assert runs[good].name == "good"
    for rid, (column, _) in zip(bad, POISON, strict=True):
        if column == "config":
            with pytest.raises(RunDamagedError, match="cannot be read"):
                store.get(rid)
        else:
            store.get(rid)  # readable
    cli = subprocess.run([sys.executable, "-m", "cnnviz", "runs"], cwd=REPO, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "good" in cli.stdout
    at = app_test("training.py")
    at.query_params["run"] = bad[-1]
    at.run()
    assert_clean(at)
    assert len(at.dataframe) and len(at.dataframe[0].value) == 1 + len(POISON)  # the table
    assert any("cannot be read" in e.value for e in at.error)  # the damaged run, said


def test_a_schema_1_store_is_upgraded_in_place(tmp_path):
    from cnnviz.runs.store import SCHEMA

    root = tmp_path / "old"
    root.mkdir()
    db = sqlite3.connect(root / "runs.sqlite")
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)",
                   [("app", "cnnviz-run-store"), ("schema_version", "1")])  # fmt: skip
    db.execute(
        "INSERT INTO runs (run_id, name, family, status, config, num_epochs, created)"
        " VALUES ('abc123', 'old run', 'lenet', 'finished', ?, 2, ?)",
        (json.dumps(tiny().to_dict()), time.time()),
    )
    db.execute("INSERT INTO metrics VALUES ('abc123', 1, 2.3, 0.1, 2.3, 0.1, 100, 1.0)")
    db.commit()
    db.close()
    store = RunStore(root)
    rec = store.get("abc123")
    assert (rec.name, rec.status, rec.epochs_done, rec.user) == ("old run", "finished", 1, None)
    assert store.points("abc123") == []
    assert store._q("SELECT value FROM meta WHERE key='schema_version'") == [(str(SCHEMA_VERSION),)]


def test_names_are_bounded_so_every_run_file_imports_again(tmp_path):
    import torch

    from cnnviz.runfile import MAX_TEXT_CHARS

    store = RunStore(tmp_path / "s")
    run_id = store.create(tiny(), name="x" * 20_000_000, group="a\x00b\nc", status="finished")
    rec = store.get(run_id)
    assert len(rec.name) == MAX_TEXT_CHARS and rec.group == "a b c"
    store.save_state_dict(run_id, {k: torch.zeros_like(v) for k, v in _lenet_state().items()})
    other = RunStore(tmp_path / "other")
    assert other.import_run(store.checkpoint_path(run_id).read_bytes(), "f") == (run_id, True)


def _lenet_state():
    from cnnviz.models import build_model

    return build_model(PRESETS["LeNet"]).state_dict()
