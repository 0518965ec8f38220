"""AppTest of the training page: form, a real tiny run, reconnecting, bad store."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from cnnviz.classroom import User
from cnnviz.models import PRESETS
from cnnviz.runs import RunStore, default_home, get_manager
from cnnviz.train import RunConfig
from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += (
        [e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.error]
    )
    return "\n".join(parts)


def test_page_renders_with_defaults():
    at = app_test("training.py").run()
    assert_clean(at)
    assert at.title[0].value == "Training runs"
    assert at.selectbox(key="train_preset").value == "LeNet"
    assert at.number_input(key="train_epochs").value == 10
    assert at.selectbox(key="train_batch").value == 128
    assert texts(at).count("No runs yet") == 1  # said once, not by the run view and the table
    # LeNet on the CPU: the whole training set in seconds per epoch.
    assert at.selectbox(key="train_subset").value == "auto"
    assert "60,000 training" in texts(at)


def test_resnet_on_cpu_gets_a_subset_and_a_warning():
    at = app_test("training.py").run()
    at.selectbox(key="train_preset").set_value("ResNet-18").run()
    at.selectbox(key="train_subset").set_value(60000).run()
    assert_clean(at)
    assert any("long for a class" in w.value for w in at.warning)
    at.selectbox(key="train_subset").set_value("auto").run()
    assert not any("long for a class" in w.value for w in at.warning)


@pytest.mark.slow  # trains a run
def test_start_a_run_and_watch_it_finish():
    at = app_test("training.py").run()
    at.number_input(key="train_epochs").set_value(2)
    at.selectbox(key="train_subset").set_value(1000)
    at.button(key="train_start").click().run()
    assert_clean(at)
    run_id = at.session_state["train_run_id"]
    assert at.query_params["run"] == [run_id] or at.query_params["run"] == run_id
    mgr = get_manager()
    assert mgr.wait(run_id, 120) == "finished"
    at.run()  # AppTest does not fire run_every: rerun by hand
    assert_clean(at)
    body = texts(at)
    assert "Epochs done: 2 of 2" in body and "finished" in body
    assert len(at.get("plotly_chart")) == 3  # curves, first-layer kernels, feature maps
    assert at.selectbox(key=f"train_show_{run_id}").value == run_id
    df = at.dataframe[0].value
    assert list(df["run_id"]) == [run_id] and df["epochs_done"].iloc[0] == 2
    assert mgr.store.get(run_id).config.limit == 1000

    # Scrub the first layer through training: epoch 0 (the init) beside the chosen epoch.
    scrub = at.select_slider(key=f"train_scrub_{run_id}")
    assert list(scrub.options) == ["0", "1", "2"] and scrub.value == 2
    charts = at.get("plotly_chart")
    assert "after epoch 2" in charts[1].proto.spec and "epoch 0 (init)" in charts[1].proto.spec
    scrub.set_value(1).run()
    at.number_input(key="train_scrub_sample").set_value(7).run()
    assert_clean(at)
    charts = at.get("plotly_chart")
    assert "after epoch 1" in charts[1].proto.spec and "after epoch 2" not in charts[1].proto.spec
    assert "test image 7" in texts(at)
    scrub.set_value(0).run()
    assert "after epoch" not in at.get("plotly_chart")[1].proto.spec

    # A run from before snapshots were kept says so instead of failing.
    mgr.store.snapshots_path(run_id).unlink()
    at.run()
    assert_clean(at)
    assert "no epoch snapshots" in texts(at)


def test_reconnects_through_the_url_and_uses_the_builder_model():
    mgr = get_manager()
    me = User("0123456789abcdef")
    old = mgr.submit(RunConfig(PRESETS["LeNet"], num_epochs=1, limit=256, val_limit=128),
                     user=me)  # fmt: skip
    new = mgr.submit(RunConfig(PRESETS["LeNet-ReLU"], num_epochs=1, limit=256, val_limit=128),
                     user=me)  # fmt: skip
    mgr.wait(old, 120), mgr.wait(new, 120)
    at = app_test("training.py")
    at.session_state["cnnviz_user"] = me
    at.query_params["run"] = old
    at.session_state["builder_spec"] = PRESETS["VGG-small-56"]
    at.run()
    assert_clean(at)
    assert at.session_state["train_run_id"] == old
    at.radio(key="train_source").set_value("builder").run()
    assert "builder_spec" in at.session_state
    assert "VGG" not in at.selectbox(key=f"train_show_{old}").value  # still showing the old run
    # Without a URL or session, the page falls back to this user's newest run ...
    fresh = app_test("training.py")
    fresh.session_state["cnnviz_user"] = me
    fresh.run()
    assert fresh.session_state["train_run_id"] == new
    # ... and shows a newcomer nobody else's run.
    newcomer = app_test("training.py").run()
    assert newcomer.session_state["train_run_id"] is None
    assert "No runs yet" in texts(newcomer)


def start_long_run():
    """The Training page with a 200-epoch run of 2,000 examples started: (page, run id)."""
    at = app_test("training.py").run()
    at.number_input(key="train_epochs").set_value(200)
    at.selectbox(key="train_subset").set_value(2000)
    at.button(key="train_start").click().run()
    return at, at.session_state["train_run_id"]


def test_stop_button_stops_a_long_run():
    at, run_id = start_long_run()
    mgr = get_manager()
    deadline = time.time() + 60
    while mgr.status(run_id) != "running" and time.time() < deadline:
        time.sleep(0.05)
    at.run()
    at.button(key="train_stop").click().run()
    assert mgr.wait(run_id, 30) == "stopped"


def test_a_live_run_is_drawn_in_place_and_its_table_lists_its_epochs():
    """While the run trains its curves go to the live chart (ui.live_chart: changed in place,
    not mounted anew), and the chart's table lists whole epochs only: it changes once an epoch,
    not with the running loss every second."""
    at, run_id = start_long_run()
    mgr = get_manager()
    deadline = time.time() + 120
    while mgr.store.get(run_id).epochs_done < 2 and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    assert_clean(at)
    live = [e for e in at.get("component_instance") if "live_chart" in e.proto.component_name]
    assert len(live) == 1
    assert not [c for c in at.get("plotly_chart") if "train_curves" in c.proto.id]
    spec = json.loads(json.loads(live[0].proto.json_args)["spec"])
    names = {t.get("name") for t in spec["data"]}
    assert {"train loss (running)", "train loss", "val acc"} <= names
    table = next(m.value for m in at.markdown if m.value.startswith("| x |"))
    xs = [row.split("|")[1].strip() for row in table.splitlines()[2:]]
    assert len(xs) >= 2 and xs == [str(e) for e in range(1, len(xs) + 1)], xs
    assert "train loss (running)" not in table.splitlines()[0]
    mgr.stop(run_id)
    assert mgr.wait(run_id, 30) == "stopped"
    at.run()
    assert_clean(at)
    assert not at.get("component_instance")  # a run that ended: Streamlit's own chart
    assert [c for c in at.get("plotly_chart") if "train_curves" in c.proto.id]


def test_a_stale_address_does_not_switch_back_after_start():
    """After Start the page shows the new run; a rerun already in flight still carries the old
    ?run= (the browser had not yet taken the new address): it does not switch the page back.
    Once the address has caught up, a ?run= naming the first run opens it again."""
    at = app_test("training.py").run()
    at.number_input(key="train_epochs").set_value(1)
    at.selectbox(key="train_subset").set_value(1000)
    at.button(key="train_start").click().run()
    first = at.session_state["train_run_id"]
    at.button(key="train_start").click().run()
    second = at.session_state["train_run_id"]
    assert second != first
    at.query_params["run"] = first  # the old address, sent once more
    at.run()
    assert_clean(at)
    assert at.session_state["train_run_id"] == second
    at.query_params["run"] = second  # the browser's address has caught up
    at.run()
    at.query_params["run"] = first  # now a link to the first run: it opens
    at.run()
    assert at.session_state["train_run_id"] == first
    mgr = get_manager()
    for run_id in (first, second):
        assert mgr.wait(run_id, 120) in ("finished", "stopped")


def test_old_store_is_a_message():
    RunStore(default_home()).close()
    with sqlite3.connect(default_home() / "runs.sqlite") as db:
        db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    at = app_test("training.py").run()
    assert_clean(at)
    assert any("older cnnviz" in e.value for e in at.error)


def test_queued_run_says_its_first_layer_comes_soon():
    from cnnviz.runs import store as S

    mgr = get_manager()
    cfg = RunConfig(PRESETS["LeNet"], num_epochs=1, limit=256, val_limit=128)
    other = "another-server-in-this-process"  # a live owner: nothing here is reaped
    S.LIVE_TOKENS.add(other)
    owner = "w" * 16  # trains a run already: at the cap of one, their next run waits
    busy = mgr.store.create(cfg, name="training", owner_token=other, user=owner, status="running")
    run_id = mgr.store.create(cfg, name="waiting", owner_token=other, user=owner)
    try:
        at = app_test("training.py")
        at.query_params["run"] = run_id
        at.run()
        assert_clean(at)
        assert "as soon as the run starts" in texts(at)
        assert mgr.status(run_id) == "queued"
    finally:
        mgr.stop(run_id)
        mgr.store.delete(run_id)
        mgr.store.set_status(busy, "stopped")
        mgr.store.delete(busy)
        S.LIVE_TOKENS.discard(other)


@pytest.mark.parametrize(
    ("lang", "said", "repeated"),
    [
        ("en", "should take **2 min** on this CPU:", "(2 min)"),
        ("ko", "**2분** 걸릴 것입니다:", "(2분)"),
    ],
)
def test_an_estimate_whose_range_is_one_value_is_not_repeated(monkeypatch, lang, said, repeated):
    """Before Start and while a run trains: a range that reads as the estimate itself is left
    out, not shown as "2 min (2 min)"."""
    from cnnviz.estimates import Estimate
    from cnnviz.runs import store as S
    from ui import training as T

    two = Estimate(120.0, 115.0, 125.0, "live")
    monkeypatch.setattr(T, "run_estimate", lambda mgr, config: two)
    monkeypatch.setattr(T, "time_left", lambda mgr, rec: two)
    mgr = get_manager()
    cfg = RunConfig(PRESETS["LeNet"], num_epochs=1, limit=256, val_limit=128)
    other = "another-server-in-this-process"  # a live owner: nothing here is reaped
    S.LIVE_TOKENS.add(other)
    run_id = mgr.store.create(cfg, name="training", owner_token=other, status="running")
    try:
        at = app_test("training.py")
        at.query_params["lang"] = lang
        at.query_params["run"] = run_id
        at.run()
        assert_clean(at)
        shown = texts(at)
        assert said in shown
        left = "About **2 min** left, " if lang == "en" else "약 **2분** 남았습니다, "
        assert left in shown
        assert repeated not in shown
    finally:
        mgr.store.set_status(run_id, "stopped")
        mgr.store.delete(run_id)
        S.LIVE_TOKENS.discard(other)
