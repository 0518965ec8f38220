"""Figures for the why-convolutions, channels and pooling pages (d2l 7.1, 7.4, 7.5)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.plots.base import FONT, PALETTE, fast_figure, to_numpy

# Maps get fixed margins with room for their tick labels, and no automatic ones: Streamlit's
# chart theme turns ``automargin`` on for every axis, and Plotly then lays each chart out
# twice or more (measure the labels, grow the margins, lay out again): in Chromium that was
# most of the time a page took to show a changed map. See cnnviz.plots.conv.
MAP_MARGIN = dict(l=40, r=10, b=30, autoexpand=False)


def _layout(title: str | None, height: int | None, fixed: bool = False, **extra) -> dict:
    """base_layout's fonts and margins as a plain dict, without a template: setting a Plotly
    template costs ~60 ms per figure, and st.plotly_chart applies Streamlit's theme anyway.
    ``fixed``: the margins of MAP_MARGIN (set ``automargin=False`` on the axes too)."""
    margin = dict(l=10, r=10, t=50 if title else 40, b=10)
    if fixed:
        margin.update(MAP_MARGIN)
    return dict(
        title=dict(text=title) if title else None,
        font=FONT,
        margin=margin,
        height=height,
        plot_bgcolor="white",
        template={},  # not Plotly's default template: ~9 KB copied and sent with every chart
        **extra,
    )


def param_bars(
    fc: int, conv: int, fc_label: str = "fully connected", conv_label: str = "conv",
    axis_title: str = "parameters (log scale)",
):  # fmt: skip
    """Two bars on a log scale: a dense layer's parameters against a conv layer's (d2l 7.1)."""
    bar = dict(
        type="bar",
        x=[fc_label, conv_label],
        y=[fc, conv],
        marker=dict(color=[PALETTE[3], PALETTE[2]]),
        text=[f"{fc:.3g}" if fc >= 1e6 else f"{fc:,}", f"{conv:,}"],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{y:,}<extra></extra>",
    )
    yaxis = dict(type="log", title=dict(text=axis_title), exponentformat="power")
    return fast_figure([bar], _layout(None, 360, yaxis=yaxis))


def _text(Z: np.ndarray, fmt: str) -> np.ndarray:
    return np.vectorize(lambda v: format(v, fmt))(Z)


def heatmap_row(
    maps: list,
    titles: list[str],
    height: int = 320,
    symmetric: bool | None = None,
    annotate: bool | None = None,
    fmt: str = ".3g",
    cols: int | None = None,
    shared_scale: bool = False,
    colorscales: list[str] | None = None,
) -> go.Figure:
    """Several 2-D maps side by side (rows of ``cols``), each with row 0 at the top.

    Diverging red/blue centred on zero where values are negative, grey otherwise, as in
    :func:`cnnviz.plots.base.heatmap`. ``shared_scale`` uses one colour range for all maps, so
    equal colours mean equal numbers across panels. ``colorscales`` overrides the scale per
    map (e.g. "Reds", "Greens", "Blues" for an image's channels). Every panel gets a frame, so
    white pixels stay visible on the white page.
    """
    arrays = [to_numpy(m) for m in maps]
    n = len(arrays)
    cols = cols or n
    rows = -(-n // cols)
    # One figure built from plain dicts (make_subplots plus per-axis updates cost ~0.5 s).
    hs, vs = 0.04, 0.14 if rows > 1 else 0.0
    cell_w, cell_h = (1 - (cols - 1) * hs) / cols, (1 - (rows - 1) * vs) / rows
    lo = min((float(a.min()) for a in arrays if a.size), default=0.0)
    hi = max((float(a.max()) for a in arrays if a.size), default=1.0)
    frame = dict(showline=True, linecolor="#888", mirror=True, showgrid=False, zeroline=False,
                 automargin=False)  # fmt: skip
    data, layout, notes = [], {}, []
    for k, Z in enumerate(arrays):
        all_zero = bool(Z.size) and not np.any(Z)
        # Negative values or an all-zero map: red/blue with zero white (an all-zero map in
        # grey would be black, reading as "strong").
        sym = symmetric if symmetric is not None else all_zero or (bool(Z.size) and Z.min() < 0)
        if shared_scale:
            m = max(abs(lo), abs(hi)) or 1.0
            zr = (-m, m) if sym else (lo, hi if hi > lo else lo + 1)
        else:
            m = (float(np.abs(Z).max()) or 1.0) if Z.size else 1.0
            zr = (-m, m) if sym else ((float(Z.min()), float(Z.max()) or 1.0) if Z.size else (0, 1))
        # Numbers only where they fit: few cells, and not too many columns across the figure.
        fits = Z.size <= 100 and Z.shape[-1] * cols <= 20
        show_text = annotate if annotate is not None else fits
        suffix = "" if k == 0 else str(k + 1)
        trace = dict(
            type="heatmap",
            z=Z,
            zmin=zr[0],
            zmax=zr[1],
            colorscale=colorscales[k] if colorscales else ("RdBu_r" if sym else "gray"),
            showscale=False,
            hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
            xaxis=f"x{suffix}",
            yaxis=f"y{suffix}",
        )
        if show_text and Z.size:
            trace.update(text=_text(Z, fmt), texttemplate="%{text}", textfont=dict(size=13))
        data.append(trace)
        r, c = divmod(k, cols)
        x0, top = c * (cell_w + hs), 1 - r * (cell_h + vs)
        x_dom = [max(0.0, x0), min(1.0, x0 + cell_w)]  # clamp float rounding into [0, 1]
        y_dom = [max(0.0, top - cell_h), min(1.0, top)]
        ticks = dict(dtick=1) if max(Z.shape, default=0) <= 10 else {}
        layout[f"xaxis{suffix}"] = dict(
            domain=x_dom, anchor=f"y{suffix}", constrain="domain", **frame, **ticks
        )
        layout[f"yaxis{suffix}"] = dict(
            domain=y_dom, anchor=f"x{suffix}", autorange="reversed",
            scaleanchor=f"x{suffix}", constrain="domain", **frame, **ticks,
        )  # fmt: skip
        title = titles[k] if k < len(titles) else ""
        notes.append(
            dict(text=title, x=x0 + cell_w / 2, y=top, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=15), yshift=8)
        )  # fmt: skip
    return fast_figure(
        data, dict(layout, annotations=notes, **_layout(None, height * rows, fixed=True))
    )


def matrix_frame(M, row_label: str, col_label: str):
    """A small 2-D tensor as a labelled pandas DataFrame (rows ``row_label 0…``, columns …)."""
    import pandas as pd

    A = to_numpy(M)
    return pd.DataFrame(
        A.round(4),
        index=[f"{row_label} {i}" for i in range(A.shape[0])],
        columns=[f"{col_label} {j}" for j in range(A.shape[1])],
    )


def winners_figure(X, wins, title: str | None = None, height: int = 420) -> go.Figure:
    """The pooling input as a heatmap with every winning pixel outlined and its win count.

    Args:
        X: (H, W) input.
        wins: (H, W) how many output cells each pixel won (0 = never the maximum).
    """
    Z, W = to_numpy(X), to_numpy(wins)
    h, w = Z.shape
    annotate = Z.size <= 256
    data = [
        dict(
            type="heatmap",
            z=Z,
            colorscale="gray",
            showscale=False,
            hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
            **(dict(text=_text(Z, ".3g"), texttemplate="%{text}", textfont=dict(size=13))
               if annotate else {}),
        )
    ]  # fmt: skip
    rr, cc = np.nonzero(W)
    if rr.size:
        small = Z.size <= 1024
        marker = dict(
            symbol="square-open",
            size=max(6, min(40, 380 // max(h, w))) if small else 5,
            color=PALETTE[1],
            line=dict(width=3 if small else 1.5, color=PALETTE[1]),
        )
        data.append(
            dict(
                type="scatter",
                x=cc,
                y=rr,
                mode="markers",
                marker=marker,
                customdata=W[rr, cc],
                hovertemplate="row %{y}, col %{x}: won %{customdata} window(s)<extra></extra>",
                name="winner",
                showlegend=False,
            )
        )
    frame = dict(showline=True, linecolor="#888", mirror=True, showgrid=False, zeroline=False,
                 automargin=False)  # fmt: skip
    xaxis = dict(constrain="domain", range=[-0.5, w - 0.5], **frame)
    yaxis = dict(scaleanchor="x", constrain="domain", range=[h - 0.5, -0.5], **frame)
    return fast_figure(data, _layout(title, height, fixed=True, xaxis=xaxis, yaxis=yaxis))


def shapes_table(rows: dict[int, list[tuple[str, tuple[int, ...]]]], column: str = "{s}×{s} input"):
    """Layer shapes per input size as a pandas DataFrame: one row per layer, one column a size
    (``column`` names it, from the size ``s``)."""
    import pandas as pd

    sizes = list(rows)
    names = [name for name, _ in rows[sizes[0]]]
    data = {column.format(s=s): ["×".join(map(str, shape)) for _, shape in rows[s]] for s in sizes}
    return pd.DataFrame(data, index=names)
