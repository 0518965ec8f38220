"""A run store that refuses a training run's writes midway (its disk filled up, its folder went
read-only): the run stops and ends as failed with a message the pages say in their language,
its finished epochs' metrics and weights stay readable, and the next run trains."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from cnnviz.runs import RunStore
from cnnviz.runs.execute import NOT_SAVED, execute
from conftest import app_test, assert_clean
from conftest import tiny_config as tiny
from ui.common import md_escape, stored_text

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


def _refuse_after(store, method: str, works: int, exc: Exception) -> None:
    """``store.<method>`` works ``works`` times, then raises ``exc`` as the full disk would."""
    real, calls = getattr(store, method), []

    def refused(*args, **kwargs):
        calls.append(args)
        if len(calls) > works:
            raise exc
        return real(*args, **kwargs)

    setattr(store, method, refused)


class _MetricsRefused:
    """The store's database connection once its disk is full: the second epoch's metrics row
    is refused as SQLite refuses it."""

    def __init__(self, db):
        self._real, self.calls = db, 0

    def __getattr__(self, name):
        return getattr(self._real, name)

    def execute(self, sql, *args):
        if "INTO metrics" in sql:
            self.calls += 1
            if self.calls >= 2:
                raise sqlite3.OperationalError("database or disk is full")
        return self._real.execute(sql, *args)


@pytest.mark.parametrize(
    ("method", "exc"),
    [
        ("save_state_dict", OSError(errno.ENOSPC, "No space left on device")),
        ("save_snapshot", PermissionError(errno.EACCES, "Permission denied")),
        ("_db", sqlite3.OperationalError("database or disk is full")),
    ],
    ids=["weights on a full disk", "snapshots in a read-only folder", "metrics on a full disk"],
)
def test_a_refused_write_ends_the_run_as_failed_and_keeps_its_epochs(tmp_path, method, exc):
    store = RunStore(tmp_path / "s")
    config = tiny(num_epochs=4)
    run_id = store.create(config, name="demo", status="running")
    real_db = store._db
    if method == "_db":
        store._db = _MetricsRefused(real_db)
    else:  # the first epoch's files are written (and the init's snapshot), then refused
        _refuse_after(store, method, 2 if method == "save_snapshot" else 1, exc)
    records = list(execute(store, run_id, config))  # never raises
    assert records[-1]["kind"] == "failed"
    store = RunStore(store.root)  # space again (a new connection to the same store)
    real_db.close()
    rec = store.get(run_id)
    assert rec.status == "failed" and rec.error == records[-1]["message"]
    assert rec.error.startswith(NOT_SAVED.split("{")[0]) and str(exc) in rec.error
    assert rec.epochs_done == 1 < config.num_epochs  # it stopped: no more epochs were trained
    assert [r["epoch"] for r in store.metrics_rows(run_id)] == [1]
    assert store.load_state_dict(run_id) is not None and 1 in store.snapshot_epochs(run_id)
    korean = stored_text(rec.error, "ko")
    assert "실행을 저장할 수 없었습니다" in korean and "could not be saved" not in korean

    again = RunStore(store.root)  # opens cleanly, and the next run trains
    after = again.create(tiny(num_epochs=1), status="running")
    assert list(execute(again, after, tiny(num_epochs=1)))[-1]["kind"] == "done"
    assert again.get(after).status == "finished"


def test_the_training_page_says_it_in_korean():
    from cnnviz.runs import default_home

    store = RunStore(default_home())  # another connection to the pages' store
    config = tiny(num_epochs=3)
    run_id = store.create(config, name="demo", status="running")
    _refuse_after(store, "save_state_dict", 1, OSError(errno.ENOSPC, "No space left"))
    assert list(execute(store, run_id, config))[-1]["kind"] == "failed"
    at = app_test("training.py")
    at.query_params.update(run=run_id, lang="ko")
    at.run()
    assert_clean(at)
    said = [e.value for e in at.error]
    assert any(md_escape("디스크 공간을 비우거나") in e for e in said), said
    assert not any("could not be saved" in e for e in said), said
