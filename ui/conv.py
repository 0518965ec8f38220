"""Streamlit helpers for the cross-correlation and padding/stride pages (d2l 7.2, 7.3):
cached results of ``cnnviz.ops`` and the step-through that explains one output cell.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import streamlit as st
import torch

from cnnviz import ops
from cnnviz.plots import conv as cplots
from ui.common import SHARE, chart, fragment
from ui.i18n import texts

PLAY_SECONDS = 0.8
TEXT = texts("conv")


@st.cache_data(max_entries=64, show_spinner=False)
def corr2d_cached(
    X: np.ndarray,
    K: np.ndarray,
    padding: tuple[int, int] = (0, 0),
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
) -> np.ndarray:
    """``ops.corr2d`` on arrays, cached per input, kernel and setting (loops for small maps,
    ``F.conv2d`` for large ones)."""
    Y = ops.corr2d(torch.from_numpy(X), torch.from_numpy(K), padding, stride, dilation)
    return Y.numpy()


@st.cache_data(max_entries=16, show_spinner=False)
def _map_image_cached(Z: np.ndarray, padding: tuple[int, int], symmetric: bool | None) -> str:
    return cplots.map_image(Z, padding, symmetric)


def map_figure(X: torch.Tensor, title: str | None = None, **kwargs):
    """``cplots.grid_figure`` with the picture of a large map (an upload) cached, so moving the
    window or the selected cell does not encode the image again."""
    padding = kwargs.get("padding", (0, 0))
    if cplots.is_large(tuple(X.shape), padding):
        kwargs["image"] = _map_image_cached(np.asarray(X), padding, kwargs.get("symmetric"))
    return cplots.grid_figure(X, title, **kwargs)


def grid_input(h: int, w: int, seed: int = 0) -> torch.Tensor:
    """A fixed random (h, w) input in [0, 1], like the book's ``torch.rand(size=(8, 8))``."""
    return torch.rand((h, w), generator=torch.Generator().manual_seed(seed))


def _on_output_click(key: str, shape: tuple[int, int]) -> None:
    """Move the explained cell to where the output chart was clicked (a click on no cell of
    it, as a crafted message may name, leaves it where it is)."""
    cell = cplots.clicked_cell(st.session_state.get(f"{key}_out_chart"), shape)
    if cell is not None:
        st.session_state[f"{key}_row"], st.session_state[f"{key}_col"] = cell


def _clamp_cell(key: str, out_h: int, out_w: int) -> None:
    """Keep the explained cell inside the output when the output shrinks."""
    for name, size in (("row", out_h), ("col", out_w)):
        st.session_state[f"{key}_{name}"] = min(
            max(int(st.session_state.get(f"{key}_{name}", 0)), 0), size - 1
        )


def _advance(key: str, out_h: int, out_w: int) -> None:
    """The next output cell in the book's loop order (row by row), wrapping at the end."""
    flat = st.session_state[f"{key}_row"] * out_w + st.session_state[f"{key}_col"] + 1
    st.session_state[f"{key}_row"], st.session_state[f"{key}_col"] = divmod(
        flat % (out_h * out_w), out_w
    )


# The cell buttons: the arrow keys on them press the button of their direction (ui/a11y.py
# finds ``{key}_move_{direction}`` inside the ``{key}_cellnav`` container).
MOVES = (("left", 0, -1), ("up", -1, 0), ("down", 1, 0), ("right", 0, 1))


def _move_cell(key: str, di: int, dj: int, out_h: int, out_w: int) -> None:
    """Move the explained cell one step, staying inside the output."""
    ss = st.session_state
    ss[f"{key}_row"] = min(max(int(ss.get(f"{key}_row", 0)) + di, 0), out_h - 1)
    ss[f"{key}_col"] = min(max(int(ss.get(f"{key}_col", 0)) + dj, 0), out_w - 1)


def cell_buttons_ui(key: str, i: int, j: int, out_h: int, out_w: int) -> None:
    """Four labelled buttons that move the explained cell (and the arrow keys on them)."""
    with st.container(key=f"{key}_cellnav", horizontal=True, gap="small"):
        for name, di, dj in MOVES:
            inside = 0 <= i + di < out_h and 0 <= j + dj < out_w
            st.button(
                TEXT["moves"][name], key=f"{key}_move_{name}", disabled=not inside,
                on_click=_move_cell, args=(key, di, dj, out_h, out_w), help=TEXT["moves_help"],
            )  # fmt: skip


