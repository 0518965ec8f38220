"""How long a run takes here: the calibration logic on recorded timings, ranges, and the live
estimate as a run goes."""

from __future__ import annotations

import json

import pytest

from cnnviz import estimates as E
from cnnviz.ablation import estimate_group, group_configs
from cnnviz.models import PRESETS
from cnnviz.runs import RunStore
from cnnviz.train import RunConfig

pytestmark = pytest.mark.unit

LENET = PRESETS["LeNet"]
# Recorded on the 2-core dev machine on 2026-11-28 (benchmarks/estimate_bench.py: one warm
# worker process, one torch thread): the worker's speed test as it stored it, then what each
# case took from submitting its runs to their last epoch, and what the store recorded per epoch.
RECORDED_SPEED = {"train": 11651.5, "eval": 32051.4, "ref_train": 204.6, "ref_eval": 1284.7}
RECORDED = [  # (limit, val_limit, epochs, measured seconds, per-epoch store rows)
    (10_000, 2_500, 2, 2.71, [{"examples_per_s": 9922.81, "seconds": 1.1},
                              {"examples_per_s": 7339.7, "seconds": 1.45}]),
    (None, None, 2, 12.37, [{"examples_per_s": 11034.39, "seconds": 5.8},
                            {"examples_per_s": 10443.55, "seconds": 6.13}]),
]  # fmt: skip
RECORDED_GROUPS = [  # (ablation group, mode, measured seconds for all its runs, one after another)
    ("lenet", "quick", 1.21),  # two LeNets, 2,000 examples, 2 epochs
    ("vgg", "quick", 5.23),  # VGGs at 56, 16 and 16 px, 500 examples, 1 epoch
    ("resnet", "classroom", 191.8),  # three ResNet-18s at 32×32, 6,000 examples, 3 epochs
]


def speeds() -> E.Speeds:
    return E.speeds_from(json.dumps(RECORDED_SPEED), "cpu")


def within(estimate: E.Estimate, measured: float) -> None:
    assert 1 / 1.5 <= estimate.seconds / measured <= 1.5, (estimate.seconds, measured)
    assert estimate.low <= measured <= estimate.high  # the range shown holds the measured time


@pytest.mark.parametrize(("limit", "val", "epochs", "measured", "rows"), RECORDED)
def test_a_speed_test_alone_predicts_recorded_lenet_runs_within_one_and_a_half(
    limit, val, epochs, measured, rows
):
    est = E.estimate_run(RunConfig(LENET, epochs, limit=limit, val_limit=val), "cpu", speeds())
    assert est.basis == "probe"
    within(est, measured)


@pytest.mark.parametrize(("group", "mode", "measured"), RECORDED_GROUPS)
def test_a_speed_test_predicts_recorded_ablation_groups(group, mode, measured):
    """Larger networks are scaled from LeNet by their multiply-adds, at the speed test's scale."""
    est = estimate_group(group_configs(group, mode, device="cpu"), "cpu", speeds())
    within(est, measured)


def test_the_reference_network_scales_the_multiply_adds():
    """The dev machine's own speed test gives a scale near 1; a machine where convolutions are
    relatively cheaper (a GPU, more threads) a smaller one, so VGG is estimated cheaper."""
    here = speeds()
    assert 0.8 < here.train_scale < 1.25 and 0.8 < here.eval_scale < 1.25
    fast = E.speeds_from(json.dumps({**RECORDED_SPEED, "ref_train": 2046.0}), "cpu")
    assert fast.train_scale < here.train_scale / 5
    vgg = group_configs("vgg", "quick", device="cpu")[0]
    assert E.estimate_run(vgg, "cpu", fast).seconds < E.estimate_run(vgg, "cpu", here).seconds / 3
    old = E.speeds_from(json.dumps({"train": 11651.5, "eval": 32051.4}), "cpu")  # before ref_*
    assert old.basis == "probe" and old.train_scale == old.eval_scale == 1.0
    for bad in (-1, 0, "x", None, float("inf")):
        damaged = {**RECORDED_SPEED, "ref_train": bad}
        assert E.speeds_from(json.dumps(damaged), "cpu").train_scale == 1.0


def test_history_of_one_size_predicts_another():
    """The store's record of the 10,000-example run predicts the full run (and vice versa)."""
    (l1, v1, e1, m1, rows1), (l2, v2, e2, m2, rows2) = RECORDED
    hist1 = [{**r, "n_train": l1, "n_val": v1} for r in rows1]
    hist2 = [{**r, "n_train": 60_000, "n_val": 10_000} for r in rows2]
    full = E.estimate_run(RunConfig(LENET, e2), "cpu", speeds(), hist1)
    small = E.estimate_run(RunConfig(LENET, e1, limit=l1, val_limit=v1), "cpu", speeds(), hist2)
    assert full.basis == small.basis == "history"
    assert 1 / 1.5 <= full.seconds / m2 <= 1.5 and 1 / 1.5 <= small.seconds / m1 <= 1.5


