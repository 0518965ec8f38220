"""Garbage after a run: Streamlit's full collection after every script run is off (with a
class on a page it walked every open session's state each run), and each run ends with a
collection of the young generations, which frees the run's cyclic garbage at once."""

from __future__ import annotations

import gc
import tomllib
import weakref
from pathlib import Path

import pytest

from ui.common import collect_young

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]


def test_streamlits_full_collection_after_each_run_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_every_run_ends_with_the_young_collection():
    app = (ROOT / "app.py").read_text()
    assert app.rstrip().splitlines()[-1].startswith("collect_young()")
    assert "collect_young()" in (ROOT / "ui" / "follow.py").read_text()  # a fragment's run


class _Node:
    def __init__(self):
        self.me = self  # a cycle: reference counting alone never frees it


def test_a_runs_cyclic_garbage_is_freed_at_its_end():
    was = gc.isenabled()
    gc.disable()  # no automatic collection in between: only collect_young may free it
    try:
        node = _Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None
        collect_young()
        assert gone() is None
    finally:
        if was:
            gc.enable()


def test_the_first_run_spaces_pythons_full_collections_out():
    from ui import common

    was, frozen = gc.get_threshold(), gc.get_freeze_count()
    common._frozen_at.clear()
    try:
        common.freeze_heap()
        young, middle, old = gc.get_threshold()
        assert (young, middle) == was[:2]
        assert old == common.FULL_COLLECTION_AFTER
    finally:
        gc.set_threshold(*was)
        if not frozen:
            gc.unfreeze()
        common._frozen_at.clear()
