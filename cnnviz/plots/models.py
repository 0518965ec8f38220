"""Figures for the architecture builder: the network as boxes with the shape flowing through
it, and feature-map grids (d2l 7.6, 8.2, 8.6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cnnviz.features import FeatureMap, normalise_maps
from cnnviz.plots.base import FONT, base_layout, fast_figure, image_montage

# Okabe and Ito's colours (cnnviz.plots.base.PALETTE) by kind of layer; each box also says
# its kind in words.
KIND_COLORS = {
    "conv": "#0072B2",
    "block": "#0072B2",
    "act": "#E69F00",
    "pool": "#009E73",
    "norm": "#CC79A7",
    "flat": "#999999",
    "linear": "#D55E00",
    "drop": "#F0E442",
    "input": "#56B4E9",
    "branch": "#BFDDF0",
}
KIND_NAMES = {
    "conv": "convolution",
    "block": "block (conv layers inside)",
    "act": "activation",
    "pool": "pooling",
    "norm": "batch norm",
    "flat": "flatten",
    "linear": "fully connected",
    "drop": "dropout",
    "input": "input",
    "branch": "branch (concatenated on the channels)",
}


def layer_kind(layer: str) -> str:
    """Colour group of a layer class name."""
    if layer in ("Conv2d",):
        return "conv"
    if layer in ("Sequential", "Residual", "ResNeXtBlock", "Inception", "DenseBlock"):
        return "block"
    if "Pool" in layer:
        return "pool"
    if "Norm" in layer:
        return "norm"
    if layer == "Flatten":
        return "flat"
    if layer == "Linear":
        return "linear"
    if layer == "Dropout":
        return "drop"
    if layer == "input":
        return "input"
    return "act"


def shape_label(shape: tuple[int, ...]) -> str:
    """(1, 6, 28, 28) → "6×28×28"; (1, 120) → "120" (the batch axis is dropped)."""
    return "×".join(str(s) for s in shape[1:])


# The diagram's words; a page passes its language's (ui/locales: "builder" "diagram").
DIAGRAM_WORDS = {
    "kinds": KIND_NAMES,
    "input": "input",
    "block": "block {n}",
    "hover": "{name}: {layer}<br>output {shape}<br>{params:,} parameters<br>{kind}",
    "branch_hover": "{name}, branch {label}: {shape}",
    "concat": "concatenated on the channels: {shape}",
}


def display_name(name: str, layer: str, block: str = DIAGRAM_WORDS["block"]) -> str:
    """What a box is called: d2l's block names (b1, last) or "block 3" for VGG blocks."""
    if layer == "Sequential":
        return block.format(n=int(name) + 1) if name.isdigit() else name
    return layer