def test_the_store_gives_the_history_of_the_same_network_only(tmp_path):
    """What an estimate learns from: earlier epochs of the same spec and batch size on the
    same device, not imported runs, not another network."""
    store = RunStore(tmp_path)
    small = RunConfig(LENET, 2, limit=10_000, val_limit=2_500, device="cpu")
    for config, notice in ((small, None), (RunConfig(PRESETS["LeNet-ReLU"], 2), None),
                           (small, "Imported from run.safetensors"),
                           (RunConfig(LENET, 2, batch_size=64), None)):  # fmt: skip
        rid = store.create(config, status="running")
        store.set_device(rid, "cpu")
        if notice:  # as an import leaves it (the notice alone does not make it one)
            store.set_notice(rid, notice)
            store._x("UPDATE runs SET imported=1 WHERE run_id=?", (rid,))
        for epoch, row in enumerate(RECORDED[0][4], 1):
            store.add_epoch(rid, {"epoch": epoch, "train_loss": 1.0, "train_acc": 0.5,
                                  "val_loss": 1.0, "val_acc": 0.5, **row})  # fmt: skip
    full = RunConfig(LENET, 2, device="cpu")
    hist = store.history(full, "cpu")
    assert [h["examples_per_s"] for h in hist] == [9922.81, 7339.7]
    assert {(h["n_train"], h["n_val"]) for h in hist} == {(10_000, 2_500)}
    assert store.history(full, "cuda") == []
    assert E.estimate_run(full, "cpu", speeds(), hist).basis == "history"


def test_the_quick_lenet_group_adds_its_runs():
    configs = group_configs("lenet", "quick", device="cpu")
    group = estimate_group(configs, "cpu", speeds())
    each = [E.estimate_run(c, "cpu", speeds()) for c in configs]
    assert group.seconds == pytest.approx(sum(e.seconds for e in each))
    assert group.low == pytest.approx(sum(e.low for e in each))


def test_bigger_networks_cost_more_and_a_damaged_speed_test_falls_back():
    cost = [E.relative_cost(m) for m in (E.LENET_MACS, 10 * E.LENET_MACS, 1000 * E.LENET_MACS)]
    assert cost == sorted(cost) and cost[0] == pytest.approx(sum(E.TRAIN_COST))
    for bad in (None, "", "not json", json.dumps({"train": -1, "eval": 5}), json.dumps([1])):
        assert E.speeds_from(bad, "cpu").basis == "fallback"
    wide = E.estimate_run(RunConfig(LENET, 2), "cpu", E.speeds_from(None, "cpu"))
    assert wide.high / wide.low > speeds_range()


def speeds_range() -> float:
    lo, hi = E.RANGES["probe"]
    return hi / lo


def test_the_live_estimate_follows_the_run():
    config = RunConfig(LENET, 4, limit=10_000, val_limit=2_500)
    before = E.estimate_run(config, "cpu", speeds())
    t0 = 1_000.0
    # queued or just started: what was estimated, less the time spent
    early = E.live_estimate(config, t0, [], None, before, now=t0 + 1)
    assert early.seconds == pytest.approx(before.seconds - 1)
    # mid first epoch: from its own batches (60 of 79 in 3 s)
    prog = {"epoch": 1, "batch": 60, "num_batches": 79, "loss": 2.0}
    mid = E.live_estimate(config, t0, [], prog, before, now=t0 + 3)
    assert mid.basis == "live" and 3 * 79 / 60 * 3 < mid.seconds < 3 * 79 / 60 * 4 + 5
    # after two epochs of 4 s: two epochs left, less the part of the third already done
    rows = [{"seconds": 4.0}, {"seconds": 4.0}]
    prog = {"epoch": 3, "batch": 40, "num_batches": 80, "loss": 1.0}
    late = E.live_estimate(config, t0, rows, prog, before, now=t0 + 10)
    assert late.seconds == pytest.approx(1.5 * 4.0)


def test_estimates_read_as_ranges():
    est = E.Estimate.of(50.0, "probe")
    assert est.text() == "about 50 s (34 s – 75 s)"
    assert E.Estimate.of(40.0, "probe").text() == "about 40 s (27 s – 60 s)"
    assert E.format_seconds(0.4) == "under 1 s" and E.format_seconds(7200) == "2.0 h"
    both = est + E.Estimate.of(30.0, "history")
    assert both.seconds == 80.0 and both.basis == "probe"  # the less certain basis wins


def test_an_estimate_whose_range_reads_as_itself_says_it_once():
    """A range that rounds to one value is not repeated in a parenthesis, in either language."""
    from ui.locales import CATALOGS

    one = E.Estimate(120.0, 115.0, 125.0, "live")  # 2 min, 2 min – 2 min
    assert E.span(one.low, one.high) == "2 min"
    assert one.text() == "about 2 min"
    assert one.text(CATALOGS["en"]["time"]) == "about 2 min"
    assert one.text(CATALOGS["ko"]["time"]) == "약 2분"
    wide = E.Estimate(40.0, 30.0, 60.0, "probe")
    assert wide.text(CATALOGS["en"]["time"]) == "about 40 s (30 s – 60 s)"
    assert wide.text(CATALOGS["ko"]["time"]) == "약 40초 (30초 – 60초)"
