"""Loss and accuracy curves of a training run, the way d2l's Animator draws them (d2l 6.6).

Epoch metrics are markers on lines; the running training loss within epochs (when known)
is a thin line, so a curve grows during an epoch and not only at its end.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.plots.base import PALETTE, base_layout, set_font_size

SERIES = {
    "train_loss": ("train loss", PALETTE[0], "solid"),
    "val_loss": ("val loss", PALETTE[1], "dash"),
    "train_acc": ("train acc", PALETTE[2], "solid"),
    "val_acc": ("val acc", PALETTE[3], "dash"),
}


def training_curves(
    metrics: pd.DataFrame,
    num_epochs: int | None = None,
    history: list[tuple[float, float]] | None = None,
    height: int = 380,
    font_size: int | None = None,
) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs, x fixed to [0, num_epochs].
    ``font_size`` enlarges every text (presenter mode).

    Args:
        metrics: one row per finished epoch (``RunStore.metrics``).
        num_epochs: the run's planned epochs, so the axis does not jump while it grows.
        history: (fractional epoch, running train loss) points from within epochs.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    if history:
        xs, ys = zip(*history, strict=True)
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", name="train loss (running)",
                line=dict(color=PALETTE[0], width=1), opacity=0.45,
                hovertemplate="epoch %{x:.2f}: %{y:.3f}<extra></extra>",
            ),
            row=1, col=1,
        )  # fmt: skip
    for col, (key, (label, color, dash)) in enumerate(SERIES.items()):
        if key not in metrics:
            continue
        fig.add_trace(
            go.Scatter(
                x=metrics["epoch"], y=metrics[key], mode="lines+markers", name=label,
                line=dict(color=color, dash=dash, width=3), marker=dict(size=8),
                hovertemplate=f"{label}, epoch %{{x}}: %{{y:.3f}}<extra></extra>",
            ),
            row=1, col=1 if col < 2 else 2,
        )  # fmt: skip
    top = max(num_epochs or 0, int(metrics["epoch"].max()) if len(metrics) else 1, 1)
    # Whole epochs only (no "epoch 0.5"), about ten ticks at most.
    fig.update_xaxes(title_text="epoch", range=[0, top + 0.2], tick0=0, dtick=-(-top // 10))
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0), hovermode="closest")
    base_layout(fig, height=height)
    fig.update_layout(margin=dict(t=40))  # room for the subplot titles
    if font_size:
        set_font_size(fig, font_size)
        fig.update_layout(margin=dict(t=50), height=height + 60, legend_y=-0.32)
    return fig
