"""Figures for the architecture builder: the network as boxes with the shape flowing through
it, and feature-map grids (d2l 7.6, 8.2, 8.6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cnnviz.features import FeatureMap, normalise_maps
from cnnviz.plots.base import base_layout, image_montage

KIND_COLORS = {
    "conv": "#1f77b4",
    "block": "#1f77b4",
    "act": "#ff7f0e",
    "pool": "#2ca02c",
    "norm": "#9467bd",
    "flat": "#7f7f7f",
    "linear": "#d62728",
    "drop": "#bcbd22",
    "input": "#17becf",
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
}


def layer_kind(layer: str) -> str:
    """Colour group of a layer class name."""
    if layer in ("Conv2d",):
        return "conv"
    if layer in ("Sequential", "Residual"):
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


def display_name(name: str, layer: str) -> str:
    """What a box is called: d2l's block names (b1, last) or "block 3" for VGG blocks."""
    if layer == "Sequential":
        return f"block {int(name) + 1}" if name.isdigit() else name
    return layer


def network_diagram(
    summary: pd.DataFrame, input_shape: tuple[int, ...], height: int = 330
) -> go.Figure:
    """The layers of a summary as boxes left to right: box height ∝ the map's side, box width
    grows with the channels, and the output shape is written under each box."""
    shapes = [tuple(input_shape), *summary["shape"]]
    layers = ["input", *summary["layer"]]
    names = ["input", *summary["name"]]
    params = [0, *summary["parameters"]]
    side0 = max(input_shape[-1], 1)
    max_c = max(s[1] for s in shapes)
    fig = go.Figure()
    xs, tops = [], []
    hover_x, hover_y, hover_text = [], [], []
    x = 0.0
    for shape, layer, name, n_params in zip(shapes, layers, names, params, strict=True):
        kind = layer_kind(layer)
        if len(shape) == 4:
            h = 0.25 + 0.75 * math.sqrt(shape[-1] / side0)
            w = 0.25 + 0.45 * math.log2(shape[1] + 1) / math.log2(max_c + 1)
        else:  # a vector: a thin bar whose height grows with its length (log scale)
            h = 0.15 + 0.6 * math.log10(shape[-1] + 1) / math.log10(max(max_c, shape[-1]) + 1)
            w = 0.12
        fig.add_shape(
            type="rect",
            x0=x - w / 2, x1=x + w / 2, y0=-h / 2, y1=h / 2,
            fillcolor=KIND_COLORS[kind], opacity=0.85, line=dict(color="#333", width=1),
        )  # fmt: skip
        label = "input" if layer == "input" else display_name(name, layer)
        fig.add_annotation(x=x, y=0.58, text=f"<b>{label}</b>", showarrow=False, textangle=-35,
                           yanchor="bottom", font=dict(size=13))  # fmt: skip
        fig.add_annotation(x=x, y=-0.58, text=shape_label(shape), showarrow=False,
                           textangle=-35, yanchor="top", font=dict(size=12))  # fmt: skip
        hover_x.append(x)
        hover_y.append(0)
        hover_text.append(
            f"{name}: {layer}<br>output {list(shape)}<br>{n_params:,} parameters"
            f"<br>{KIND_NAMES[kind]}"
        )
        xs.append(x)
        tops.append(w)
        x += 1.0
    for i in range(len(xs) - 1):
        fig.add_annotation(
            x=xs[i + 1] - tops[i + 1] / 2, y=0, ax=xs[i] + tops[i] / 2, ay=0,
            xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.5, arrowcolor="#555", text="",
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=hover_x, y=hover_y, mode="markers", marker=dict(size=28, opacity=0),
            hovertext=hover_text, hoverinfo="text", showlegend=False,
        )
    )  # fmt: skip
    fig.update_xaxes(visible=False, range=[-0.7, len(xs) - 0.3])
    fig.update_yaxes(visible=False, range=[-1.6, 1.6])
    return base_layout(fig, None, height)


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
