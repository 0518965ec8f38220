"""AppTest of the ablation lab: launch a group, poll until every variant's curves are drawn,
and restore the comparison from the URL's query params."""

from __future__ import annotations

import json
import time

from cnnviz.runs import LIVE, get_manager
from conftest import app_test, assert_clean, plotly_array


def _traces(at, key: str) -> list[dict]:
    for chart in at.get("plotly_chart"):
        if chart.proto.id and key in chart.proto.id:
            return json.loads(chart.proto.spec)["data"]
    return []


def _chart_names(at, key: str) -> set[str]:
    return {t.get("name") for t in _traces(at, key)}


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
    assert len(_traces(at, "abl_kernels")) == 2 and len(_traces(at, "abl_maps")) == 2
    # Scrub back to epoch 0: paired variants start from the very same kernels.
    scrub = at.select_slider(key="abl_scrub")
    assert list(scrub.options) == ["0", "1", "2"] and scrub.value == 2
    last = [t["z"] for t in _traces(at, "abl_kernels")]
    assert last[0] != last[1]  # sigmoid and ReLU learned differently
    scrub.set_value(0).run()
    assert_clean(at)
    init = [t["z"] for t in _traces(at, "abl_kernels")]
    assert init[0] == init[1] and init[0] != last[0]
    scrub.set_value(2).run()
    # one confusion matrix per variant (kept by the worker), and the difference view
    assert len(_traces(at, "abl_cm_0")) == 1 and len(_traces(at, "abl_cm_1")) == 1
    for i, rid in enumerate(run_ids):
        stored = get_manager().store.load_analysis(rid)
        shown = plotly_array(_traces(at, f"abl_cm_{i}")[0]["text"])
        assert shown.tolist() == stored["confusion"]
    assert len(_traces(at, "abl_difference")) == 1
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
