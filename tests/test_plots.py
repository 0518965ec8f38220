"""Figures built without Plotly's per-property validation (cnnviz.plots.base.fast_figure) are
valid Plotly figures, and the browser gets exactly what the validated figure would send."""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from cnnviz import lessons, ops
from cnnviz.kernel_learning import identifiability
from cnnviz.kernels import kernel_tensor
from cnnviz.models import PRESETS, layer_summary
from cnnviz.plots import conv, kernel_learning, models
from cnnviz.plots import lessons as lplots

pytestmark = pytest.mark.unit


def _figures():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(6, 8, generator=g)
    K = kernel_tensor("Sobel x")
    Y = ops.corr2d(X, K)
    win = ops.window(X, 1, 2, K)
    res = lessons.pool(torch.arange(16.0).reshape(4, 4), lessons.PoolSettings(3, 2, 1))
    big = torch.rand(100, 90, generator=g)
    summary = layer_summary(PRESETS["LeNet"])
    return {
        "grid": conv.grid_figure(X, "X", window=(win.rows, win.cols)),
        "grid padded": conv.grid_figure(X, None, padding=(1, 2), window=((0, 1), (0, 1, 2))),
        "grid clickable": conv.grid_figure(Y, "Y", selected=(1, 1), clickable=True),
        "grid large": conv.grid_figure(big, "big", clickable=True, selected=(3, 4)),
        "step": conv.step_figure(win.values, K, win.products),
        "seed demo": conv.seed_demo_figure(X, Y, Y * 0),
        "param bars": lplots.param_bars(10**12, 10),
        "heatmap row": lplots.heatmap_row([X, -X], ["a", "b"], shared_scale=True),
        "heatmap grid": lplots.heatmap_row([X] * 5, list("abcde"), cols=2, annotate=False,
                                           colorscales=["Reds", "Greens", "Blues", "gray", "Reds"]),
        "winners": lplots.winners_figure(torch.arange(16.0).reshape(4, 4), res.wins, "w"),
        "kernel": kernel_learning.kernel_figure([[1.0, -1.0]], 1.0, 220),
        "kernel 3x3": kernel_learning.kernel_figure(K.tolist(), None, 240),
        "spectrum": kernel_learning.singular_values_figure(
            identifiability(X, (3, 3), K), 260, kernel_learning.LABELS),
        "diagram": models.network_diagram(summary, (1, 1, 28, 28)),
    }  # fmt: skip


def _sent(fig) -> dict:
    """What st.plotly_chart sends for a figure: its dict, as JSON."""
    return json.loads(pio.to_json(fig.to_dict(), validate=False))


@pytest.mark.parametrize("name", list(_figures()))
def test_fast_figures_are_valid_and_send_what_validation_would(name):
    fig = _figures()[name]
    validated = go.Figure(fig.to_dict())  # raises on any invalid property or value
    fast, slow = _sent(fig), _sent(validated)
    assert fast["data"] == slow["data"]
    # An empty template ({}) is spelled out by validation; everything else must agree.
    fast["layout"].pop("template", None)
    slow["layout"].pop("template", None)
    assert fast["layout"] == slow["layout"]


def test_named_colour_scales_reach_the_browser_as_colours():
    """plotly.js does not know Python's names ("gray", "RdBu_r"): they are sent as lists."""
    for fig in _figures().values():
        for trace in _sent(fig)["data"]:
            if "colorscale" in trace:
                assert isinstance(trace["colorscale"], list), trace["type"]


def test_no_none_is_sent():
    fig = conv.grid_figure(torch.rand(20, 20), None)  # no title; too big for numbers
    sent = _sent(fig)
    assert "title" not in sent["layout"] and "text" not in sent["data"][0]
    assert np.asarray(fig.data[0].z).shape == (20, 20)


def test_printed_products_add_up_to_the_printed_sum():
    """d2l 7.2's step-through: the products printed with printed_sum's decimals add up to the
    printed sum, which is the exact sum rounded alike in most windows (where 3 significant
    digits each disagreed in most), and says so when it is not."""
    g = torch.Generator().manual_seed(0)
    disagreed_before = exact = 0
    for _ in range(300):
        X = torch.randint(0, 256, (3, 3), generator=g).float() / 255  # pixels, as uploads
        K = torch.randn(3, 3, generator=g) / 9
        P = X * K
        d, added, is_exact = conv.printed_sum(P)
        printed = [conv.number(p, f".{d}f") for p in P.flatten().tolist()]
        assert {len(p.split(".")[1]) if "." in p else 0 for p in printed} == {d}
        assert conv.number(sum(float(p) for p in printed), f".{d}f") == added
        total = float(P.double().sum())
        assert is_exact == (added == conv.number(total, f".{d}f"))
        exact += is_exact
        old = sum(float(format(p, ".3g")) for p in P.flatten().tolist())
        disagreed_before += format(old, ".4g") != format(float(P.sum()), ".4g")
    assert disagreed_before > 100  # the case was the common one, not a corner
    assert exact >= 200  # 212 of 300 here: the note is the exception


def test_integer_products_print_as_integers_and_no_minus_zero():
    assert conv.printed_sum(torch.tensor([[1.0, -1.0], [0.0, 2.0]])) == (0, "2", True)
    assert conv.number(-0.00001, ".3f") == "0.000" and conv.number(-0.5, ".1f") == "-0.5"
