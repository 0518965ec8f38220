"""Plotly figure builders shared by the pages. They return figures; they never show them."""

from __future__ import annotations

import base64
import functools

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.colors import get_colorscale

FONT = dict(size=16)
# One colour per series everywhere (curves, runs, ablation variants): Okabe and Ito's
# palette, whose colours stay apart for deuteranopia, protanopia and tritanopia. Ordered by
# contrast on white (blue, vermillion, bluish green, reddish purple first); yellow, the one
# below 3:1, is left out. No meaning rests on colour alone: series i also has DASHES[i] or
# SYMBOLS[i] (``series_style``).
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
)  # fmt: skip
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px,1px,2px")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross")
PATTERNS = ("", "/", "x", ".", "\\", "+", "-")  # bars: series i's fill pattern
# Heatmaps: grey (lightness only: it reads the same in greyscale and to every eye) for
# images and other non-negative maps; a diverging blue-white-red scale centred on 0
# (ColorBrewer's RdBu: it keeps its two sides apart for red-green colour blindness) where the
# sign matters (kernels, outputs, differences).
SEQUENTIAL = "gray"
DIVERGING = "RdBu_r"


def series_style(i: int) -> dict:
    """Colour, dash and marker of series ``i``: two series never differ in colour only."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "dash": DASHES[i % len(DASHES)],
        "symbol": SYMBOLS[i % len(SYMBOLS)],
    }


def plain(text: object) -> str:
    """Text from a user (a run's name) for a figure: Plotly reads a subset of HTML in names,
    titles and hover labels (``<a href>`` makes a link, ``<b>`` bold); its entities show the
    characters as typed instead."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.cache
def _named_colorscale(name: str) -> tuple:
    return tuple(map(tuple, get_colorscale(name)))


# plotly.js's typed arrays, as plotly.py writes them (_plotly_utils.utils.to_typed_array_spec).
_SHORT = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4",
          "uint32": "u4", "float32": "f4", "float64": "f8"}  # fmt: skip
_NOT_TYPED = ("geojson", "layer", "layers", "range")  # keys plotly.py leaves as they are


def _typed(a: np.ndarray):
    """A numeric array as plotly.js's base64 typed array; others as they are."""
    if a.size == 0:
        return a
    if a.dtype.kind in "iu" and a.dtype.itemsize == 8:  # plotly.js has no 64-bit integers
        lo, hi = int(a.min()), int(a.max())
        for t in ("int8", "int16", "int32") if a.dtype.kind == "i" else ("uint8", "uint16",
                                                                          "uint32"):  # fmt: skip
            if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
                a = a.astype(t)
                break
        else:
            return a
    short = _SHORT.get(str(a.dtype))
    if short is None:
        return a
    spec = {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(a)).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = str(a.shape)[1:-1]
    return spec


def _sendable(value, key: str = ""):
    """A copy of ``value`` with every numeric array as a typed array (what to_dict sends)."""
    if isinstance(value, np.ndarray):
        return value.copy() if key in _NOT_TYPED else _typed(value)
    if isinstance(value, dict):
        return {k: _sendable(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sendable(v) for v in value]
    return value


class FastFigure(go.Figure):
    """A ``go.Figure`` whose ``to_dict`` (what ``st.plotly_chart`` sends) writes numeric
    arrays as typed arrays directly: plotly.py's own ``to_dict`` deep-copies the figure and
    checks every value through narwhals, ~2–8 ms per chart per rerun. Same output."""

    def to_dict(self) -> dict:
        return {"data": _sendable(self._data), "layout": _sendable(self._layout)}


def fast_figure(data: list[dict], layout: dict) -> go.Figure:
    """A ``go.Figure`` from plain dicts, without Plotly's per-property validation.

    For figures rebuilt on every widget change: validation is ~95% of building one (a small
    annotated heatmap: ~12 ms validated, ~0.5 ms here). What validation would do that the
    browser needs is done here: colour scales named in Python ("gray", "RdBu_r"; plotly.js
    knows other names) become their colour lists, and ``None`` values are left out as Plotly
    leaves them out. tests/test_plots.py checks that every figure built this way passes
    Plotly's validation and sends the same JSON as the validated figure.
    """
    traces = []
    for trace in data:
        trace = {k: v for k, v in trace.items() if v is not None}
        if isinstance(trace.get("colorscale"), str):
            trace["colorscale"] = [list(c) for c in _named_colorscale(trace["colorscale"])]
        traces.append(trace)
    layout = {k: v for k, v in layout.items() if v is not None}
    return FastFigure(data=traces, layout=layout, _validate=False)


def to_numpy(X) -> np.ndarray:
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
    trace, layout = heatmap_parts(X, title, colorscale, annotate, symmetric, height, fmt)
    return fast_figure([trace], layout)


def heatmap_parts(
    X,
    title: str | None = None,
    colorscale: str | None = None,
    annotate: bool | None = None,
    symmetric: bool | None = None,
    height: int | None = None,
    fmt: str = ".2f",
) -> tuple[dict, dict]:
    """:func:`heatmap`'s trace and layout as plain dicts, for a figure that changes them
    before :func:`fast_figure` builds it (Plotly's validated updates cost milliseconds)."""
    Z = to_numpy(X)
    h, w = Z.shape
    if annotate is None:
        annotate = h * w <= 256
    if symmetric is None:
        symmetric = bool(Z.size) and float(Z.min()) < 0
    trace = dict(
        type="heatmap",
        z=Z,
        colorscale=colorscale or (DIVERGING if symmetric else SEQUENTIAL),
        text=np.vectorize(lambda v: format(v, fmt))(Z) if annotate and Z.size else None,
        texttemplate="%{text}" if annotate else None,
        textfont=dict(size=14),
        hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
    )
    if symmetric:
        m = float(np.abs(Z).max()) if Z.size else 1.0
        trace.update(zmin=-m or -1, zmax=m or 1, zmid=0)
    axes = dict(gridcolor="#e5e5e5", zerolinecolor="#cccccc", constrain="domain")
    layout = dict(
        title=dict(text=title) if title else None, font=FONT,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        paper_bgcolor="white", plot_bgcolor="white", height=height, template={},
        xaxis=axes, yaxis=dict(axes, autorange="reversed", scaleanchor="x"),
    )  # fmt: skip
    return trace, layout  # base_layout's look, for a figure built without validation


def image_montage(
    images, rows: int, cols: int, row_labels: list[str] | None = None, height: int | None = None
) -> go.Figure:
    """A grid of equally sized grey images (N, H, W) as one heatmap, labelled by row."""
    A = to_numpy(images)
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
