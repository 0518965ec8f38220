"""Figures for learning a kernel by gradient descent (d2l 7.2): loss curve, kernels, spectrum."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.plots.base import DASHES, FONT, PALETTE, base_layout, fast_figure, heatmap_parts

MAX_POINTS = 2000  # a longer history is thinned for the chart (every step is kept in the data)
# The charts' words; a page passes its language's (ui/locales: "learn_kernel" "charts").
LABELS = {
    "loss": "loss",
    "step": "step",
    "diverged": "diverged",
    "epoch_step": "epoch (one gradient step)",
    "epoch": "epoch",
    "kernel_value": "kernel value",
    "singular_value": "singular value",
    "learned": "learned",
    "target": "target",
    "difference": "learned − target",
    "visible": "visible",
    "invisible": "invisible",
}


KERNEL_MARGIN = dict(l=15, b=15, autoexpand=False)  # what automargin made room for: ticks
# Room for the spectrum's tick labels (10⁻⁴ …), σ names and axis title: the theme's automargin
# then finds nothing to push and Plotly draws the chart once; wider labels still get room.
SPECTRUM_MARGIN = dict(l=85, r=10, t=12, b=40)


def _thin(n: int) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    idx = np.unique(np.linspace(0, n - 1, MAX_POINTS).round().astype(int))
    return idx


def loss_figure(records: Sequence, height: int = 340, labels: dict = LABELS) -> go.Figure:
    """The loss after each step, log scale; a diverged run ends with a red cross."""
    steps = np.array([r.step for r in records], dtype=float)
    losses = np.array([r.loss for r in records], dtype=float)
    idx = _thin(len(records))
    finite = np.isfinite(losses)
    fig = go.Figure(
        go.Scatter(
            x=steps[idx],
            y=np.where(finite, losses, np.nan)[idx],
            mode="lines+markers" if len(records) <= 60 else "lines",
            line=dict(color=PALETTE[0], width=3),
            name=labels["loss"],
            hovertemplate=f"{labels['step']} %{{x}}: {labels['loss']} %{{y:.4g}}<extra></extra>",
        )
    )
    if records and records[-1].diverged:
        last = records[-1]
        y = (
            last.loss
            if np.isfinite(last.loss)
            else float(np.nanmax(losses[finite]) if finite.any() else 1)
        )
        fig.add_trace(
            go.Scatter(
                x=[last.step], y=[y], mode="markers", name=labels["diverged"],
                marker=dict(symbol="x", size=18, color=PALETTE[3]),
                hovertemplate=f"{labels['diverged']}: {labels['step']} %{{x}}<extra></extra>",
            )
        )  # fmt: skip
    positive = finite & (losses > 0)
    if positive.any():
        fig.update_yaxes(title=labels["loss"], type="log", dtick=1, exponentformat="power")
    else:
        fig.update_yaxes(title=labels["loss"])
    fig.update_xaxes(title=labels["epoch_step"], rangemode="tozero")
    fig.update_layout(showlegend=False)
    return base_layout(fig, None, height)


def kernel_figure(kernel, scale: float | None = None, height: int = 300) -> go.Figure:
    """A kernel as a red/blue heatmap with its numbers; ``scale`` fixes the colour range.

    Built without Plotly's validation (:func:`cnnviz.plots.base.fast_figure`): the page
    draws two or three on every change of its target. Fixed margins, no automatic ones
    (see :mod:`cnnviz.plots.conv`): with the theme's ``automargin`` Plotly drew each kernel
    twice, the second time after pushing a margin out by 5 px for the tick marks, which
    these margins leave room for."""
    Z = np.asarray(kernel, dtype=float)
    Z = np.where(np.abs(Z) < 5e-4, 0.0, Z)  # no "-0.000"
    trace, layout = heatmap_parts(Z, annotate=True, symmetric=True, height=height, fmt=".3f")
    m = scale if scale else float(np.abs(Z[np.isfinite(Z)]).max(initial=0)) or 1.0
    trace.update(zmin=-m, zmax=m, zmid=0, showscale=False, textfont=dict(size=18))
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {**layout[axis], "showticklabels": False, "automargin": False}
    layout["margin"] = {**layout["margin"], **KERNEL_MARGIN}
    return fast_figure([trace], layout)


def compare_figure(learned, target, height: int = 300, labels: dict = LABELS) -> go.Figure:
    """Learned kernel, target and their difference side by side, on one colour scale."""
    L = np.asarray(learned, dtype=float)
    T = np.asarray(target, dtype=float)
    D = L - T
    m = float(np.abs(np.concatenate([L.ravel(), T.ravel()])).max(initial=0)) or 1.0
    titles = (labels["learned"], labels["target"], labels["difference"])
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.05)
    for col, Z in enumerate((L, T, D), start=1):
        fig.add_trace(
            go.Heatmap(
                z=Z, zmin=-m, zmax=m, zmid=0, colorscale="RdBu_r", showscale=False,
                text=np.vectorize(lambda v: f"{v:.3f}")(Z), texttemplate="%{text}",
                textfont=dict(size=16),
                hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
            ),
            row=1, col=col,
        )  # fmt: skip
        fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=col)
        fig.update_xaxes(showticklabels=False, row=1, col=col)
    base_layout(fig, None, height)
    fig.update_layout(margin=dict(t=40))
    return fig


def kernel_paths_figure(
    records: Sequence, target, height: int = 320, labels: dict = LABELS
) -> go.Figure:
    """Each kernel entry over the steps, with its target value dashed: the values converge."""
    T = np.asarray(target, dtype=float)
    h, w = T.shape
    idx = _thin(len(records))
    steps = np.array([records[i].step for i in idx])
    K = np.array([records[i].kernel for i in idx], dtype=float).reshape(len(idx), h * w)
    fig = go.Figure()
    for k in range(h * w):
        color, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        name = f"K[{k // w},{k % w}]"
        fig.add_trace(
            go.Scatter(
                x=steps, y=K[:, k], mode="lines", name=name,
                line=dict(color=color, width=2.5, dash=dash),
                hovertemplate=f"{name}, {labels['step']} %{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )  # fmt: skip
        fig.add_hline(y=float(T.flat[k]), line=dict(color=color, dash="dot", width=1))
    fig.update_xaxes(title=labels["epoch"])
    fig.update_yaxes(title=labels["kernel_value"])
    # Up to four entries get a legend; more would crowd the plot (hover names each line).
    fig.update_layout(showlegend=h * w <= 4, legend=dict(orientation="h", y=-0.3))
    return base_layout(fig, None, height)


def singular_values_figure(info, height: int = 300, labels: dict = LABELS) -> go.Figure:
    """The patch matrix's singular values: grey bars are directions the image cannot show."""
    sv = np.asarray(info.singular_values, dtype=float)
    smax = float(sv.max(initial=0)) or 1.0
    shown = np.maximum(sv, smax * 1e-6)
    colors = [PALETTE[0] if i < info.rank else "#bbbbbb" for i in range(len(sv))]
    names = [f"σ{i + 1}" for i in range(len(sv))]
    bar = dict(
        type="bar", x=names, y=shown, marker=dict(color=colors),
        customdata=[[float(v), labels["visible" if i < info.rank else "invisible"]]
                    for i, v in enumerate(sv)],
        hovertemplate="%{x} = %{customdata[0]:.3g} (%{customdata[1]})<extra></extra>",
    )  # fmt: skip
    grid = dict(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
    layout = dict(
        font=FONT, margin=SPECTRUM_MARGIN, paper_bgcolor="white",
        plot_bgcolor="white", height=height, template={}, xaxis=grid,
        yaxis=dict(grid, type="log", title=dict(text=labels["singular_value"]),
                   exponentformat="power"),
    )  # fmt: skip
    return fast_figure([bar], layout)  # base_layout's look, for a chart redrawn per change
