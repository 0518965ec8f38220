"""Figures of the class board (a class experiment): every seat's curve coloured by its value,
each value's mean and band once the class has stopped, and value against final accuracy.

A value keeps one colour, dash and marker everywhere (``PALETTE[i]``, ``DASHES[i]``,
``SYMBOLS[i]`` for the i-th value of the plan), so no value differs in colour alone.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from cnnviz import stats
from cnnviz.plots import ablation as PA
from cnnviz.plots.base import (
    DASHES,
    PALETTE,
    SYMBOLS,
    fast_figure,
    plain,
)

# The charts' words; the page passes its language's (ui/locales: "board" "charts").
LABELS = {"epoch": "epoch", "train_loss": "training loss", "val_acc": "validation accuracy",
          "value": "value", "diverged": "diverged", "seat": "seat"}  # fmt: skip


def value_colors(labels) -> dict[str, str]:
    """Value label → its colour (the i-th of the shared palette, as the lab's variants)."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def _axis(title: str, size: int, **more) -> dict:
    return dict(title=dict(text=title, font=dict(size=size)), tickfont=dict(size=size),
                gridcolor="#e5e5e5", zerolinecolor="#cccccc", **more)  # fmt: skip


def seat_curves(board, height: int = 460, font_size: int = 16,
                labels: dict = LABELS) -> go.Figure:  # fmt: skip
    """Every started seat's training loss against the epoch, live: the in-epoch points of a
    run that trains, the per-epoch losses of one that ended; one line per seat, coloured,
    dashed and marked by its value, one legend entry per value. Built from plain dicts
    (:func:`cnnviz.plots.base.fast_figure`): the board redraws it every second for 30 seats
    and more."""
    labels = {**LABELS, **labels}
    index = {label: i for i, label in enumerate(board.experiment.labels)}
    finals = {r.run_id: r.metrics for runs in board.runs.values() for r in runs}
    traces, shown = [], set()
    for seat in board.started:
        i = index.get(seat.label, 0)
        if pts := board.points.get(seat.run_id):
            xy = np.asarray(pts, dtype=np.float64)  # sent as one typed array, not 200 numbers
            x, y = xy[:, 0], xy[:, 1]
        else:
            m = finals.get(seat.run_id)
            if m is None or m.empty:
                continue
            x = m["epoch"].to_numpy(dtype=np.float64)
            y = m["train_loss"].to_numpy(dtype=np.float64)  # NaN (diverged): a gap
        name, who = plain(seat.label), plain(seat.name)
        traces.append(dict(
            type="scatter", x=x, y=y, mode="lines+markers",
            name=name, legendgroup=name, showlegend=name not in shown,
            line=dict(color=PALETTE[i % len(PALETTE)], width=2.5, dash=DASHES[i % len(DASHES)]),
            marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=6, maxdisplayed=12),
            hovertemplate=f"{who} · {name}<br>{labels['epoch']} %{{x:.2f}}: "
            "%{y:.3f}<extra></extra>",
        ))  # fmt: skip
        shown.add(name)
    # Whole epochs only on the axis (no "epoch 0.5" under in-epoch points), ten ticks at most.
    top = max((float(np.max(t["x"])) for t in traces if len(t["x"])), default=1.0)
    top = top if math.isfinite(top) else 1.0
    layout = dict(
        font=dict(size=font_size), height=height, paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=10, r=10, t=60, b=10),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=font_size)),
        xaxis=_axis(labels["epoch"], font_size, rangemode="tozero", tick0=0,
                    dtick=max(1, math.ceil(top / 10))),  # fmt: skip
        yaxis=_axis(labels["train_loss"], font_size, rangemode="tozero"),
    )  # fmt: skip
    return fast_figure(traces, layout)


