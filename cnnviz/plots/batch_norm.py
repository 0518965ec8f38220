"""Figures for the batch-normalization lesson (d2l 8.5): the chosen layer's statistics and the
two loss curves. A page passes its language's words (ui/locales: "batch_norm" "charts")."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.plots.base import DASHES, PALETTE, base_layout

LABELS = {
    "step": "step",
    "channel": "channel",
    "mean": "mean",
    "variance": "variance",
    "batch": "this batch",
    "running": "running average",
    "loss": "training loss",
    "with_bn": "with batch norm",
    "without_bn": "without batch norm",
}


def stats_figure(records: Sequence, channel: int, height: int = 380,
                 labels: dict = LABELS) -> go.Figure:  # fmt: skip
    """One channel over the steps: its batch mean and variance (markers, jumping from batch to
    batch) and the running averages (lines, smoothing them with momentum 0.1)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["mean"], labels["variance"]))
    steps = [r.step for r in records]
    for col, (batch, running) in enumerate(
        (("batch_mean", "running_mean"), ("batch_var", "running_var")), start=1
    ):
        fig.add_trace(go.Scatter(
            x=steps, y=[getattr(r, batch)[channel] for r in records], mode="markers",
            name=labels["batch"], legendgroup="batch", showlegend=col == 1,
            marker=dict(color=PALETTE[0], size=5, symbol="circle"),
        ), row=1, col=col)  # fmt: skip
        fig.add_trace(go.Scatter(
            x=steps, y=[getattr(r, running)[channel] for r in records], mode="lines",
            name=labels["running"], legendgroup="running", showlegend=col == 1,
            line=dict(color=PALETTE[1], width=3, dash=DASHES[1]),
        ), row=1, col=col)  # fmt: skip
        fig.update_xaxes(title=labels["step"], row=1, col=col)
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return base_layout(fig, None, height).update_layout(margin=dict(t=40))  # subplot titles


def channels_figure(record, height: int = 320, labels: dict = LABELS) -> go.Figure:
    """Every channel at the latest step: batch statistics beside the running averages."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["mean"], labels["variance"]))
    channels = list(range(len(record.batch_mean)))
    for col, (batch, running) in enumerate(
        ((record.batch_mean, record.running_mean), (record.batch_var, record.running_var)),
        start=1,
    ):
        for i, (values, name) in enumerate(((batch, labels["batch"]),
                                            (running, labels["running"]))):  # fmt: skip
            fig.add_trace(go.Bar(
                x=channels, y=values, name=name, legendgroup=name, showlegend=col == 1,
                marker=dict(color=PALETTE[i], pattern=dict(shape=("", "/")[i])),
            ), row=1, col=col)  # fmt: skip
        fig.update_xaxes(title=labels["channel"], dtick=1, row=1, col=col)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.3))
    return base_layout(fig, None, height).update_layout(margin=dict(t=40))  # subplot titles


def loss_figure(records: Sequence, height: int = 340, labels: dict = LABELS) -> go.Figure:
    """Training loss of both networks, step by step, on the same batches."""
    steps = [r.step for r in records]
    fig = go.Figure()
    for i, (field, name) in enumerate((("loss_bn", "with_bn"), ("loss_plain", "without_bn"))):
        fig.add_trace(go.Scatter(
            x=steps, y=[getattr(r, field) for r in records], mode="lines", name=labels[name],
            line=dict(color=PALETTE[i], width=3, dash=DASHES[i]),
        ))  # fmt: skip
    fig.update_xaxes(title=labels["step"], rangemode="tozero")
    fig.update_yaxes(title=labels["loss"], rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return base_layout(fig, None, height)