def network_diagram(
    summary: pd.DataFrame, input_shape: tuple[int, ...], height: int = 330,
    words: dict = DIAGRAM_WORDS,
) -> go.Figure:  # fmt: skip
    """The layers of a summary as boxes left to right: box height ∝ the map's side, box width
    grows with the channels, and the output shape is written under each box."""
    shapes = [tuple(input_shape), *summary["shape"]]
    layers = ["input", *summary["layer"]]
    names = ["input", *summary["name"]]
    params = [0, *summary["parameters"]]
    side0 = max(input_shape[-1], 1)
    max_c = max(s[1] for s in shapes)
    # Everything is drawn with a handful of scatter traces (boxes as filled polygons, one
    # trace per colour): Plotly validates every shape and annotation on its own, and a
    # figure with fifty of them costs hundreds of milliseconds per widget change.
    polygons: dict[str, tuple[list, list]] = {}
    xs, hover_text, top_text, bottom_text, top_y, bottom_y = [], [], [], [], [], []
    # A block whose layers run side by side (an Inception block's four branches, a dense
    # block's input and convolution blocks) is drawn as its branches, stacked, with the
    # lines fanning out from the previous box and joining where they are concatenated.
    branches = [None, *summary["branches"]] if "branches" in summary else [None] * len(shapes)
    fan_x, fan_y, joins_x, joins_hover = [], [], [], []
    branch_text, branch_tx, branch_ty, branch_hover, branch_hx, branch_hy = ([] for _ in range(6))
    for i, (shape, layer, name, n_params) in enumerate(
        zip(shapes, layers, names, params, strict=True)
    ):
        kind = layer_kind(layer)
        if branches[i]:
            label = display_name(name, layer, words["block"])
            x, k = float(i), len(branches[i])
            h = min(0.22, 0.9 / k)
            px, py = polygons.setdefault("branch", ([], []))
            for j, (blabel, bshape) in enumerate(branches[i]):
                y = ((k - 1) / 2 - j) * (1.0 / max(k, 2))  # the first branch on top
                px += [x - 0.2, x + 0.2, x + 0.2, x - 0.2, x - 0.2, None]
                py += [y - h / 2, y - h / 2, y + h / 2, y + h / 2, y - h / 2, None]
                fan_x += [x - 0.5, x - 0.2, None, x + 0.2, x + 0.5, None]
                fan_y += [0, y, None, y, 0, None]
                branch_text.append(f"{blabel} · {bshape[1]}")
                branch_tx.append(x)
                branch_ty.append(y)
                branch_hover.append(words["branch_hover"].format(
                    name=name, label=blabel, shape=list(bshape)))  # fmt: skip
                branch_hx.append(x)
                branch_hy.append(y)
            joins_x.append(x + 0.5)
            joins_hover.append(words["concat"].format(shape=list(shape)))
            stagger = 0.22 * (i % 2)
            top_text.append(f"<b>{label}</b>")
            top_y.append(0.62 + stagger)
            bottom_text.append(shape_label(shape))
            bottom_y.append(-0.62 - stagger)
            hover_text.append(words["hover"].format(
                name=name, layer=layer, shape=list(shape), params=n_params,
                kind=words["kinds"]["branch"],
            ))  # fmt: skip
            xs.append(x)
            continue
        if len(shape) == 4:
            h = 0.25 + 0.75 * math.sqrt(shape[-1] / side0)
            w = 0.25 + 0.45 * math.log2(shape[1] + 1) / math.log2(max_c + 1)
        else:  # a vector: a thin bar whose height grows with its length (log scale)
            h = 0.15 + 0.6 * math.log10(shape[-1] + 1) / math.log10(max(max_c, shape[-1]) + 1)
            w = 0.12
        x = float(i)
        px, py = polygons.setdefault(kind, ([], []))
        px += [x - w / 2, x + w / 2, x + w / 2, x - w / 2, x - w / 2, None]
        py += [-h / 2, -h / 2, h / 2, h / 2, -h / 2, None]
        label = words["input"] if layer == "input" else display_name(name, layer, words["block"])
        stagger = 0.22 * (i % 2)  # alternate heights so neighbouring labels never overlap
        top_text.append(f"<b>{label}</b>")
        top_y.append(0.62 + stagger)
        bottom_text.append(shape_label(shape))
        bottom_y.append(-0.62 - stagger)
        hover_text.append(words["hover"].format(
            name=label if layer == "input" else name, layer=label if layer == "input" else layer,
            shape=list(shape),
            params=n_params, kind=words["kinds"][kind],
        ))  # fmt: skip
        xs.append(x)
    hidden = dict(hoverinfo="skip", showlegend=False)
    # The line through the boxes, broken around the branching blocks (their fans join it).
    line_x: list = []
    for i, x in enumerate(xs):
        start = x + 0.5 if branches[i] else x
        if i + 1 < len(xs):
            end = xs[i + 1] - 0.5 if branches[i + 1] else xs[i + 1]
            line_x += [start, end, None]
    traces = [
        dict(type="scatter", x=line_x, y=[0 if v is not None else None for v in line_x],
             mode="lines", line=dict(color="#888", width=2), **hidden),
    ]  # fmt: skip
    if fan_x:
        traces.append(dict(type="scatter", x=fan_x, y=fan_y, mode="lines",
                           line=dict(color="#888", width=1.5), **hidden))  # fmt: skip
    for kind, (px, py) in polygons.items():
        traces.append(
            dict(type="scatter", x=px, y=py, fill="toself", mode="lines",
                 fillcolor=KIND_COLORS[kind], line=dict(color="#333", width=1),
                 name=words["kinds"][kind], hoverinfo="skip")
        )  # fmt: skip
    traces += [
        dict(type="scatter", x=xs, y=top_y, mode="text", text=top_text,
             textfont=dict(size=14), **hidden),
        dict(type="scatter", x=xs, y=bottom_y, mode="text", text=bottom_text,
             textfont=dict(size=13), **hidden),
        dict(type="scatter", x=xs, y=[0] * len(xs), mode="markers",
             marker=dict(size=30, opacity=0), hovertext=hover_text, hoverinfo="text",
             showlegend=False),
    ]  # fmt: skip
    if branch_text:
        traces += [
            dict(type="scatter", x=branch_tx, y=branch_ty, mode="text", text=branch_text,
                 textfont=dict(size=10), name="branches", **hidden),
            dict(type="scatter", x=branch_hx, y=branch_hy, mode="markers",
                 marker=dict(size=14, opacity=0), hovertext=branch_hover, hoverinfo="text",
                 showlegend=False),
            dict(type="scatter", x=joins_x, y=[0] * len(joins_x), mode="markers",
                 marker=dict(size=9, symbol="diamond", color="#555"), hovertext=joins_hover,
                 hoverinfo="text", name="concat", showlegend=False),
        ]  # fmt: skip
    # Plain dicts without Plotly's per-property validation: the figure is rebuilt on every
    # widget change, and validation alone would take most of the 300 ms budget.
    axes = dict(visible=False, gridcolor="#e5e5e5", zerolinecolor="#cccccc")
    layout = dict(
        xaxis=dict(axes, range=[-0.7, len(xs) - 0.3]),
        yaxis=dict(axes, range=[-1.05, 1.05], fixedrange=True),
        legend=dict(orientation="h", y=-0.02, yanchor="top"),
        font=FONT, margin=dict(l=10, r=10, t=10, b=10), paper_bgcolor="white",
        plot_bgcolor="white", height=height, template={},  # Streamlit's theme styles it
    )  # fmt: skip
    return fast_figure(traces, layout)  # base_layout's look


