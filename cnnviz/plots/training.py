"""Loss and accuracy curves of a training run, the way d2l's Animator draws them (d2l 6.6).

Epoch metrics are markers on lines; the running training loss within epochs (when known)
is a thin line, so a curve grows during an epoch and not only at its end.

The figure is redrawn every second while someone watches a run, so it is built from plain
dicts (:func:`cnnviz.plots.base.fast_figure`): ~1 ms instead of the ~80 ms that
``make_subplots`` and Plotly's validation cost, time the web server would take from the run's
cores. tests/test_plots.py checks it validates and sends what a validated figure would.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cnnviz.plots.base import FONT, PALETTE, SYMBOLS, fast_figure

# (name, colour, dash, marker): train solid, validation dashed, and every curve its own
# marker, so the four read apart without colour.
SERIES = {
    "train_loss": ("train loss", PALETTE[0], "solid", SYMBOLS[0]),
    "val_loss": ("val loss", PALETTE[1], "dash", SYMBOLS[1]),
    "train_acc": ("train acc", PALETTE[2], "solid", SYMBOLS[2]),
    "val_acc": ("val acc", PALETTE[3], "dash", SYMBOLS[3]),
}
GRID = dict(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
DOMAINS = ([0.0, 0.45], [0.55, 1.0])  # make_subplots(cols=2)'s default spacing


def training_curves(
    metrics: pd.DataFrame,
    num_epochs: int | None = None,
    history: list[tuple[float, float]] | None = None,
    height: int = 380,
    font_size: int | None = None,
    titles: tuple[str, str] = ("loss", "accuracy"),
    epoch_title: str = "epoch",
    names: dict[str, str] | None = None,
) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs, x fixed to [0, num_epochs].
    ``font_size`` enlarges every text (presenter mode).

    Args:
        metrics: one row per finished epoch (``RunStore.metrics``).
        num_epochs: the run's planned epochs, so the axis does not jump while it grows.
        history: (fractional epoch, running train loss) points from within epochs.
        titles, epoch_title: the two charts' titles and the x axis's (the page's language).
        names: the curves' names by metric (SERIES' keys, and "running" for the faint line).
    """
    names = names or {}
    traces = []
    if history:
        xs, ys = zip(*history, strict=True)
        traces.append(dict(
            type="scatter", x=list(xs), y=list(ys), mode="lines",
            name=names.get("running", "train loss (running)"),
            line=dict(color=PALETTE[0], width=1), opacity=0.45, xaxis="x", yaxis="y",
            hovertemplate=f"{epoch_title} %{{x:.2f}}: %{{y:.3f}}<extra></extra>",
        ))  # fmt: skip
    for col, (key, (label, color, dash, symbol)) in enumerate(SERIES.items()):
        if key not in metrics:
            continue
        label = names.get(key, label)
        axis = ("x", "y") if col < 2 else ("x2", "y2")
        traces.append(dict(
            type="scatter", x=metrics["epoch"].tolist(), y=metrics[key].tolist(),
            mode="lines+markers", name=label, line=dict(color=color, dash=dash, width=3),
            marker=dict(size=8, symbol=symbol), xaxis=axis[0], yaxis=axis[1],
            hovertemplate=f"{label}, {epoch_title} %{{x}}: %{{y:.3f}}<extra></extra>",
        ))  # fmt: skip
    top = max(num_epochs or 0, int(metrics["epoch"].max()) if len(metrics) else 1, 1)
    size = font_size or FONT["size"]
    ticks, title_font = {}, {}
    if font_size:
        ticks = dict(tickfont=dict(size=font_size))
        title_font = dict(font=dict(size=font_size))
    sized = dict(**ticks, title=title_font) if font_size else {}

    def xaxis(domain, anchor):
        # Whole epochs only (no "epoch 0.5"), about ten ticks at most.
        return dict(
            domain=domain, anchor=anchor, range=[0, top + 0.2], tick0=0, dtick=-(-top // 10),
            **GRID, **ticks, title=dict(text=epoch_title, **title_font),
        )  # fmt: skip

    annotations = [
        dict(text=text, x=sum(d) / 2, y=1.0, xref="paper", yref="paper", xanchor="center",
             yanchor="bottom", showarrow=False, font=dict(size=size + 2))
        for text, d in zip(titles, DOMAINS, strict=True)
    ]  # fmt: skip
    layout = dict(
        xaxis=xaxis(DOMAINS[0], "y"), xaxis2=xaxis(DOMAINS[1], "y2"),
        yaxis=dict(domain=[0.0, 1.0], anchor="x", rangemode="tozero", **GRID, **sized),
        yaxis2=dict(domain=[0.0, 1.0], anchor="x2", range=[0, 1.02], **GRID, **sized),
        annotations=annotations, hovermode="closest",
        legend=dict(orientation="h", y=-0.32 if font_size else -0.25, x=0,
                    **({"font": dict(size=font_size)} if font_size else {})),
        font=dict(size=size), paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=10, r=10, t=50 if font_size else 40, b=10),
        height=height + 60 if font_size else height,
    )  # fmt: skip
    return fast_figure(traces, layout)
