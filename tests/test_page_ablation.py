"""AppTest of the ablation lab: launch a group, poll until every variant's curves are drawn,
and restore the comparison from the URL's query params."""

from __future__ import annotations

import time

import pytest

from cnnviz.runs import LIVE, get_manager
from conftest import app_test, assert_clean, plotly_array, plotly_traces

pytestmark = pytest.mark.apptest


def _chart_names(at, key: str) -> set[str]:
    return {t.get("name") for t in plotly_traces(at, key)}


def _poll(at, run_ids, timeout=150):
    """Re-run the page (AppTest does not fire run_every) until every run has ended."""
    mgr = get_manager()
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(mgr.status(r) not in LIVE for r in run_ids):
            break
        time.sleep(1)
        at.run()
        assert_clean(at)
    return at.run()


def test_page_opens_with_the_builtin_groups():
    at = app_test("ablation.py").run()
    assert_clean(at)
    assert at.title[0].value == "Ablation lab"
    titles = at.selectbox(key="abl_group").options
    assert titles == [
        "LeNet: sigmoid vs ReLU (7.6)",
        "VGG: 224 vs 56 vs adjusted (8.2)",
        "ResNet-18: BN and skip ablations (8.6)",
        "AlexNet: with and without dropout (8.1)",
        "NiN: global average pooling vs a fully connected head (8.3)",
        "GoogLeNet: with and without the 1×1 reductions (8.4)",
        "LeNet: with and without batch norm at a high learning rate (8.5)",
        "DenseNet: two growth rates (8.7)",
    ]
    assert at.radio(key="abl_mode").value == "classroom"  # no GPU here
    captions = " ".join(c.value for c in at.caption)
    assert "CPU classroom: 20,000 images, 10 epochs" in captions
    at.radio(key="abl_mode").set_value("full").run()
    assert "GPU" in " ".join(w.value for w in at.warning)
    at.segmented_control(key="abl_source").set_value("grid").run()
    assert_clean(at)
    at.segmented_control(key="abl_source").set_value("store").run()
    assert_clean(at)
    assert "No runs stored yet" in " ".join(i.value for i in at.info)


@pytest.mark.slow  # trains the group
def test_the_stored_runs_hint_names_the_button_that_is_there():
    """Comparing stored runs has no Run button: the hint names Compare, in either language."""
    at = app_test("ablation.py")
    at.query_params["lang"] = "ko"
    at.run()
    at.segmented_control(key="abl_source").set_value("store").run()
    assert_clean(at)
    hints = [i.value for i in at.info]
    assert any("**고른 실행 비교**" in h for h in hints), hints
    assert not any("**실행**을" in h for h in hints), hints


def test_launch_a_group_and_see_every_variant(monkeypatch):
    at = app_test("ablation.py").run()
    at.selectbox(key="abl_group").set_value("lenet")
    at.radio(key="abl_mode").set_value("quick").run()
    at.button(key="abl_launch").click().run()
    assert_clean(at)
    run_ids = at.session_state["abl_run_ids"]
    assert len(run_ids) == 2
    at = _poll(at, run_ids)
    assert_clean(at)
    assert _chart_names(at, "abl_overlay") == {"LeNet", "LeNet-ReLU"}
    assert _chart_names(at, "abl_multiples") == {"LeNet", "LeNet-ReLU"}
    table = at.dataframe[0].value
    assert list(table["variant"]) == ["LeNet", "LeNet-ReLU"]
    assert (table["epochs"] == 2).all()
    assert len(plotly_traces(at, "abl_kernels")) == 2 and len(plotly_traces(at, "abl_maps")) == 2
    # Scrub back to epoch 0: paired variants start from the very same kernels.
    scrub = at.select_slider(key="abl_scrub")
    assert list(scrub.options) == ["0", "1", "2"] and scrub.value == 2
    last = [t["z"] for t in plotly_traces(at, "abl_kernels")]
    assert last[0] != last[1]  # sigmoid and ReLU learned differently
    scrub.set_value(0).run()
    assert_clean(at)
    init = [t["z"] for t in plotly_traces(at, "abl_kernels")]
    assert init[0] == init[1] and init[0] != last[0]
    scrub.set_value(2).run()
    # one confusion matrix per variant (kept by the worker), and the difference view
    assert len(plotly_traces(at, "abl_cm_0")) == 1 and len(plotly_traces(at, "abl_cm_1")) == 1
    for i, rid in enumerate(run_ids):
        stored = get_manager().store.load_analysis(rid)
        shown = plotly_array(plotly_traces(at, f"abl_cm_{i}")[0]["text"])
        assert shown.tolist() == stored["confusion"]
    assert len(plotly_traces(at, "abl_difference")) == 1
    words = " ".join(m.value for m in at.markdown if "test images right" in m.value)
    assert "ReLU fixes" in words.replace("\\", "") or "ReLU confuses" in words.replace("\\", "")
    assert at.query_params["runs"] == ",".join(run_ids)
    assert at.query_params["group"] == "lenet" and at.query_params["mode"] == "quick"
    # the same runs share a seed and a data order: the store shows the pairing
    configs = [get_manager().store.get(r).config for r in run_ids]
    assert configs[0].seed == configs[1].seed and configs[0].limit == configs[1].limit

    # a fresh session opened with the shareable URL restores the comparison
    again = app_test("ablation.py")
    again.query_params["group"] = "lenet"
    again.query_params["mode"] = "quick"
    again.query_params["runs"] = ",".join(run_ids)
    again.run()
    assert_clean(again)
    assert again.session_state["abl_run_ids"] == run_ids
    assert again.radio(key="abl_mode").value == "quick"
    assert _chart_names(again, "abl_overlay") == {"LeNet", "LeNet-ReLU"}

    # presenter mode collapses the controls into an expander
    again.session_state["presenter_mode"] = True
    again.run()
    assert_clean(again)
    assert any("Choose and launch" in e.label for e in again.expander)


