"""A run store that cannot be written when a browser first comes: another program holds its
write lock past the store's wait, or its folder went read-only. The new visitor still gets
every page (their identity is counted in the server's memory meanwhile), sees the stored
runs, and Start says why nothing started, in the page's language."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]

SAID = {  # what Start says, by fault and language
    ("locked", "en"): "is busy",
    ("read-only", "en"): "attempt to write a readonly database",
    ("read-only", "ko"): "디스크 공간",
}


class _ReadOnly:
    """A store's database connection once its folder is read-only: reads work, every write is
    refused as SQLite refuses it."""

    def __init__(self, db):
        self._real = db

    def __getattr__(self, name):
        return getattr(self._real, name)

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN", "REPLACE")):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return self._real.execute(sql, *args)


def _hold_write_lock(path) -> subprocess.Popen:
    """Another process that takes the database's write lock and keeps it until killed."""
    code = (
        "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None);"
        "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.parametrize(
    ("fault", "lang"), [("locked", "en"), ("read-only", "en"), ("read-only", "ko")]
)  # the held lock costs SQLite's own 2 s wait per write: once
def test_a_new_visitor_gets_the_pages_of_an_unwritable_store(trained_run, fault, lang, monkeypatch):
    from cnnviz.runs import get_manager
    from ui import identity

    store = get_manager().store
    run_id, _ = store.import_run(trained_run[2], "demo.safetensors")
    ident_store = identity.store_and_key()[0]  # the identities' own connection to the store
    locker = None
    if fault == "locked":
        for s in (store, ident_store):
            monkeypatch.setattr(s, "busy_s", 0.5)  # gives up on a write fast
        locker = _hold_write_lock(store.path)
    else:
        for s in (store, ident_store):
            monkeypatch.setattr(s, "_db", _ReadOnly(s._db))
    try:
        for page, param in (("training.py", "run"), ("insight.py", "run"), ("ablation.py", "runs")):
            at = app_test(page)  # a new browser: no identity yet
            at.query_params.update({param: run_id, "lang": lang})
            at.run()
            assert_clean(at)
        at = app_test("training.py")
        at.query_params.update(run=run_id, lang=lang)
        at.run()
        assert_clean(at)
        assert at.dataframe, "the stored runs are listed"
        at.number_input(key="train_epochs").set_value(1).run()
        at.button(key="train_start").click().run()
        assert_clean(at)
        assert any(SAID[fault, lang] in e.value for e in at.error), [e.value for e in at.error]
        assert [r.run_id for r in store.list_runs()] == [run_id]  # nothing half-made
    finally:
        if locker is not None:
            locker.kill()
            locker.wait()
            locker.stdout.close()
