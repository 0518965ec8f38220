"""Figures for the cross-correlation and padding/stride lessons (d2l 7.2, 7.3).

One builder, :func:`grid_figure`, draws an input or output map with what the lessons need on
top: padding cells in their own colour, the kernel's window (each touched cell, so dilation
shows), a selected output cell, and an invisible marker per cell that makes the map clickable
in Streamlit (a plain heatmap reports no click selection). Small maps are heatmaps with their
numbers written in; large ones (an upload) are sent as one JPEG image so page and browser stay fast.
"""

from __future__ import annotations

import base64
import io
import math
from decimal import Decimal

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from cnnviz.plots.base import FONT, fast_figure, to_numpy

WINDOW_COLOR = "#00c853"
PADDING_COLOR = "#f6c177"
HEATMAP_MAX_CELLS = 64 * 64  # beyond this, a PNG image instead of a heatmap
ANNOTATE_MAX_CELLS = 16 * 16  # numbers written in the cells up to this size
CLICK_MAX_SIDE = 64  # at most this many clickable markers per axis
CHART_CONFIG = {"displayModeBar": False}  # no zoom toolbar over the titles on a projector
# Fixed margins, no automatic ones: Streamlit's chart theme turns on ``automargin`` for every
# axis, and Plotly then lays a chart out, measures its tick labels and colour bar, and lays it
# out again: in Chromium that was 5–10× the drawing time of these maps (each widget change
# draws them anew). The margins below leave room for the tick labels and the colour bar.
MARGIN_LEFT, MARGIN_TOP_TICKS, MARGIN_TITLE, MARGIN_COLORBAR = 40, 28, 34, 80


def _layout(title: str | None, height: int | None, **extra) -> dict:
    """``base_layout``'s look as one dict, with an empty template. Building a figure in one
    constructor call is ~6× faster than ``update_layout``/``add_shape`` calls, and a named
    template is validated and deep-copied again for each figure (~10–50 ms); Streamlit's theme
    restyles charts anyway. Speed matters: these figures are redrawn on every slider step."""
    layout = dict(
        title=dict(text=title) if title else None, font=FONT, height=height,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        plot_bgcolor="white", paper_bgcolor="white", template={},
    )  # fmt: skip
    layout.update(extra)
    return layout


def _colors(Z: np.ndarray, symmetric: bool) -> np.ndarray:
    """(h, w) floats → (h, w, 3) uint8: grey 0→black, max→white; or blue-white-red around 0."""
    if symmetric:
        m = float(np.abs(Z).max()) or 1.0
        t = np.clip(Z / m, -1, 1)
        anchors = np.array([[33, 102, 172], [247, 247, 247], [178, 24, 43]], dtype=np.float64)
        xs = np.array([-1.0, 0.0, 1.0])
        rgb = np.stack([np.interp(t, xs, anchors[:, c]) for c in range(3)], axis=-1)
    else:
        lo, hi = float(Z.min()), float(Z.max())
        t = (Z - lo) / (hi - lo) if hi > lo else np.zeros_like(Z)
        rgb = np.repeat(t[..., None] * 255, 3, axis=-1)
    return rgb.astype(np.uint8)


