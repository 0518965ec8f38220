"""Reading single values out of DataFrames: a missing value is always None, never NaN.

pandas 3 turns the ``None`` of a text column into NaN, which ``value is None`` misses; every
read of a listing goes through ``cnnviz.frames``. Tested as a class: every column of the runs
listing × every way a value can be missing, then a store where every optional column is empty
in some row read by every reader (the pages, the command line).
"""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pandas as pd
import pytest

from cnnviz import frames as F
from cnnviz.runs import RunStore
from conftest import tiny_config

pytestmark = pytest.mark.unit

MISSING = [None, float("nan"), np.nan, np.float32("nan"), np.float64("nan"), pd.NA, pd.NaT]
PRESENT = [
    ("abc", "abc"), ("", ""), (0, 0), (np.int64(7), 7), (np.float32(0.5), 0.5),
    (np.float64(1.25), 1.25), (np.bool_(True), True), (False, False), (0.0, 0.0),
]  # fmt: skip
EPOCH = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0, "val_acc": 0.5,
         "examples_per_s": 100.0, "seconds": 1.0}  # fmt: skip
# The runs listing's columns with the type a present value has.
LISTING = {
    "run_id": str, "name": str, "group": str, "status": str, "family": str, "preset": str,
    "epochs_done": int, "num_epochs": int, "best_val_acc": float, "final_val_acc": float,
    "seconds": float, "created": str, "device": str, "error": str, "examples_per_s": float,
    "user": str, "pinned": bool, "size_mb": float,
}  # fmt: skip


@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_every_missing_value_is_none(value):
    assert F.missing(value)
    assert F.plain(value) is None
    assert F.text(value) is None


@pytest.mark.parametrize(("value", "want"), PRESENT, ids=repr)
def test_a_present_value_is_plain_python(value, want):
    assert not F.missing(value)
    got = F.plain(value)
    assert got == want and type(got) is type(want)


def _listing_row(**over) -> list:
    row = {
        "run_id": "r0", "name": "n", "group": "g", "status": "finished", "family": "lenet",
        "preset": "LeNet", "epochs_done": 1, "num_epochs": 2, "best_val_acc": 0.5,
        "final_val_acc": 0.4, "seconds": 1.0, "created": "2026-01-01 10:00", "device": "cpu",
        "error": "e", "examples_per_s": 10.0, "user": "u" * 16, "pinned": False, "size_mb": 0.1,
    }  # fmt: skip
    return [over.get(c, row[c]) for c in LISTING]


@pytest.mark.parametrize("col", [c for c in LISTING if c not in ("run_id", "pinned")])
@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_a_listing_with_a_missing_value_in_any_column(col, value):
    """One row complete, one with ``col`` missing, as pandas 3 stores them: the row reads as
    None in that column, and every other value (both rows) as its plain Python type."""
    df = pd.DataFrame(
        [_listing_row(), _listing_row(run_id="r1", **{col: value})], columns=list(LISTING)
    )
    full, holed = F.records(df)
    assert getattr(holed, col) is None
    assert F.column(df, col)[1] is None
    for row in (full, holed):
        for c, kind in LISTING.items():
            v = getattr(row, c)
            if v is None:
                assert row is holed and c == col
            elif kind is int and c == col:  # a hole makes pandas store the counts as floats
                assert isinstance(v, int | float) and float(v).is_integer()
            else:
                assert type(v) is kind, (c, v)


def test_column_names_that_are_not_identifiers_are_kept_in_order():
    df = pd.DataFrame([[1, None, "x"]], columns=["a b", "class", "c"])
    (row,) = F.records(df)
    assert tuple(row) == (1, None, "x")


def _store_with_holes() -> tuple[RunStore, dict[str, str]]:
    """A store as a teacher prepares a class: a CLI run (no owner, no group, no preset), an
    imported-like run without a device, two students' runs (one pinned, one failed), and a
    queued run with no epochs."""
    store = RunStore()
    ids = {}
    ids["cli"] = store.create(tiny_config(), name="cli run", status="finished")
    store.add_epoch(ids["cli"], EPOCH)
    ids["ann"] = store.create(tiny_config(), name="ann", group="g", preset="LeNet",
                              status="finished", user="a" * 16)  # fmt: skip
    ids["bob"] = store.create(tiny_config(), name="bob", status="failed", user="b" * 16)
    store.set_pinned(ids["bob"], True)
    ids["queued"] = store.create(tiny_config(), name="waiting", user="a" * 16)
    _raw(store, "UPDATE runs SET grp=NULL, preset=NULL, device=NULL, error=NULL WHERE run_id=?",
         ids["cli"])  # fmt: skip
    return store, ids