def value_bands(board, metric: str = "val_acc", height: int = 460, font_size: int = 16,
                labels: dict | None = None) -> go.Figure:  # fmt: skip
    """Each value's mean over its runs in a ±1 sd band, every run faintly (as the lab's
    overlay of a variant over seeds), coloured, dashed and marked by the value. Plain dicts
    (:func:`cnnviz.plots.base.fast_figure`): 30 seats' runs in a few milliseconds."""
    labels = {**PA.LABELS, **(labels or {})}
    long = board.long()
    long = long[long["metric"] == metric]
    every = stats.bands(long, ["variant", "epoch"])
    epoch, sd_word = labels["epoch"], labels["sd"]
    traces = []
    for i, label in enumerate(board.experiment.labels):
        b = every[every["variant"] == label].sort_values("epoch")
        if b.empty:
            continue
        color, name = PALETTE[i % len(PALETTE)], plain(label)
        x, mean, sd = b["epoch"].tolist(), b["mean"].tolist(), b["sd"].fillna(0.0).tolist()
        fill = PA.translucent(color, PA.BAND_OPACITY)
        traces += [
            dict(type="scatter", x=x, y=[m + s for m, s in zip(mean, sd, strict=True)],
                 mode="lines", line=dict(width=0, color=color), name=f"{name} {sd_word}",
                 legendgroup=name, showlegend=False, hoverinfo="skip"),
            dict(type="scatter", x=x, y=[m - s for m, s in zip(mean, sd, strict=True)],
                 mode="lines", line=dict(width=0, color=color), fill="tonexty", fillcolor=fill,
                 name=f"{name} {sd_word}", legendgroup=name, showlegend=False,
                 hoverinfo="skip"),
        ]  # fmt: skip
        for run in board.runs.get(label, []):
            if run.metrics is None or run.metrics.empty:
                continue
            ys = [v if v == v else None for v in run.metrics[metric].tolist()]  # NaN: a gap
            which = f"{name} · {labels['seed']} {run.seed}"
            traces.append(dict(
                type="scatter", x=run.metrics["epoch"].tolist(), y=ys, mode="lines",
                opacity=PA.RUN_OPACITY, name=which, legendgroup=name, showlegend=False,
                line=dict(color=color, width=1.5, dash=DASHES[i % len(DASHES)]),
                hovertemplate=f"{which}<br>{epoch} %{{x}}: %{{y:.3f}}<extra></extra>",
            ))  # fmt: skip
        n = b["n"].tolist()
        traces.append(dict(
            type="scatter", x=x, y=mean, mode="lines+markers", name=name, legendgroup=name,
            line=dict(color=color, width=4, dash=DASHES[i % len(DASHES)]),
            marker=dict(size=10, symbol=SYMBOLS[i % len(SYMBOLS)]),
            customdata=[[s, k] for s, k in zip(sd, n, strict=True)],
            hovertemplate=f"{name}<br>{epoch} %{{x}}: {labels['mean']} %{{y:.3f}} ± "
            f"%{{customdata[0]:.3f}} (%{{customdata[1]:.0f}} {labels['seeds']})<extra></extra>",
        ))  # fmt: skip
    top = max((s.num_epochs for s in board.started), default=1)
    top = max(top, int(long["epoch"].max()) if len(long) else 1) + 0.2
    acc = metric.endswith("acc")
    yaxis = _axis(labels[metric], font_size, **(dict(range=[0, 1.02], tickformat=".0%") if acc
                                                   else dict(rangemode="tozero")))  # fmt: skip
    layout = dict(
        font=dict(size=font_size), height=height, paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=10, r=10, t=60, b=10),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=font_size)),
        xaxis=_axis(epoch, font_size, range=[0.8, top], dtick=1), yaxis=yaxis,
    )  # fmt: skip
    return fast_figure(traces, layout)


def value_scatter(board, height: int = 380, font_size: int = 16,
                  labels: dict = LABELS) -> go.Figure:  # fmt: skip
    """Value (in the plan's order) against final validation accuracy, one point per run; a
    diverged run is drawn as an open marker and says so on hover."""
    labels = {**LABELS, **labels}
    by_value: dict[str, list] = {}
    for seat in board.started:
        if seat.epochs > 0:
            by_value.setdefault(seat.label, []).append(seat)
    traces = []
    for i, label in enumerate(board.experiment.labels):
        seats = by_value.get(label)
        if not seats:
            continue
        name, color = plain(label), PALETTE[i % len(PALETTE)]
        symbol = SYMBOLS[i % len(SYMBOLS)]
        traces.append(dict(
            type="scatter", x=[name] * len(seats), mode="markers", name=name,
            y=[s.final_val_acc if s.final_val_acc == s.final_val_acc else None for s in seats],
            marker=dict(color=color, size=16, line=dict(width=2, color=color),
                        symbol=[symbol + ("-open" if s.diverged else "") for s in seats]),
            customdata=[[plain(s.name), f" · {labels['diverged']}" if s.diverged else ""]
                        for s in seats],
            hovertemplate="%{customdata[0]} · %{x}: %{y:.1%}%{customdata[1]}<extra></extra>",
        ))  # fmt: skip
    order = [plain(v) for v in board.experiment.labels]
    layout = dict(
        font=dict(size=font_size), height=height, paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
        xaxis=_axis(labels["value"], font_size, type="category", categoryorder="array",
                    categoryarray=order),
        yaxis=_axis(labels["val_acc"], font_size, range=[0, 1.02], tickformat=".0%"),
    )  # fmt: skip
    return fast_figure(traces, layout)