def _image_uri(rgb: np.ndarray) -> str:
    """An RGB array as a data URI. JPEG (4:4:4, q 92) encodes a 512×512 map in ~5 ms where
    PNG takes ~100 ms, and is a third of the size on the wire."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=92, subsampling=0)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def map_image(X, padding: tuple[int, int] = (0, 0), symmetric: bool | None = None) -> str:
    """A large map (with its padding) as the JPEG data URI that :func:`grid_figure` shows."""
    Z = to_numpy(X).astype(np.float64)
    h, w = Z.shape
    ph, pw = padding
    if symmetric is None:
        symmetric = bool(Z.size) and float(Z.min()) < 0
    rgb = np.empty((h + 2 * ph, w + 2 * pw, 3), dtype=np.uint8)
    rgb[:] = np.array([int(PADDING_COLOR[i : i + 2], 16) for i in (1, 3, 5)], np.uint8)
    rgb[ph : ph + h, pw : pw + w] = _colors(Z, symmetric)
    return _image_uri(rgb)


def is_large(shape: tuple[int, int], padding: tuple[int, int] = (0, 0)) -> bool:
    """Whether :func:`grid_figure` draws this map as a picture rather than a heatmap."""
    return (shape[0] + 2 * padding[0]) * (shape[1] + 2 * padding[1]) > HEATMAP_MAX_CELLS


def _cell_rect(r: float, c: float, width: float = 3, dash: str = "solid") -> dict:
    return dict(
        type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
        line=dict(color=WINDOW_COLOR, width=width, dash=dash),
    )  # fmt: skip


def grid_figure(
    X,
    title: str | None = None,
    *,
    padding: tuple[int, int] = (0, 0),
    window: tuple[tuple[int, ...], tuple[int, ...]] | None = None,
    selected: tuple[int, int] | None = None,
    clickable: bool = False,
    symmetric: bool | None = None,
    height: int | None = 420,
    fmt: str = ".2f",
    image: str | None = None,
) -> go.Figure:
    """A 2-D map with the lesson's overlays. d2l 7.2, 7.3.

    Args:
        X: (h, w) tensor or array. Cell (r, c) is drawn at x = c, y = r, row 0 on top.
        padding: (ph, pw) rows/columns of zeros drawn around X in ``PADDING_COLOR``, at
            coordinates −ph… and h…; the window's coordinates are in the same system.
        window: (rows, cols) the kernel touches: each cell outlined, plus a dashed frame.
        selected: one cell (i, j) outlined, e.g. the output cell being explained.
        clickable: add one invisible marker per cell (at most ``CLICK_MAX_SIDE`` per axis)
            so ``st.plotly_chart(on_select=…, selection_mode="points")`` reports clicks.
        symmetric: blue-white-red centred on 0; by default when X has negative values.
        image: :func:`map_image` of the same arguments, when the caller has it cached
            (maps over ``HEATMAP_MAX_CELLS`` cells are drawn as that picture).
    """
    Z = to_numpy(X).astype(np.float64)
    h, w = Z.shape
    ph, pw = padding
    if symmetric is None:
        symmetric = bool(Z.size) and float(Z.min()) < 0
    H, W = h + 2 * ph, w + 2 * pw
    traces, shapes, extra = [], [], {}
    colorbar = False
    if not is_large((h, w), padding):
        traces += _heatmap_traces(Z, ph, pw, symmetric, fmt)
        colorbar = traces[0].get("showscale", True)
    else:
        uri = image or map_image(Z, padding, symmetric)
        traces.append(dict(type="image", source=uri, x0=-pw, y0=-ph, hoverinfo="skip"))
    if window is not None:
        rows, cols = window
        if len(rows) * len(cols) <= 81:
            shapes += [_cell_rect(r, c) for r in rows for c in cols]
        shapes.append(
            dict(
                type="rect", x0=cols[0] - 0.5, x1=cols[-1] + 0.5, y0=rows[0] - 0.5,
                y1=rows[-1] + 0.5, line=dict(color=WINDOW_COLOR, width=2, dash="dot"),
            )
        )  # fmt: skip
    if selected is not None:
        shapes.append(_cell_rect(selected[0], selected[1], width=4))
    if clickable:
        step_r, step_c = -(-h // CLICK_MAX_SIDE), -(-w // CLICK_MAX_SIDE)
        rr, cc = np.meshgrid(np.arange(0, h, step_r), np.arange(0, w, step_c), indexing="ij")
        traces.append(
            dict(
                type="scatter", x=cc.ravel(), y=rr.ravel(), mode="markers",
                marker=dict(size=max(6, 360 // max(h, w)), color="rgba(0,0,0,0)"),
                customdata=Z[rr, cc].ravel(),
                hovertemplate="row %{y}, col %{x}: %{customdata:.4g}<extra></extra>",
                showlegend=False,
            )
        )  # fmt: skip
        extra = dict(clickmode="event+select", dragmode=False)
    # Fixed ranges: the invisible markers would otherwise widen the axes past the map.
    ticks = dict(dtick=1) if max(H, W) <= 16 else {}
    top = MARGIN_TOP_TICKS + (MARGIN_TITLE if title else 0)
    layout = _layout(
        title, height, shapes=shapes,
        yaxis=dict(range=[h - 0.5 + ph, -0.5 - ph], scaleanchor="x", constrain="domain",
                   showgrid=False, zeroline=False, automargin=False, **ticks),
        xaxis=dict(range=[-0.5 - pw, w - 0.5 + pw], constrain="domain", showgrid=False,
                   zeroline=False, side="top", automargin=False, **ticks),
        margin=dict(l=MARGIN_LEFT, r=MARGIN_COLORBAR if colorbar else 10, t=top, b=10,
                    autoexpand=False),
        **extra,
    )  # fmt: skip
    if title:  # at the top, above the tick labels
        layout["title"] = dict(text=title, y=1, yref="container", yanchor="top", pad=dict(t=6))
    return fast_figure(traces, layout)


def clicked_cell(event, shape: tuple[int, int]) -> tuple[int, int] | None:
    """The (row, col) of a grid figure's cell a chart selection event names (its first
    point), inside ``shape``; None when it names none. The event is what the browser sent:
    anything that is not a point with finite numbers on the grid (a crafted message) is
    None, never an error."""
    try:
        point = event["selection"]["points"][0]
        y, x = float(point["y"]), float(point["x"])
    except (TypeError, KeyError, IndexError, ValueError, OverflowError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    i, j = round(y), round(x)
    return (i, j) if 0 <= i < shape[0] and 0 <= j < shape[1] else None


def _heatmap_traces(Z, ph, pw, symmetric, fmt) -> list:
    h, w = Z.shape
    annotate = (h + 2 * ph) * (w + 2 * pw) <= ANNOTATE_MAX_CELLS
    kwargs = {}
    if symmetric:
        m = float(np.abs(Z).max()) or 1.0
        kwargs = dict(zmin=-m, zmax=m, zmid=0)
    text = np.vectorize(lambda v: format(v + 0.0, fmt))(Z) if annotate and Z.size else None
    # A colour bar only where the numbers are not written in the cells.
    scale = dict(showscale=False) if annotate else dict(colorbar=dict(thickness=12))
    traces = [
        dict(
            type="heatmap", x=np.arange(w), y=np.arange(h), z=Z,
            colorscale="RdBu_r" if symmetric else "gray",
            text=text, texttemplate="%{text}" if annotate else None, textfont=dict(size=14),
            hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>", **scale, **kwargs,
        )
    ]  # fmt: skip
    if ph or pw:
        P = np.ones((h + 2 * ph, w + 2 * pw))
        P[ph : ph + h, pw : pw + w] = np.nan
        traces.append(
            dict(
                type="heatmap", x=np.arange(-pw, w + pw), y=np.arange(-ph, h + ph), z=P,
                colorscale=[[0, PADDING_COLOR], [1, PADDING_COLOR]], showscale=False,
                text=np.where(np.isnan(P), "", "0") if annotate else None,
                texttemplate="%{text}" if annotate else None, textfont=dict(size=14),
                hovertemplate="padding (row %{y}, col %{x}) = 0<extra></extra>",
            )
        )  # fmt: skip
    return traces


def panels_figure(panels, height: int = 280, fmt: str = ".3g") -> go.Figure:
    """Small maps side by side on one pair of axes, numbers written in, titled above.

    One pair of axes (each panel shifted right, one empty column between) keeps the figure
    cheap to build and send; each panel is its own heatmap trace with its own colours.

    Args:
        panels: (title, 2-D array, symmetric) per panel, or (…, format) with the panel's own
            number format; symmetric maps are blue-white-red around 0, the others grey (0
            black, 1 or the maximum white).
    """
    traces, annotations, left, tallest = [], [], 0, 1
    for title, A, symmetric, *own in panels:
        panel_fmt = own[0] if own else fmt
        Z = to_numpy(A).astype(np.float64)
        h, w = Z.shape
        tallest = max(tallest, h)
        m = float(np.abs(Z).max()) or 1.0
        if symmetric:
            limits = dict(zmin=-m, zmax=m)
        else:  # images live in [0, 1]; larger inputs (the 0..8 matrix) stretch the scale
            limits = dict(zmin=min(0.0, float(Z.min())), zmax=max(1.0, float(Z.max())))
        traces.append(
            dict(
                type="heatmap", z=Z, x=np.arange(w) + left, y=np.arange(h), showscale=False,
                colorscale="RdBu_r" if symmetric else "gray",
                text=[[number(v, panel_fmt) for v in row] for row in Z], texttemplate="%{text}",
                textfont=dict(size=15), hovertemplate="%{z:.4g}<extra></extra>", **limits,
            )
        )  # fmt: skip
        annotations.append(
            dict(text=title, x=left + (w - 1) / 2, y=1.0, yref="paper", yanchor="bottom",
                 showarrow=False, font=dict(size=16))
        )  # fmt: skip
        left += w + 1
    layout = _layout(
        None, height, annotations=annotations, margin=dict(l=10, r=10, t=36, b=10),
        xaxis=dict(range=[-0.5, left - 1.5], visible=False, constrain="domain"),
        yaxis=dict(range=[tallest - 0.5, -0.5], visible=False, scaleanchor="x",
                   constrain="domain"),
    )  # fmt: skip
    return fast_figure(traces, layout)


STEP_TITLES = ("window of X", "× kernel K", "= X ⊙ K")  # a page passes its language's
SEED_TITLES = ("X: 6×8 stripes", "Y = corr2d(X, [1, −1])", "corr2d(X.t(), [1, −1]) = 0")


def step_figure(
    values, K, products, height: int = 280, products_fmt: str = ".3g",
    titles: tuple[str, str, str] = STEP_TITLES,
) -> go.Figure:  # fmt: skip
    """The window, the kernel and their element-wise products side by side. d2l 7.2.

    ``products_fmt``: e.g. ``f".{printed_sum(products)[0]}f"``, so that the printed products
    add up to the printed sum.
    """
    panels = (
        (titles[0], values, False),
        (titles[1], K, True),
        (titles[2], products, True, products_fmt),
    )
    return panels_figure(panels, height)


def number(v: float, fmt: str) -> str:
    """``format(v, fmt)`` without a minus on zero ("-0.000" is printed "0.000")."""
    s = format(float(v) + 0.0, fmt)
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def printed_sum(products, digits: int = 3, extra: int = 1) -> tuple[int, str, bool]:
    """How to print a window's products so that a student can add them up. d2l 7.2.

    At 3 significant digits each, printed products often did not add up to the printed sum
    (0.016 against 0.0157). Here every product gets the same number of decimals: enough for
    ``digits`` significant digits of the largest, and up to ``extra`` more while the rounded
    products do not add up to the exact sum rounded alike (integers, as in the book, get 0).

    Returns:
        (decimals, the sum of the products as printed, exactly, with those decimals, whether
        that equals the exact sum rounded to those decimals). When it does not (about one
        window in three), the page says that the printed sum is of rounded products.
    """
    P = to_numpy(products).astype(np.float64).ravel()
    total = float(P.sum())
    top = float(np.abs(P).max()) if P.size else 0.0
    if P.size and np.array_equal(P, np.round(P)):
        start = 0
    elif top > 0:
        start = max(0, digits - 1 - math.floor(math.log10(top)))
    else:
        start = digits
    for d in range(start, start + extra + 1):
        added = sum((Decimal(number(p, f".{d}f")) for p in P), Decimal(0))
        shown = number(float(added), f".{d}f")  # exact: a sum of d-decimal numbers
        if shown == number(total, f".{d}f"):
            return d, shown, True
    return d, shown, False


def seed_demo_figure(X, Y, Z, titles: tuple[str, str, str] = SEED_TITLES) -> go.Figure:
    """d2l 7.2's demonstration: stripes X, corr2d(X, [1, −1]) and corr2d(Xᵀ, [1, −1]) = 0."""
    panels = (
        (titles[0], X, False),
        (titles[1], Y, True),
        (titles[2], Z, True),
    )
    return panels_figure(panels, height=360, fmt="g")


def as_tensor(X) -> torch.Tensor:
    """Arrays from the cache back to a tensor (pages hand numpy to st.cache_data)."""
    return torch.as_tensor(np.asarray(X), dtype=torch.float32)
