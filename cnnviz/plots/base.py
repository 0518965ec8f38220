"""Plotly figure builders shared by the pages. They return figures; they never show them."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

FONT = dict(size=16)
# One colour per variant everywhere (runs, ablations): Plotly's D3 palette is readable on a
# projector and distinguishes up to ten lines.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _np(X) -> np.ndarray:
    if isinstance(X, torch.Tensor):
        X = X.detach().float().cpu().numpy()
    return np.asarray(X)


def base_layout(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """Projector-friendly defaults: large fonts, tight margins, white background."""
    fig.update_layout(
        title=title,
        font=FONT,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height,
    )
    # Not template="plotly_white": applying a template costs 10-50 ms per figure on reruns.
    fig.update_xaxes(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
    fig.update_yaxes(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
    return fig


def set_font_size(fig: go.Figure, size: int) -> go.Figure:
    """Every text of ``fig`` at ``size`` (subplot titles a little larger), set part by part:
    Streamlit's chart theme restyles fonts that are only inherited from the layout."""
    fig.update_layout(font=dict(size=size), legend_font_size=size)
    fig.update_xaxes(tickfont_size=size, title_font_size=size)
    fig.update_yaxes(tickfont_size=size, title_font_size=size)
    fig.update_annotations(font_size=size + 2)
    return fig


def heatmap(
    X,
    title: str | None = None,
    colorscale: str | None = None,
    annotate: bool | None = None,
    symmetric: bool | None = None,
    height: int | None = None,
    fmt: str = ".2f",
) -> go.Figure:
    """A 2-D tensor as a heatmap, row 0 at the top; numbers are written in small grids.

    ``symmetric`` centres a diverging colour scale (red positive, blue negative) on zero, the
    default when values are negative; otherwise 0 is black and the maximum white.
    ``annotate`` defaults to on for grids up to 16×16.
    """
    Z = _np(X)
    h, w = Z.shape
    if annotate is None:
        annotate = h * w <= 256
    if symmetric is None:
        symmetric = bool(Z.size) and float(Z.min()) < 0
    kwargs = {}
    if symmetric:
        m = float(np.abs(Z).max()) if Z.size else 1.0
        kwargs = dict(zmin=-m or -1, zmax=m or 1, zmid=0)
    fig = go.Figure(
        go.Heatmap(
            z=Z,
            colorscale=colorscale or ("RdBu_r" if symmetric else "gray"),
            text=np.vectorize(lambda v: format(v, fmt))(Z) if annotate and Z.size else None,
            texttemplate="%{text}" if annotate else None,
            textfont=dict(size=14),
            hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
            **kwargs,
        )
    )
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    return base_layout(fig, title, height)


def image_montage(
    images, rows: int, cols: int, row_labels: list[str] | None = None, height: int | None = None
) -> go.Figure:
    """A grid of equally sized grey images (N, H, W) as one heatmap, labelled by row."""
    A = _np(images)
    n, h, w = A.shape
    grid = np.full((rows * (h + 2), cols * (w + 2)), 0.5 * float(A.max()), dtype=np.float32)
    for k in range(min(n, rows * cols)):
        r, c = divmod(k, cols)
        grid[r * (h + 2) + 1 : r * (h + 2) + 1 + h, c * (w + 2) + 1 : c * (w + 2) + 1 + w] = A[k]
    fig = go.Figure(go.Heatmap(z=grid, colorscale="gray", showscale=False, hoverinfo="skip"))
    fig.update_yaxes(
        autorange="reversed",
        scaleanchor="x",
        tickvals=[r * (h + 2) + h / 2 for r in range(rows)] if row_labels else [],
        ticktext=row_labels or [],
    )
    fig.update_xaxes(showticklabels=False)
    return base_layout(fig, None, height)