def _raw(store: RunStore, sql: str, *args) -> None:
    """Write what the store's own API never writes (NULLs where a value is optional)."""
    db = sqlite3.connect(store.path, timeout=30)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def test_the_listing_of_a_mixed_store_reads_as_plain_values():
    store, ids = _store_with_holes()
    rows = {r.run_id: r for r in store.list_runs()}
    assert set(rows) == set(ids.values())
    cli = rows[ids["cli"]]
    assert cli.user is None and cli.group is None and cli.preset is None and cli.device is None
    assert rows[ids["queued"]].final_val_acc is None and rows[ids["queued"]].best_val_acc is None
    assert rows[ids["ann"]].user == "a" * 16 and rows[ids["bob"]].pinned is True


def test_the_listing_is_typed_records_and_the_table_is_built_from_them():
    """The store hands out frozen run summaries with plain Python values (no pandas); a page's
    table is made from them, with the fields as columns (also when there is no run)."""
    import dataclasses

    from cnnviz.runs import RunSummary

    store, ids = _store_with_holes()
    runs = store.list_runs()
    assert runs and all(type(r) is RunSummary for r in runs)
    ann = next(r for r in runs if r.run_id == ids["ann"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ann.name = "changed"  # type: ignore[misc]
    for r in runs:
        assert type(r.epochs_done) is int and type(r.pinned) is bool and type(r.seconds) is float
        assert r.final_val_acc is None or type(r.final_val_acc) is float
    df = F.table(runs)
    assert list(df.columns) == [f.name for f in dataclasses.fields(RunSummary)]
    assert list(df["run_id"]) == [r.run_id for r in runs]  # newest first, as listed
    assert df["final_val_acc"].isna().sum() == sum(r.final_val_acc is None for r in runs)
    assert list(F.table(runs, ["name", "status"]).columns) == ["name", "status"]
    empty = F.table([], of=RunSummary)
    assert empty.empty and list(empty.columns) == list(df.columns)


def test_metrics_come_as_rows_and_the_table_is_built_from_them(tmp_path):
    """A run's metrics come out of the store as plain rows (a missing value None); the table a
    page draws or downloads has the epoch record's columns, also before the first epoch."""
    from cnnviz.runfile import METRIC_COLUMNS

    store = RunStore(tmp_path / "store")
    run_id = store.create(tiny_config(), name="m", status="finished")
    assert store.metrics_rows(run_id) == []
    empty = F.metrics_table([])
    assert empty.empty and list(empty.columns) == list(METRIC_COLUMNS)
    store.add_epoch(run_id, {"epoch": 1, "train_loss": 1.0, "val_acc": 0.5})
    store.add_epoch(run_id, {"epoch": 2, "train_loss": 0.5, "val_acc": None})
    rows = store.metrics_rows(run_id)
    assert type(rows) is list and all(type(r) is dict for r in rows)
    assert [r["epoch"] for r in rows] == [1, 2] and rows[1]["val_acc"] is None
    assert rows[0]["seconds"] is None  # never written: None, not NaN
    df = F.metrics_table(rows)
    assert list(df.columns) == list(METRIC_COLUMNS) and len(df) == 2
    csv = df.to_csv(index=False).splitlines()
    assert csv[0] == ",".join(METRIC_COLUMNS) and csv[1].startswith("1,1.0,")
    store.close()


def test_the_command_lines_json_listing_has_null_for_missing_values(capsys):
    from cnnviz.cli import main

    _, ids = _store_with_holes()
    assert main(["runs", "--json"]) == 0
    rows = {r["run_id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    cli = rows[ids["cli"]]
    assert cli["user"] is None and cli["group"] is None and cli["device"] is None
    assert rows[ids["queued"]]["final_val_acc"] is None
    assert all(
        not isinstance(v, float) or math.isfinite(v) for r in rows.values() for v in r.values()
    )


def test_the_builders_weights_picker_reads_plain_values():
    """The run service's rows for the builder's picker: None where a value is missing."""
    from cnnviz.classroom import TEACHER, User
    from cnnviz.runs.service import RunService

    store, ids = _store_with_holes()
    rows = RunService(None, store=store).finished_like(User("t" * 16, TEACHER), "lenet",
                                                       lambda spec: True)  # fmt: skip
    got = {r.run_id: r for r in rows}
    assert set(got) == {ids["cli"], ids["ann"]}
    assert got[ids["cli"]].user is None and got[ids["cli"]].group is None
    assert got[ids["ann"]].final_val_acc is None  # no epoch: None, not NaN
