"""Pages over a store of crafted evaluations: the insight page, the ablation lab and the
Training page render without an exception, and a damaged evaluation is said (in the page's
language), not drawn and not silently dropped. A run file carrying one is imported without it,
and its notice says so."""

from __future__ import annotations

import copy
import json

import pytest
from test_runfile import rewrite
from test_stored_evaluation import HOSTILE

from cnnviz.runfile import ANALYSIS_KEY
from cnnviz.runs import RunStore
from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]

# One case of each kind of damage (all of them are checked in test_stored_evaluation.py).
CASES = [
    "not a dict (list)", "version True", "num_images not the matrix's sum",
    "confusion huge count", "confusion of 1001 classes", "confusion nan", "accuracy 500%",
    "index beyond the test set", "true class huge", "top3 empty", "index repeated",
    "confidence nan", "seconds too long for a float",
]  # fmt: skip
WORDS = {"en": ("The stored evaluation", "was damaged"), "ko": ("저장된", "손상되어")}


def _crafted(stored: dict, case: str):
    return HOSTILE[case](copy.deepcopy(stored))


@pytest.fixture
def imported(trained_run):
    """The trained run, imported into the pages' store: (store, run_id, its evaluation)."""
    _, run_id, data = trained_run
    store = RunStore()
    store.import_run(data, "demo.safetensors")
    stored = store.load_analysis(run_id)
    assert stored is not None and stored["num_images"] == 128
    return store, run_id, stored


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts + [e.value for e in (*at.info, *at.warning, *at.error)])


@pytest.mark.parametrize(
    ("case", "lang"), [(c, "en") for c in CASES] + [(c, "ko") for c in CASES[:2]]
)  # each kind in English; the Korean notice twice
def test_the_pages_say_a_damaged_evaluation_and_go_on(imported, case, lang):
    store, run_id, stored = imported
    store.save_analysis(run_id, _crafted(stored, case))
    # the lab first: the insight page recomputes a damaged evaluation in the background and
    # stores it in its place (a later page would then see a sound one)
    lab = app_test("ablation.py")
    lab.query_params["runs"] = run_id
    lab.query_params["lang"] = lang
    lab.run()
    assert_clean(lab)
    assert WORDS[lang][1] in _texts(lab)
    assert not [c for c in lab.get("plotly_chart") if "abl_cm" in (c.proto.id or "")]
    at = app_test("insight.py")
    at.query_params["run"] = run_id
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    first, second = WORDS[lang]
    assert any(first in w.value and second in w.value for w in at.warning), _texts(at)
    train = app_test("training.py")
    train.query_params["run"] = run_id
    train.query_params["lang"] = lang
    train.run()
    assert_clean(train)


def test_a_valid_stored_evaluation_is_drawn(imported):
    store, run_id, stored = imported
    at = app_test("insight.py")
    at.query_params["run"] = run_id
    at.run()
    assert_clean(at)
    assert not any("was damaged" in w.value for w in at.warning)


FILE_CASES = [c for c in CASES if "1001" not in c]  # a header that large is refused whole


@pytest.mark.parametrize("case", FILE_CASES + ["not JSON", "too deep"])
def test_an_imported_file_with_a_damaged_evaluation_comes_without_it(trained_run, case):
    _, run_id, data = trained_run
    good = json.loads(_meta(data))
    raw = {
        "not JSON": "{version: 1",
        "too deep": "[" * 100_000 + "]" * 100_000,
    }.get(case) or json.dumps(_crafted(good, case))
    store = RunStore()
    rid, added = store.import_run(rewrite(data, **{ANALYSIS_KEY: raw}), "f.safetensors")
    assert added and rid == run_id
    assert store.load_analysis(rid) is None
    assert "Its evaluation was not kept" in store.get(rid).notice


def _meta(data: bytes) -> str:
    from cnnviz.runfile import read_metadata

    return read_metadata(data)[ANALYSIS_KEY]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_run_without_a_final_accuracy_still_shows_its_matrix(imported, lang):
    """A file's NaN metric is kept as NULL: the caption leaves out what was not kept instead
    of failing or saying "nan%"."""
    import sqlite3

    store, run_id, _ = imported
    db = sqlite3.connect(store.path, timeout=30)
    db.execute("UPDATE metrics SET val_acc=NULL WHERE run_id=?", (run_id,))
    db.commit()
    db.close()
    at = app_test("insight.py")
    at.query_params["run"] = run_id
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    text = _texts(at)
    assert "nan" not in text.lower()
    assert ("test images" if lang == "en" else "테스트 이미지") in text
