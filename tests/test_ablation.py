"""Ablation groups: paired configs, every built-in group trained on a tiny subset, the
comparison math on metrics frames, the figures, and what each trained network learned."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from cnnviz import ablation as A
from cnnviz.models import PRESETS, build_model, count_parameters
from cnnviz.plots import ablation as P
from cnnviz.train import RunConfig, subset_indices, train

ABLATED = {
    "lenet": {"spec.activation"},
    "vgg": {"spec.arch", "spec.fc", "spec.dropout", "spec.input_size"},
    "resnet": {"spec.batch_norm", "spec.skip"},
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