def step_through_ui(
    key: str,
    X: torch.Tensor,
    K: torch.Tensor,
    Y: torch.Tensor,
    padding: tuple[int, int] = (0, 0),
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
) -> None:
    """Input beside output; pick an output cell (click, type, or play) and see its window,
    the element-wise products and their sum. d2l 7.2.

    Widgets: ``{key}_play`` (toggle, outside the fragment so it can switch the timer),
    ``{key}_row``, ``{key}_col``, the clickable chart ``{key}_out_chart``.
    """
    out_h, out_w = Y.shape
    playing = st.toggle(TEXT["play"], key=f"{key}_play")
    st.caption(TEXT["click"])

    @fragment(run_every=PLAY_SECONDS if playing else None)
    def explain() -> None:
        _clamp_cell(key, out_h, out_w)
        if st.session_state.get(f"{key}_play"):
            _advance(key, out_h, out_w)
        c1, c2, _ = st.columns([1, 1, 2])
        i = int(c1.number_input(TEXT["row"], 0, out_h - 1, key=f"{key}_row", bind=SHARE))
        j = int(c2.number_input(TEXT["col"], 0, out_w - 1, key=f"{key}_col", bind=SHARE))
        cell_buttons_ui(key, i, j, out_h, out_w)
        win = ops.window(X, i, j, K, padding, stride, dilation)
        left, right = st.columns(2)
        with left:
            fig = map_figure(
                X, TEXT["window"].format(i=i, j=j), padding=padding, window=(win.rows, win.cols)
            )
            chart(st, fig, key=f"{key}_in_chart", config=cplots.CHART_CONFIG)
        with right:
            fig = map_figure(Y, TEXT["output"], selected=(i, j), clickable=True)
            chart(
                st,
                fig,
                key=f"{key}_out_chart",
                config=cplots.CHART_CONFIG,
                on_select=lambda: _on_output_click(key, (out_h, out_w)),
                selection_mode="points",
            )
        # The products with one number of decimals, and their sum as printed: a student adds
        # the printed products and finds the printed sum (at 3 significant digits each they
        # often did not: 0.016 against 0.0157).
        d, added, exact = cplots.printed_sum(win.products)
        cell = cplots.number(float(Y[i, j]), f".{d}f")
        fig_col, num_col = st.columns([4, 1], vertical_alignment="center")
        chart(
            fig_col,
            cplots.step_figure(
                win.values,
                K,
                win.products,
                products_fmt=f".{d}f",
                titles=tuple(TEXT["step_titles"]),
            ),
            key=f"{key}_step_chart",
            config=cplots.CHART_CONFIG,
        )
        num_col.metric(TEXT["sum"], added, help=TEXT["sum_help"])
        num_col.metric(TEXT["cell"].format(i=i, j=j), added if exact else cell)
        if not exact:
            st.caption(TEXT["rounded"].format(d=d, added=added, i=i, j=j, cell=cell))
        # The expression ends with the number the "Output" metric shows (one format).
        expr = ops.sum_expression(win, total=(added if exact else cell).replace("-", "−"))
        st.markdown(TEXT["expr"].format(i=i, j=j, expr=expr))

    explain()


CUSTOM_EXAMPLE = "— your own setting —"
# The book's four examples in d2l 7.3 (kernel, padding, stride per axis on an 8×8 input).
SEED_EXAMPLES = {
    "kernel 3, padding 1 → 8×8": ((3, 3), (1, 1), (1, 1)),
    "kernel (5, 3), padding (2, 1) → 8×8": ((5, 3), (2, 1), (1, 1)),
    "kernel 3, padding 1, stride 2 → 4×4": ((3, 3), (1, 1), (2, 2)),
    "kernel (3, 5), padding (0, 1), stride (3, 4) → 2×2": ((3, 5), (0, 1), (3, 4)),
}
AXIS_SLIDERS = (
    # name (its label: TEXT["sliders"]), min, max, default
    ("kernel", 1, 9, 3),
    ("padding", 0, 6, 1),
    ("stride", 1, 6, 1),
    ("dilation", 1, 4, 1),
)


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospace block (Hangul takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def formula_text(line_h: str, line_w: str) -> str:
    """``ops.shape_formula``'s two lines as a narrow block: each result on its own line."""
    names = (TEXT["height"], TEXT["width"])
    pad = max(map(_width, names))
    parts = []
    for axis, line in zip(names, (line_h, line_w), strict=True):
        formula, result = line.split(" = ", 1)
        axis += " " * (pad - _width(axis))
        parts += [f"{axis} = {formula}", f"{' ' * pad} = {result}"]
    return "\n".join(parts)


def load_seed_example(key: str) -> None:
    """Callback: set the sliders to one of the book's 7.3 examples on an 8×8 input."""
    name = st.session_state.get(f"{key}_example")
    if name not in SEED_EXAMPLES:
        return
    kernel, padding, stride = SEED_EXAMPLES[name]
    values = {"kernel": kernel, "padding": padding, "stride": stride, "dilation": (1, 1)}
    for setting, pair in values.items():
        st.session_state[f"{key}_{setting}_h"], st.session_state[f"{key}_{setting}_w"] = pair
    st.session_state[f"{key}_in_h"] = st.session_state[f"{key}_in_w"] = 8
    st.session_state[f"{key}_use_image"] = False
    st.session_state[f"{key}_cell"] = 0


def _to_custom(key: str) -> None:
    """A slider moved: the setting is no longer the book's example."""
    st.session_state[f"{key}_example"] = CUSTOM_EXAMPLE


def conv_settings_ui(key: str) -> dict[str, tuple[int, int]]:
    """Sliders for kernel, padding, stride and dilation, one per axis. d2l 7.3.

    Widgets ``{key}_{setting}_h`` / ``{key}_{setting}_w``; returns {setting: (h, w)}.
    """
    out = {}
    head = st.columns([2, 3, 3])
    head[1].markdown(f"**{TEXT['height']}**")
    head[2].markdown(f"**{TEXT['width']}**")
    for name, lo, hi, default in AXIS_SLIDERS:
        label = TEXT["sliders"][name]
        row = st.columns([2, 3, 3], vertical_alignment="center")
        row[0].markdown(label)
        pair = []
        for col, axis in zip(row[1:], ("h", "w"), strict=True):
            wkey = f"{key}_{name}_{axis}"
            st.session_state.setdefault(wkey, default)
            pair.append(
                col.slider(
                    f"{label} ({axis})",
                    lo,
                    hi,
                    key=wkey,
                    label_visibility="collapsed",
                    on_change=_to_custom,
                    args=(key,),
                    bind=SHARE,
                )  # fmt: skip
            )
        out[name] = tuple(pair)
    return out