def feature_map_figure(fm: FeatureMap, cols: int = 8, labels: list[str] | None = None):
    """One layer's activations: a grid of per-channel heatmaps, or a bar chart for a vector."""
    if fm.is_image:
        maps = normalise_maps(fm.maps)
        k = maps.shape[0]
        cols = min(cols, k)
        rows = math.ceil(k / cols)
        side = maps.shape[-1]
        height = int(min(90 + rows * min(140, 900 / cols * 0.9 + 10), 420))
        fig = image_montage(maps, rows, cols, height=height if side > 1 else 120)
        return fig
    values = fm.maps.numpy()
    n = values.shape[0]
    if n <= 64:
        x = labels if labels is not None and len(labels) == n else list(range(n))
        fig = go.Figure(go.Bar(x=x, y=values, marker_color=KIND_COLORS[layer_kind(fm.layer)]))
        fig.update_xaxes(type="category")
        return base_layout(fig, None, 220)
    width = int(math.ceil(math.sqrt(n)))
    padded = np.full(width * width, np.nan, dtype=np.float32)
    padded[:n] = values
    fig = go.Figure(go.Heatmap(z=padded.reshape(width, width), colorscale="gray", showscale=False))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", visible=False)
    fig.update_xaxes(visible=False)
    return base_layout(fig, None, 220)
