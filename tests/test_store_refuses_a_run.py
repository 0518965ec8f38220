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


REFUSE = """\
import errno, os

_flag = os.environ.get("REFUSE_FLAG")
if _flag:  # while the flag is there, the disk under this worker's store is full
    from cnnviz.runs import store as S
    from cnnviz.runs.db import StoreFailedError

    _save, _status = S.RunStore.save_state_dict, S.RunStore.set_status

    def _full_save(self, *args, **kwargs):
        if os.path.exists(_flag):
            raise OSError(errno.ENOSPC, "No space left on device")
        return _save(self, *args, **kwargs)

    def _full_status(self, *args, **kwargs):
        if os.path.exists(_flag):
            raise StoreFailedError("database or disk is full", "store.failed", detail="full")
        return _status(self, *args, **kwargs)

    S.RunStore.save_state_dict, S.RunStore.set_status = _full_save, _full_status
"""


def test_a_worker_that_cannot_mark_its_run_has_the_server_mark_it(tmp_path, monkeypatch):
    """The worker process's store refuses the weights and then the run's failed mark: the
    server marks it interrupted and says why, and the same worker trains the next run."""
    from cnnviz.runs import RunManager
    from cnnviz.runs.executors import ProcessExecutor
    from conftest import wait_for

    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(REFUSE)
    flag = tmp_path / "full"
    monkeypatch.setenv("PYTHONPATH", str(hooks))
    monkeypatch.setenv("REFUSE_FLAG", str(flag))
    store = RunStore(tmp_path / "store")
    m = RunManager(store, executor=ProcessExecutor(store.root, 1, threads=1))
    try:
        run_id = m.submit(tiny(num_epochs=200, limit=1024))
        wait_for(lambda: store.get(run_id).epochs_done >= 1, timeout=180)
        flag.touch()
        wait_for(lambda: store.status(run_id) != "running", timeout=60)
        rec = store.get(run_id)
        assert rec.status == "interrupted", (rec.status, rec.error)
        assert "the run store refused its writes (OSError: [Errno 28]" in rec.error
        assert "finished epochs are kept" in rec.error
        assert "실행 저장소가 쓰기를 거부함" in stored_text(rec.error, "ko")
        assert rec.epochs_done >= 1 and store.load_state_dict(run_id) is not None
        flag.unlink()  # space again
        after = m.submit(tiny(num_epochs=1))
        assert m.wait(after, 180) == "finished"
        assert m.executor.started_workers == 1  # the worker lived on
    finally:
        flag.unlink(missing_ok=True)
        m.shutdown()