def test_unknown_runs_in_the_url_are_reported():
    at = app_test("ablation.py")
    at.query_params["runs"] = "nosuchrun1"
    at.run()
    assert_clean(at)
    assert "nosuchrun1" in " ".join(w.value for w in at.warning)


def _texts(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info]).replace("\\", "")


@pytest.mark.slow  # trains six runs
def test_three_seeds_give_bands_a_table_with_spread_and_a_verdict():
    """A 3-seed quick LeNet group: 6 runs queued seed by seed, bands around the means, mean ±
    sd in the table, the pairs' interval and the verdict sentence, then the same in Korean."""
    at = app_test("ablation.py").run()
    at.selectbox(key="abl_group").set_value("lenet")
    at.radio(key="abl_mode").set_value("quick").run()
    at.number_input(key="abl_seeds").set_value(3).run()
    assert at.button(key="abl_launch").label == "Run all 2 variants × 3 seeds (6 runs)"
    assert "its 6 runs one after another" in " ".join(c.value for c in at.caption)
    at.button(key="abl_launch").click().run()
    assert_clean(at)
    run_ids = at.session_state["abl_run_ids"]
    mgr = get_manager()
    recs = [mgr.store.get(r) for r in run_ids]
    assert [(r.name, r.config.seed) for r in recs] == [
        ("LeNet", 0), ("LeNet-ReLU", 0), ("LeNet", 1), ("LeNet-ReLU", 1),
        ("LeNet", 2), ("LeNet-ReLU", 2),
    ]  # fmt: skip
    assert at.query_params["seeds"] == "3"
    at = _poll(at, run_ids, timeout=300)
    assert_clean(at)
    names = [t.get("name") for t in plotly_traces(at, "abl_overlay")]
    assert names == ["LeNet ±1 sd", "LeNet ±1 sd", "LeNet", "LeNet-ReLU ±1 sd",
                     "LeNet-ReLU ±1 sd", "LeNet-ReLU"]  # fmt: skip
    assert plotly_traces(at, "abl_overlay")[1]["fill"] == "tonexty"
    table = at.dataframe[0].value
    assert list(table["seeds"]) == ["3", "3"]
    assert all(" ± " in v and v.endswith("%") for v in table["final val acc"])
    pairs = at.dataframe[1].value
    assert list(pairs["seeds"]) == [3] and pairs["95% CI"][0].startswith("[")
    words = _texts(at)
    assert "beats" in words or "no difference beyond seed noise" in words
    assert "paired t interval" in words and "What it does not claim" in words
    assert "average over its finished seeds (3)" in words
    # min–max bands and every seed's own run
    at.segmented_control(key="abl_band").set_value("range").run()
    at.toggle(key="abl_show_runs").set_value(True).run()
    assert_clean(at)
    names = [t.get("name") for t in plotly_traces(at, "abl_overlay")]
    assert names.count("LeNet min–max") == 2 and sum("seed" in n for n in names) == 6
    # the exports carry the seeds: every run's epochs, and the mean and spread
    assert at.session_state["abl_band"] == "range"

    ko = app_test("ablation.py")
    ko.query_params["lang"] = "ko"
    ko.query_params.update({"group": "lenet", "mode": "quick", "runs": ",".join(run_ids)})
    ko.run()
    assert_clean(ko)
    words = _texts(ko)
    assert "시드 잡음" in words and "짝지은 t 구간" in words
    assert [t.get("name") for t in plotly_traces(ko, "abl_overlay")][0] == "LeNet ±1 표준편차"


def test_one_seed_says_why_there_is_no_interval():
    """A group stored before seeds existed (one run per variant) shows as k = 1."""
    from cnnviz import ablation as A

    mgr = get_manager()
    configs = A.group_configs("lenet", "quick", 0, num_epochs=1, limit=128, val_limit=64)
    entries = [(c, v.name, "old group · seed 0", v.preset)
               for v, c in zip(A.GROUPS["lenet"].variants, configs, strict=True)]  # fmt: skip
    ids = mgr.submit_many(entries)
    for rid in ids:
        assert mgr.wait(rid, 120) == "finished"
    at = app_test("ablation.py")
    at.query_params.update({"group": "store", "mode": "quick", "runs": ",".join(ids)})
    at.run()
    assert_clean(at)
    assert list(at.dataframe[0].value["seeds"]) == ["1", "1"]
    assert "One seed per variant, so no interval" in _texts(at)
    assert not any(" ± " in v for v in at.dataframe[0].value["final val acc"])
    assert [t.get("name") for t in plotly_traces(at, "abl_overlay")] == ["LeNet", "LeNet-ReLU"]
