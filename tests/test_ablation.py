"""Ablation groups: paired configs, every built-in group trained on a tiny subset, the
comparison math on metrics frames, the figures, and what each trained network learned."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import torch

from cnnviz import ablation as A
from cnnviz.models import PRESETS, build_model, count_parameters
from cnnviz.plots import ablation as P
from cnnviz.train import RunConfig, subset_indices, train

pytestmark = pytest.mark.unit

ABLATED = {
    "lenet": {"spec.activation"},
    "vgg": {"spec.arch", "spec.fc", "spec.dropout", "spec.input_size"},
    "resnet": {"spec.batch_norm", "spec.skip"},
    "alexnet": {"spec.dropout"},
    "nin": {"spec.head"},
    "googlenet": {"spec.reductions"},
    "lenet_bn": {"spec.batch_norm"},
    "densenet": {"spec.growth_rate"},
}


@pytest.fixture(scope="module")
def data():
    from cnnviz.data import load_fashion_mnist

    return load_fashion_mnist()


def _metrics(records) -> pd.DataFrame:
    return pd.DataFrame([r for r in records if r["kind"] == "epoch"]).drop(columns="kind")


def test_groups_are_the_seed_experiments():
    assert [g.names for g in A.GROUPS.values()] == [
        ["LeNet", "LeNet-ReLU"],
        ["VGG-small", "VGG-small-56", "VGG-56-adjusted"],
        ["ResNet-18", "ResNet-18-noBN", "ResNet-18-noskip"],
        ["AlexNet-small", "AlexNet-small · dropout=0.0"],
        ["NiN-small", "NiN-small · head=fc"],
        ["GoogLeNet-small", "GoogLeNet-small · reductions=False"],
        ["LeNet-BN · lr=1.0", "LeNet-BN · lr=1.0 · batch_norm=none"],
        ["DenseNet-small", "DenseNet-small · growth_rate=32"],
    ]
    for g in A.GROUPS.values():
        assert g.full.num_epochs == 10 and g.full.batch_size == 128 and g.full.limit is None
        assert g.classroom.label.startswith("CPU classroom")
        assert g.classroom.limit < 60_000
        # the book's learning rates come with the specs (RunConfig.lr stays None)
        assert all(c.lr is None for c in A.group_configs(g, "full"))


@pytest.mark.parametrize("key", list(A.GROUPS))
@pytest.mark.parametrize("mode", ["classroom", "full"])
def test_only_the_ablated_fields_differ(key, mode):
    configs = A.group_configs(key, mode, seed=7)
    assert len(configs) == len(A.GROUPS[key].variants)
    assert set(A.differing_fields(configs)) == ABLATED[key]
    assert {c.seed for c in configs} == {7}
    assert len({(c.num_epochs, c.batch_size, c.limit, c.val_limit) for c in configs}) == 1


def test_classroom_keeps_the_size_ratio_and_full_is_the_book():
    full = [c.spec.input_size for c in A.group_configs("vgg", "full")]
    small = [c.spec.input_size for c in A.group_configs("vgg", "classroom")]
    assert full == [224, 56, 56] and small == [112, 28, 28]
    assert [c.spec.input_size for c in A.group_configs("resnet", "full")] == [96] * 3
    assert [c.spec.input_size for c in A.group_configs("resnet", "classroom")] == [32] * 3


def test_grid_group_varies_one_field():
    g = A.grid_group("ResNet-18", "skip", [True, False])
    configs = A.group_configs(g, scale=0.25)
    assert set(A.differing_fields(configs)) == {"spec.skip"}
    g = A.grid_group("LeNet", "lr", [0.1, 0.9])
    assert A.differing_fields(A.group_configs(g)) == {"spec.lr": [0.1, 0.9]}
    with pytest.raises(ValueError, match="no field"):
        A.grid_group("LeNet", "batch_norm", [True, False])
    with pytest.raises(ValueError, match="two values"):
        A.grid_group("VGG-small", "activation", ["relu", "relu"])


@pytest.mark.slow  # trains for seconds
@pytest.mark.parametrize("key", list(A.GROUPS))
def test_each_group_trains_on_a_tiny_subset(key, data):
    """Every built-in group, 1 epoch on 128 images, inputs shrunk: the comparison data."""
    group = A.GROUPS[key]
    configs = A.group_configs(group, "full", seed=3, scale=0.25, num_epochs=1, limit=128,
                              val_limit=64, batch_size=64, device="cpu")  # fmt: skip
    assert set(A.differing_fields(configs)) <= ABLATED[key]
    metrics = {}
    for v, c in zip(group.variants, configs, strict=True):
        records = list(train(c, data=data))
        metrics[v.name] = _metrics(records)
        assert records[-1]["kind"] == "done" and not records[-1]["stopped"]
    params = A.params_by_variant(
        {v.name: c.spec for v, c in zip(group.variants, configs, strict=True)}
    )
    table = A.comparison_table(metrics, params)
    assert list(table["variant"]) == group.names
    assert (table["epochs"] == 1).all()
    assert table["final val acc"].between(0, 1).all()
    assert (table["time (s)"] > 0).all()
    assert table["parameters"].tolist() == [count_parameters(c.spec) for c in configs]
    long = A.long_metrics(metrics)
    assert len(long) == len(group.variants) * 4
    assert set(long["variant"]) == set(group.names)


def test_paired_runs_share_the_data_order(data):
    """Two configs differing only in the activation see identical batches (same seed)."""
    a, b = A.group_configs("lenet", seed=5, limit=300)
    assert torch.equal(
        subset_indices(60_000, a.limit, a.seed), subset_indices(60_000, b.limit, b.seed)
    )
    ga, gb = (torch.Generator().manual_seed(c.seed) for c in (a, b))
    assert torch.equal(torch.randperm(300, generator=ga), torch.randperm(300, generator=gb))


def _frame(accs, seconds=1.0):
    n = len(accs)
    return pd.DataFrame(
        {
            "epoch": range(1, n + 1),
            "train_loss": [1.0 / (i + 1) for i in range(n)],
            "train_acc": accs,
            "val_loss": [1.2 / (i + 1) for i in range(n)],
            "val_acc": accs,
            "examples_per_s": [100.0] * n,
            "seconds": [seconds] * n,
        }
    )


def test_comparison_table_and_differences():
    metrics = {
        "base": _frame([0.5, 0.8, 0.86, 0.84], seconds=2.0),
        "ablated": _frame([0.3, 0.6, 0.7, 0.75], seconds=1.0),
    }
    table = A.comparison_table(metrics, {"base": 1000, "ablated": 900})
    row = table.set_index("variant")
    assert row.loc["base", "best val acc"] == 0.86
    assert row.loc["base", "final val acc"] == 0.84
    assert row.loc["base", "epoch to 85%"] == "3"
    assert row.loc["ablated", "epoch to 85%"] == A.NOT_REACHED
    assert row.loc["base", "time (s)"] == 8.0
    wins = A.winners(table)
    assert wins["best val acc"] == "base" and wins["time (s)"] == "ablated"
    assert wins["epoch to 85%"] == "base" and wins["parameters"] == "ablated"
    d = A.deltas(table).set_index("variant")
    assert d.loc["base", "Δ best val acc"] == 0
    assert math.isclose(d.loc["ablated", "Δ best val acc"], 0.75 - 0.86)
    html = A.highlight(table).to_html()
    assert "font-weight: 700" in html and "86.0%" in html
    lines = A.summary_sentences(table)
    assert lines == ["**ablated** vs base: best val acc -11.0 points, final val loss +0.000, "
                     "0.50× the time"]  # fmt: skip
    csv = A.metrics_csv(metrics)
    assert csv.splitlines()[0].startswith("variant,epoch,train_loss")
    assert len(csv.splitlines()) == 9


def test_comparison_of_runs_without_epochs_yet():
    table = A.comparison_table({"a": pd.DataFrame(), "b": _frame([0.9])})
    assert table.loc[0, "epochs"] == 0 and math.isnan(table.loc[0, "best val acc"])
    assert A.winners(table)["best val acc"] == "b"
    assert A.highlight(table).to_html()
    assert len(A.long_metrics({"a": pd.DataFrame()})) == 0


def test_figures_have_one_colour_per_variant():
    metrics = {"LeNet": _frame([0.2, 0.5]), "LeNet-ReLU": _frame([0.6, 0.8])}
    long = A.long_metrics(metrics)
    colors = P.variant_colors(metrics)
    fig = P.overlay_figure(long, colors, num_epochs=10)
    assert [t.name for t in fig.data] == ["LeNet", "LeNet-ReLU"]
    assert [t.line.color for t in fig.data] == list(colors.values())
    fig = P.small_multiples(long, colors)
    assert len(fig.data) == 8
    assert {t.line.color for t in fig.data if t.name == "LeNet"} == {colors["LeNet"]}
    assert sum(t.showlegend for t in fig.data) == 2
    assert P.png_config("x")["toImageButtonOptions"]["format"] == "png"


def test_kernels_and_feature_maps_of_trained_networks():
    specs = {name: PRESETS[name] for name in ("LeNet", "LeNet-ReLU")}
    arrays_k, arrays_m = {}, {}
    X = torch.rand(1, 1, 28, 28)
    for name, spec in specs.items():
        torch.manual_seed(0)
        state = build_model(spec).state_dict()
        net = A.load_network(spec, state)
        arrays_k[name] = A.first_layer_kernels(net)
        arrays_m[name] = A.first_layer_maps(net, X)
    assert arrays_k["LeNet"].shape == (6, 5, 5)
    assert arrays_m["LeNet"].shape == (6, 28, 28)
    assert float(arrays_m["LeNet"].min()) > 0  # after the sigmoid
    assert float(arrays_m["LeNet-ReLU"].min()) >= 0  # after the ReLU
    colors = P.variant_colors(specs)
    fig = P.side_by_side(arrays_k, colors, symmetric=True)
    assert len(fig.data) == 2
    assert [a.font.color for a in fig.layout.annotations] == list(colors.values())
    resnet = A.load_network(PRESETS["ResNet-18"], build_model(PRESETS["ResNet-18"]).state_dict())
    maps = A.first_layer_maps(resnet, torch.rand(1, 1, 96, 96))
    assert maps.shape == (64, 48, 48) and float(maps.min()) >= 0  # stem conv → BN → ReLU


def test_run_config_round_trip_keeps_the_pairing():
    configs = A.group_configs("resnet")
    again = [RunConfig.from_dict(c.to_dict()) for c in configs]
    assert again == configs


def test_first_stage_of_each_family():
    """LeNet conv → sigmoid; VGG conv → ReLU; ResNet conv → BN → ReLU, BN statistics included."""
    from cnnviz import features

    keys = {
        name: set(features.first_stage_state(build_model(PRESETS[name])))
        for name in ("LeNet", "VGG-11", "ResNet-18")
    }
    assert keys["LeNet"] == {"0.weight", "0.bias"}
    assert keys["VGG-11"] == {"0.0.weight", "0.0.bias"}
    assert {"b1.1.running_mean", "b1.1.running_var", "b1.0.weight"} <= keys["ResNet-18"]

    net = build_model(PRESETS["ResNet-18"]).eval()
    X = torch.rand(1, 1, 96, 96)
    stem = net.b1
    expected = torch.relu(stem[1](stem[0](X)))[0]
    assert torch.allclose(A.first_layer_maps(net, X), expected)
    state = features.first_stage_state(net)
    kernels, maps = features.learned_at(PRESETS["ResNet-18"], state, X)
    assert kernels.shape == (64, 7, 7) and torch.allclose(maps, expected, atol=1e-6)
    with pytest.raises(ValueError, match="another network"):
        features.learned_at(PRESETS["LeNet"], state, torch.rand(1, 1, 28, 28))


# -- repeats over seeds ----------------------------------------------------------------------


def test_group_plan_interleaves_the_seeds():
    plan = A.group_plan("lenet", "quick", seed=4, seeds=3)
    assert [(v.name, s) for v, s, _ in plan] == [
        ("LeNet", 4), ("LeNet-ReLU", 4), ("LeNet", 5), ("LeNet-ReLU", 5),
        ("LeNet", 6), ("LeNet-ReLU", 6),
    ]  # fmt: skip
    assert [c.seed for _, _, c in plan] == [4, 4, 5, 5, 6, 6]
    # within a seed only the ablated fields differ; across seeds only the seed
    for i in range(0, 6, 2):
        pair = [c for _, _, c in plan[i : i + 2]]
        assert set(A.differing_fields(pair)) == {"spec.activation"}
    same = [c for v, _, c in plan if v.name == "LeNet"]
    assert set(A.differing_fields(same)) == {"seed"}
    assert A.group_configs("lenet", "quick", 4, seeds=3) == [c for _, _, c in plan]
    assert A.group_configs("lenet", "quick", 4) == A.group_configs("lenet", "quick", 4, seeds=1)
    for bad in (0, 11, 2.5, "3"):
        with pytest.raises(A.GridError, match="1 to 10"):
            A.group_plan("lenet", "quick", seeds=bad)


def test_group_label_names_the_seeds():
    g = A.GROUPS["lenet"]
    assert " · seed 3 · " in A.group_label(g, "quick", 3)
    assert " · seeds 3–7 · " in A.group_label(g, "quick", 3, 5)


def _recording_steps(monkeypatch):
    """Patch the training step to record the batch indices of every run."""
    from cnnviz import train as T

    seen: list = []
    original = T._Step.__call__

    def record(self, bidx, full):
        seen[-1].append(bidx.clone())
        return original(self, bidx, full)

    monkeypatch.setattr(T._Step, "__call__", record)
    return seen


def test_seed_s_shares_data_order_and_init_across_variants(data, monkeypatch, one_torch_thread):
    """The batches each run trains on, recorded: seed s of every variant sees the very same
    examples in the very same order, and starts from the same weights; another seed does not."""
    from cnnviz.train import build_net

    seen = _recording_steps(monkeypatch)
    plan = A.group_plan("lenet", "quick", seed=0, seeds=3, limit=192, val_limit=32,
                        batch_size=64, num_epochs=2, device="cpu")  # fmt: skip
    order = {}
    for v, s, c in plan:
        seen.append([])
        records = list(train(c, data=data))
        assert records[-1]["kind"] == "done"
        order[v.name, s] = torch.cat(seen[-1])
        idx = subset_indices(60_000, c.limit, c.seed)
        order[v.name, s, "examples"] = idx[order[v.name, s]]  # which of the 60k, in order
    for s in (0, 1, 2):
        assert len(order["LeNet", s]) == 2 * 192
        assert torch.equal(order["LeNet", s], order["LeNet-ReLU", s])
        assert torch.equal(order["LeNet", s, "examples"], order["LeNet-ReLU", s, "examples"])
    assert not torch.equal(order["LeNet", 0, "examples"], order["LeNet", 1, "examples"])
    nets = {(v.name, s): build_net(c).state_dict() for v, s, c in plan}
    for s in (0, 1, 2):
        a, b = nets["LeNet", s], nets["LeNet-ReLU", s]
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(nets["LeNet", 0]["0.weight"], nets["LeNet", 1]["0.weight"])


def _run(seed, accs, seconds=1.0, num_epochs=None, run_id=""):
    m = _frame(accs, seconds)
    return A.SeedRun(seed, m, num_epochs or len(accs), run_id or f"r{seed}")


def test_seed_comparison_by_hand():
    runs = {
        "sigmoid": [_run(0, [0.1, 0.3]), _run(1, [0.1, 0.5]), _run(2, [0.2, 0.4])],
        "relu": [_run(0, [0.6, 0.8]), _run(1, [0.7, 0.9]), _run(2, [0.6, 0.85], seconds=2.0)],
    }
    t = A.seed_comparison(runs, {"sigmoid": 100, "relu": 100}).set_index("variant")
    # final val acc: sigmoid .3 .5 .4 → mean .4, sd .1; relu .8 .9 .85 → mean .85, sd .05
    assert t.loc["sigmoid", "final val acc"] == pytest.approx(0.4)
    assert t.loc["sigmoid", "final val acc sd"] == pytest.approx(0.1)
    assert t.loc["relu", "final val acc sd"] == pytest.approx(0.05)
    assert t.loc["relu", "time (s)"] == pytest.approx(8 / 3)  # 2 + 2 + 4 seconds
    assert (t["seeds"] == 3).all() and (t["of"] == 3).all()
    assert t.loc["relu", "epoch to 85%"] == "2 (2/3)" and t.loc["sigmoid", "epoch to 85%"] == "—"
    shown = A.seed_display(t.reset_index()).set_index("variant")
    assert shown.loc["sigmoid", "final val acc"] == "40.0 ± 10.0 %"
    assert shown.loc["relu", "final val acc"] == "85.0 ± 5.0 %"
    assert A.winners(t.reset_index())["final val acc"] == "relu"
    assert "font-weight: 700" in A.seed_highlight(t.reset_index()).to_html()
    # the pair: relu − sigmoid per seed .5 .4 .45 → mean .45, sd .05, t(.975, 2) = 4.3027
    pairs = A.pair_table(runs)
    row = pairs.iloc[0]
    assert (row["a"], row["b"], row["n"]) == ("sigmoid", "relu", 3)
    assert row["mean"] == pytest.approx(0.45)
    assert row["high"] - row["mean"] == pytest.approx(4.302653 * 0.05 / math.sqrt(3), abs=1e-6)
    assert A.verdicts(pairs) == ["relu beats sigmoid by 45 ± 12 points (3 seeds): far beyond "
                                 "seed noise"]  # fmt: skip
    shown = A.pair_display(pairs).iloc[0]
    assert shown["b − a"] == "+45.0" and shown["95% CI"] == "[+32.6, +57.4]"


def test_one_seed_is_the_plain_table_and_has_no_interval():
    runs = {"a": [_run(0, [0.5, 0.8])], "b": [_run(0, [0.4, 0.7])]}
    t = A.seed_comparison(runs)
    plain = A.comparison_table({"a": runs["a"][0].metrics, "b": runs["b"][0].metrics})
    for col in A.SPREAD_COLUMNS:
        assert t[col].tolist() == pytest.approx(plain[col].tolist())
    assert t["final val acc sd"].isna().all()
    assert A.seed_display(t)["final val acc"].tolist() == ["80.0 %", "70.0 %"]
    pairs = A.pair_table(runs)
    assert pairs.loc[0, "n"] == 1 and pd.isna(pairs.loc[0, "low"])
    assert A.verdicts(pairs) == []
    assert A.pair_display(pairs).loc[0, "95% CI"] == "—"


def test_unfinished_seeds_stay_out_of_the_pairs():
    runs = {
        "a": [_run(0, [0.5, 0.6]), _run(1, [0.5, 0.6]), _run(2, [0.5], num_epochs=2)],
        "b": [_run(0, [0.5, 0.7]), _run(1, [0.6, 0.7]), _run(2, [0.9], num_epochs=2)],
    }
    t = A.seed_comparison(runs).set_index("variant")
    assert (t.loc["a", "seeds"], t.loc["a", "of"]) == (2, 3)  # the live seed is not counted
    assert A.seed_display(t.reset_index()).loc[0, "seeds"] == "2/3"
    assert A.pair_table(runs).loc[0, "n"] == 2
    # while no seed has finished, the table shows the live runs
    live = {"a": [_run(0, [0.5], num_epochs=3)]}
    assert A.seed_comparison(live).loc[0, "final val acc"] == 0.5


def test_null_ablation_is_no_difference(data, one_torch_thread):
    """The same network as two "variants" over 3 seeds: no difference beyond seed noise."""
    group = A.AblationGroup(
        "null", "LeNet vs LeNet", "7.6", "", "",
        (A.Variant("LeNet", PRESETS["LeNet"]), A.Variant("LeNet again", PRESETS["LeNet"])),
        A.GROUPS["lenet"].full, A.GROUPS["lenet"].classroom, A.GROUPS["lenet"].quick,
    )  # fmt: skip
    plan = A.group_plan(group, "quick", seed=0, seeds=3, limit=256, val_limit=128,
                        batch_size=64, num_epochs=2, device="cpu")  # fmt: skip
    runs: dict[str, list] = {}
    for v, s, c in plan:
        runs.setdefault(v.name, []).append(A.SeedRun(s, _metrics(train(c, data=data)), 2))
    finals = [r.metrics["val_acc"].iloc[-1] for r in runs["LeNet"]]
    assert len(set(finals)) > 1  # the seeds themselves differ …
    pairs = A.pair_table(runs)
    assert pairs.loc[0, "n"] == 3 and not pairs.loc[0, "excludes zero"]
    (line,) = A.verdicts(pairs)
    assert line.startswith("LeNet vs LeNet again: no difference beyond seed noise")


def test_variant_runs_groups_seeds_and_keeps_old_groups_at_one():
    from types import SimpleNamespace as NS

    def rec(name, seed, rid, group="g"):
        return NS(name=name, group=group, run_id=rid, config=NS(seed=seed))

    got = A.variant_runs([rec("a", 0, "r1"), rec("b", 0, "r2"), rec("a", 1, "r3"),
                          rec("b", 1, "r4")])  # fmt: skip
    assert {k: [r.run_id for r in v] for k, v in got.items()} == {"a": ["r1", "r3"],
                                                                  "b": ["r2", "r4"]}  # fmt: skip
    old = A.variant_runs([rec("LeNet", 0, "aaaa1"), rec("LeNet-ReLU", 0, "bbbb2")])
    assert [len(v) for v in old.values()] == [1, 1]  # a group from before seeds: k = 1
    # the same name from another group, or the same seed twice: variants of their own
    mixed = A.variant_runs([rec("a", 0, "r1"), rec("a", 1, "xyz9", group="h"),
                            rec("a", 0, "dup7")])  # fmt: skip
    assert list(mixed) == ["a", "a (xyz9)", "a (dup7)"]


def test_mean_confusion_keeps_whole_images_per_row():
    import numpy as np

    a = np.array([[8, 2], [1, 9]])
    b = np.array([[7, 3], [2, 8]])
    c = np.array([[9, 1], [2, 8]])
    m = A.mean_confusion([a, b, c])  # means 8 2 / 1.67 8.33 → rows keep 10 images each
    assert m.tolist() == [[8, 2], [2, 8]] and m.sum(1).tolist() == [10, 10]
    assert A.mean_confusion([a]).tolist() == a.tolist()
    assert A.mean_confusion([a, b]).sum(1).tolist() == [10, 10]


def test_seed_csvs_and_bands():
    runs = {"a": [_run(0, [0.2, 0.4], run_id="x0"), _run(1, [0.4, 0.6], run_id="x1")],
            "b": [_run(0, [0.5, 0.9], run_id="y0")]}  # fmt: skip
    rows = A.seeds_csv(runs).splitlines()
    assert rows[0].startswith("variant,seed,run_id,epoch,train_loss") and len(rows) == 7
    assert rows[3].startswith("a,1,x1,1,")
    bands = pd.read_csv(__import__("io").StringIO(A.bands_csv(runs)))
    acc = bands[(bands["variant"] == "a") & (bands["metric"] == "val_acc")]
    assert acc["mean"].tolist() == pytest.approx([0.3, 0.5])
    assert acc["sd"].tolist() == pytest.approx([math.sqrt(0.02)] * 2)
    assert acc["min"].tolist() == [0.2, 0.4] and acc["n"].tolist() == [2, 2]
    data = A.comparison_json(runs)
    assert [v["variant"] for v in data["variants"]] == ["a", "b"]
    assert data["variants"][1]["final val acc sd"] is None  # one seed: no sd (JSON null)
    assert data["pairs"][0]["n"] == 1 and data["verdicts"] == []


def test_figures_show_mean_band_and_runs():
    runs = {"LeNet": [_run(0, [0.2, 0.4]), _run(1, [0.4, 0.6]), _run(2, [0.3, 0.8])],
            "LeNet-ReLU": [_run(0, [0.6, 0.8])]}  # fmt: skip
    long = A.seeds_long(runs)
    colors = P.variant_colors(runs)
    fig = P.overlay_figure(long, colors, num_epochs=2)
    names = [t.name for t in fig.data]
    # the band (upper edge, then the filled lower edge) under the mean; one seed: its line
    assert names == ["LeNet ±1 sd", "LeNet ±1 sd", "LeNet", "LeNet-ReLU"]
    upper, lower, mean = fig.data[:3]
    assert lower.fill == "tonexty" and lower.fillcolor == P.translucent(colors["LeNet"], 0.2)
    assert P.translucent("#1f77b4", 0.2) == "rgba(31, 119, 180, 0.2)"
    assert P.translucent("#fff", 0.5) == "rgba(255, 255, 255, 0.5)"
    assert P.translucent("rgb(1, 2, 3)", 0.2) == "rgba(1, 2, 3, 0.2)"
    assert list(mean.y) == pytest.approx([0.3, 0.6])
    sd = [0.1, math.sqrt(((0.4 - 0.6) ** 2 + 0 + (0.8 - 0.6) ** 2) / 2)]
    assert list(upper.y) == pytest.approx([0.3 + sd[0], 0.6 + sd[1]])
    assert [t.showlegend for t in fig.data] == [False, False, True, True]
    rng = P.overlay_figure(long, colors, band="range", runs=True)
    assert list(rng.data[0].y) == [0.4, 0.8] and list(rng.data[1].y) == [0.2, 0.4]
    assert sum("seed" in t.name for t in rng.data) == 3  # every seed's run, faintly
    assert all(t.opacity == P.RUN_OPACITY for t in rng.data if "seed" in t.name)
    multiples = P.small_multiples(long, colors, runs=True)
    assert len(multiples.data) == 4 * (2 + 3 + 1 + 1)
    assert sum(bool(t.showlegend) for t in multiples.data) == 2
    with pytest.raises(ValueError, match="band"):
        P.overlay_figure(long, colors, band="iqr")


def test_launch_queues_the_seeds_interleaved_as_the_owners_runs(tmp_path):
    """Every run of a seeds group goes in one submission (all or none, as the student's runs),
    and the queue starts them seed by seed."""
    from cnnviz import classroom as C
    from cnnviz.runs import RunStore
    from cnnviz.runs import queue as Q

    class Manager:  # what launch asks of a RunManager, queuing into a real store
        def __init__(self):
            self.store = RunStore(tmp_path)

        def submit_many(self, entries, user, estimate_s, seeds=1, **_):
            def check(mine, total):
                C.check_submit(user, len(entries), mine, total, estimate_s, C.Limits(),
                               seeds=seeds)  # fmt: skip

            return self.store.create_many(entries, None, user.id, check)

    student = C.User("s1")
    mgr = Manager()
    ids = A.launch(mgr, "lenet", "quick", seed=2, user=student, estimate_s=10, seeds=3)
    assert len(ids) == 6
    recs = [mgr.store.get(i) for i in ids]
    assert [(r.name, r.config.seed) for r in recs] == [
        ("LeNet", 2), ("LeNet-ReLU", 2), ("LeNet", 3), ("LeNet-ReLU", 3),
        ("LeNet", 4), ("LeNet-ReLU", 4),
    ]  # fmt: skip
    assert len({r.group for r in recs}) == 1 and "seeds 2–4" in recs[0].group
    # the fair queue: the same person's runs go oldest first, i.e. in the order above
    queued, order = mgr.store.queued(), []
    while queued:
        rid = Q.next_run(queued, {}, {})
        order.append(rid)
        queued = [q for q in queued if q[0] != rid]
    assert order == ids
    # a student's cap (4 waiting) grows with the seeds: 6 more runs of 3 seeds still fit …
    assert len(A.launch(mgr, "lenet", "quick", user=student, estimate_s=10, seeds=3)) == 6
    # … but not a single seed's group on top of 12 waiting runs
    with pytest.raises(C.LimitError, match="at most 4"):
        A.launch(mgr, "lenet", "quick", user=student, estimate_s=10)


@pytest.mark.slow  # trains a group in a subprocess
def test_cli_runs_a_group_over_seeds_without_streamlit(tmp_path):
    """`python -m cnnviz ablation lenet --size quick --seeds 2 --json`: every run's epochs in
    the lab's interleaved order, then the comparison; the runs are in the store as one group,
    and nothing imports Streamlit."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cnnviz.cli import main\n"
        "status = main(['ablation', 'lenet', '--size', 'quick', '--seeds', '2', '--json',"
        " '--threads', '1'])\n"
        "print('STREAMLIT', 'streamlit' in sys.modules)\n"
        "sys.exit(status)\n"
    )
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=600, cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "STREAMLIT False"
    epochs = [json.loads(line) for line in lines[:-2]]
    assert [(e["variant"], e["seed"], e["epoch"]) for e in epochs] == [
        (v, s, e) for s in (0, 1) for v in ("LeNet", "LeNet-ReLU") for e in (1, 2)
    ]
    result = json.loads(lines[-2])
    assert result["kind"] == "comparison" and result["seeds"] == 2
    assert [v["variant"] for v in result["variants"]] == ["LeNet", "LeNet-ReLU"]
    assert all(v["seeds"] == 2 and v["final val acc sd"] is not None for v in result["variants"])
    (pair,) = result["pairs"]
    assert pair["n"] == 2 and pair["low"] < pair["mean"] < pair["high"]
    finals = {(e["variant"], e["seed"]): e["val_acc"] for e in epochs if e["epoch"] == 2}
    diffs = [finals["LeNet-ReLU", s] - finals["LeNet", s] for s in (0, 1)]
    assert pair["mean"] == pytest.approx(sum(diffs) / 2)
    assert result["verdicts"] == []  # 2 seeds: an interval, no sentence
    assert "paired t interval" in result["method"]
    from cnnviz.runs import RunStore

    runs = RunStore(tmp_path).list_runs()
    assert {r.run_id for r in runs} == set(result["run_ids"]) and len({r.group for r in runs}) == 1
    assert "seeds=2" in result["lab"] and ",".join(result["run_ids"]) in result["lab"]


def test_cli_refuses_bad_ablation_arguments(capsys):
    from cnnviz.cli import main

    assert main(["ablation", "inception"]) == 2
    assert ("unknown group 'inception'; choose lenet, vgg, resnet, alexnet, nin, googlenet, "
            "lenet_bn, densenet") in capsys.readouterr().err  # fmt: skip
    assert main(["ablation", "lenet", "--seeds", "11"]) == 2
    assert "1 to 10" in capsys.readouterr().err
    assert main(["ablation", "lenet", "--threads", "0"]) == 2
    assert "--threads must be 1 or more" in capsys.readouterr().err
