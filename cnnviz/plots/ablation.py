"""Figures of an ablation (d2l 7.6, 8.2, 8.6): one colour per variant in every figure.

The colour of a variant is its position in the group (``PALETTE[i]``), so the sigmoid LeNet is
the same blue in the curves, the small multiples, the kernels and the feature maps; its marker
(``SYMBOLS[i]``) and, in the overlay, its dash tell it apart without colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from cnnviz import stats
from cnnviz.plots import base as B
from cnnviz.plots.base import DASHES, PALETTE, SYMBOLS, base_layout, plain, set_font_size

DASH = {"train": "dot", "val": "solid"}
PANELS = (("train_loss", "train loss"), ("val_loss", "val loss"),
          ("train_acc", "train accuracy"), ("val_acc", "validation accuracy"))  # fmt: skip
# The charts' words; a page passes its language's (ui/locales: "ablation" "charts").
LABELS = {**dict(PANELS), "epoch": "epoch", "sd": "±1 sd", "range": "min–max",
          "seed": "seed", "seeds": "seeds", "mean": "mean"}  # fmt: skip
BANDS = ("sd", "range")  # the band around a mean curve: ±1 sd, or the smallest to the largest
BAND_OPACITY = 0.2
RUN_OPACITY = 0.35


def translucent(color: str, alpha: float) -> str:
    """``color`` (#rgb, #rrggbb or rgb(…)) as an rgba(…) of opacity ``alpha``: a band's fill,
    through which the grid and the other variants' lines stay visible. Other colour forms come
    back as they are."""
    c = color.strip()
    if c.startswith("#") and len(c) in (4, 7):
        c = c if len(c) == 7 else "#" + "".join(ch * 2 for ch in c[1:])
        try:
            r, g, b = (int(c[i : i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            return color
        return f"rgba({r}, {g}, {b}, {alpha})"
    if c.startswith("rgb(") and c.endswith(")"):
        return f"rgba({c[4:-1]}, {alpha})"
    return color


def _curve_traces(
    d: pd.DataFrame,
    name: str,
    color: str,
    labels: dict,
    width: float,
    marker: int,
    dash: str = "solid",
    band: str = "sd",
    runs: bool = False,
    legend: bool = True,
    symbol: str = "circle",
) -> list[go.Scatter]:
    """One variant's curve of one metric. With one seed: its line. With several (a ``seed``
    column): the band (±1 sd or min–max over the seeds at each epoch), the seeds' own runs
    faintly when ``runs``, and the mean line on top (the one in the legend)."""
    epoch, shown = labels["epoch"], plain(name)
    seeds = d["seed"].nunique() if "seed" in d else 1
    if seeds <= 1:
        return [
            go.Scatter(
                x=d["epoch"], y=d["value"], mode="lines+markers", name=shown,
                legendgroup=shown, showlegend=legend,
                line=dict(color=color, width=width, dash=dash),
                marker=dict(size=marker, symbol=symbol),
                hovertemplate=f"{shown}<br>{epoch} %{{x}}: %{{y:.3f}}<extra></extra>",
            )
        ]  # fmt: skip
    if band not in BANDS:
        raise ValueError(f"band must be one of {', '.join(BANDS)}, not {band!r}")
    b = stats.bands(d, ["epoch"]).sort_values("epoch")
    sd = b["sd"].fillna(0.0)
    lo, hi = (b["mean"] - sd, b["mean"] + sd) if band == "sd" else (b["min"], b["max"])
    traces = [
        go.Scatter(x=b["epoch"], y=hi, mode="lines", line=dict(width=0, color=color),
                   name=f"{shown} {labels[band]}", legendgroup=shown, showlegend=False,
                   hoverinfo="skip"),
        go.Scatter(x=b["epoch"], y=lo, mode="lines", line=dict(width=0, color=color),
                   fill="tonexty", fillcolor=translucent(color, BAND_OPACITY),
                   name=f"{shown} {labels[band]}", legendgroup=shown, showlegend=False,
                   hoverinfo="skip"),
    ]  # fmt: skip
    if runs:
        for seed, r in d.groupby("seed", sort=True):
            r = r.sort_values("epoch")
            traces.append(
                go.Scatter(
                    x=r["epoch"], y=r["value"], mode="lines", opacity=RUN_OPACITY,
                    name=f"{shown} · {labels['seed']} {seed}", legendgroup=shown,
                    showlegend=False, line=dict(color=color, width=1.5, dash=dash),
                    hovertemplate=f"{shown} · {labels['seed']} {seed}<br>{epoch} %{{x}}: "
                    "%{y:.3f}<extra></extra>",
                )
            )  # fmt: skip
    custom = np.stack([sd.to_numpy(), b["n"].to_numpy(dtype=float)], axis=-1)
    traces.append(
        go.Scatter(
            x=b["epoch"], y=b["mean"], mode="lines+markers", name=shown, legendgroup=shown,
            showlegend=legend, line=dict(color=color, width=width, dash=dash),
            marker=dict(size=marker, symbol=symbol), customdata=custom,
            hovertemplate=f"{shown}<br>{epoch} %{{x}}: {labels['mean']} %{{y:.3f}} ± "
            f"%{{customdata[0]:.3f}} (%{{customdata[1]:.0f}} {labels['seeds']})<extra></extra>",
        )
    )  # fmt: skip
    return traces


def variant_colors(names) -> dict[str, str]:
    """Variant name → its colour (the i-th colour of the shared palette)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def png_config(filename: str) -> dict:
    """Plotly's toolbar config: the camera button saves a 2× PNG named ``filename``."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def _axis_top(long: pd.DataFrame, num_epochs: int | None) -> float:
    top = int(long["epoch"].max()) if len(long) else 1
    return max(top, num_epochs or 0, 1) + 0.2


def overlay_figure(
    long: pd.DataFrame,
    colors: dict[str, str],
    metric: str = "val_acc",
    num_epochs: int | None = None,
    height: int = 420,
    font_size: int = 16,
    labels: dict = LABELS,
    band: str = "sd",
    runs: bool = False,
) -> go.Figure:
    """Every variant's curve of one metric on one chart (the headline of a comparison).

    ``long`` as :func:`cnnviz.ablation.long_metrics` makes it; with a ``seed`` column (several
    runs per variant, :func:`cnnviz.ablation.seeds_long`) each variant is its mean over the
    seeds in a band (``band``: "sd" ±1 sd, "range" min–max), its runs faintly when ``runs``.
    """
    labels = {**LABELS, **labels}
    fig = go.Figure()
    label, epoch = labels[metric], labels["epoch"]
    for i, (name, color) in enumerate(colors.items()):  # variants differ in dash and marker too
        d = long[(long["variant"] == name) & (long["metric"] == metric)]
        style = dict(dash=DASHES[i % len(DASHES)], symbol=SYMBOLS[i % len(SYMBOLS)])
        for trace in _curve_traces(d, name, color, labels, 4, 10, band=band, runs=runs, **style):
            fig.add_trace(trace)
    fig.update_xaxes(title_text=epoch, range=[0.8, _axis_top(long, num_epochs)], dtick=1)
    fig.update_yaxes(title_text=label)
    if metric.endswith("acc"):
        fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    else:
        fig.update_yaxes(rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    fig = base_layout(fig, None, height)
    set_font_size(fig, font_size)
    fig.update_layout(margin=dict(t=60))
    return fig


def small_multiples(
    long: pd.DataFrame,
    colors: dict[str, str],
    num_epochs: int | None = None,
    height: int = 560,
    font_size: int = 14,
    labels: dict = LABELS,
    band: str = "sd",
    runs: bool = False,
) -> go.Figure:
    """Train/val loss and accuracy in a 2×2 grid, one line per variant, one shared legend
    (several seeds per variant: mean, band and runs as in :func:`overlay_figure`)."""
    labels = {**LABELS, **labels}
    epoch = labels["epoch"]
    fig = make_subplots(
        rows=2, cols=2, subplot_titles=[labels[m] for m, _ in PANELS],
        vertical_spacing=0.14, horizontal_spacing=0.08,
    )  # fmt: skip
    for k, (metric, _) in enumerate(PANELS):
        row, col = divmod(k, 2)
        for i, (name, color) in enumerate(colors.items()):  # a variant's marker, as its colour
            d = long[(long["variant"] == name) & (long["metric"] == metric)]
            dash = DASH[metric.split("_")[0]]
            for trace in _curve_traces(d, name, color, labels, 3, 7, dash, band, runs, k == 0,
                                       SYMBOLS[i % len(SYMBOLS)]):  # fmt: skip
                fig.add_trace(trace, row=row + 1, col=col + 1)
    top = _axis_top(long, num_epochs)
    fig.update_xaxes(range=[0.8, top], dtick=1)
    fig.update_xaxes(title_text=epoch, row=2)
    for col in (1, 2):
        fig.update_yaxes(rangemode="tozero", row=1, col=col)
        fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=2, col=col)
    fig.update_layout(legend=dict(orientation="h", y=1.08, yanchor="bottom", x=0))
    fig = base_layout(fig, None, height)
    set_font_size(fig, font_size)
    fig.update_layout(margin=dict(t=90))
    return fig


def _montage(maps: np.ndarray, cols: int, symmetric: bool) -> np.ndarray:
    """(N, h, w) → one grid image with 1-pixel gaps (NaN, drawn as background)."""
    n, h, w = maps.shape
    rows = max(1, -(-n // cols))
    grid = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan, dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        m = maps[k].astype(np.float32)
        if symmetric:
            m = m / (float(np.abs(m).max()) or 1.0)
        else:
            lo, hi = float(m.min()), float(m.max())
            m = (m - lo) / ((hi - lo) or 1.0)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = m
    return grid


def _to_np(X) -> np.ndarray:
    if isinstance(X, torch.Tensor):
        return X.detach().float().cpu().numpy()
    return np.asarray(X, dtype=np.float32)


def side_by_side(
    arrays: dict[str, np.ndarray | torch.Tensor],
    colors: dict[str, str],
    symmetric: bool,
    max_maps: int = 16,
    cols: int = 4,
    height: int | None = None,
    font_size: int = 14,
    width: int = 1000,
) -> go.Figure:
    """One panel per variant (titled in its colour): a grid of its kernels or feature maps.

    ``symmetric`` scales each map to [-1, 1] on a diverging scale (kernels: red positive, blue
    negative); otherwise each map is stretched to [0, 1] in grey (feature maps). ``height``
    None fits the grids (about ``width`` pixels across all panels) without empty bands.
    """
    names = list(arrays)
    grids = [_to_np(arrays[name])[:max_maps] for name in names]
    grids = [_montage(A, min(cols, len(A)), symmetric) for A in grids]
    if height is None:
        aspect = max((g.shape[0] / g.shape[1] for g in grids), default=1.0)
        height = int(min(600, max(170, width / max(1, len(names)) * aspect + 70)))
    fig = make_subplots(
        rows=1, cols=max(1, len(names)), horizontal_spacing=0.03,
        subplot_titles=[f"<b>{plain(n)}</b>" for n in names],
    )  # fmt: skip
    for i, (name, grid) in enumerate(zip(names, grids, strict=True)):
        fig.add_trace(
            go.Heatmap(
                z=grid,
                colorscale=B.DIVERGING if symmetric else B.SEQUENTIAL,
                zmin=-1 if symmetric else 0, zmax=1, showscale=False,
                hovertemplate=f"{plain(name)}<br>row %{{y}}, col %{{x}}: %{{z:.2f}}<extra></extra>",
            ),
            row=1, col=i + 1,
        )  # fmt: skip
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{i + 1 if i else ''}", row=1, col=i + 1
        )
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    for ann, name in zip(fig.layout.annotations, names, strict=False):
        ann.font = dict(color=colors.get(name, "#333"), size=font_size + 2)
    fig = base_layout(fig, None, height)
    fig.update_layout(font=dict(size=font_size), margin=dict(t=50, b=10))
    return fig
