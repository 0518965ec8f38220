"""The kernel editor shared by the convolution pages: presets plus an editable grid (d2l 7.2).

The chosen kernel is also kept in :data:`ui.state.CURRENT_KERNEL` (a nested list), so the
Learn-a-kernel page can offer "the kernel from the cross-correlation page".
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import torch

from cnnviz.kernels import KERNEL_PRESETS
from ui import state
from ui.common import SHARE, keyed_choice
from ui.i18n import texts

CUSTOM = "Custom…"
# Each preset's key in the address (the option values are the presets' English names, which
# links made before the keys hold, and still open).
PRESET_KEYS = {
    "Edge [1, -1] (d2l)": "edge",
    "Edge [1, -1]ᵀ": "edge_t",
    "Sobel x": "sobel_x",
    "Sobel y": "sobel_y",
    "Laplacian": "laplacian",
    "Blur (box 3×3)": "blur",
    "Sharpen": "sharpen",
    "Identity": "identity",
    CUSTOM: "custom",
}
TEXT = texts("kernels")
MAX_KERNEL_SIDE = 7


def kernel_label(name: str) -> str:
    """A kernel preset's name in the page's language (the option values stay English)."""
    return TEXT["presets"].get(name, name)


def kernel_labels():
    """``kernel_label`` as a ``format_func``: a closure over this run's language (see
    ui.i18n.labels)."""
    names = TEXT["presets"]
    return lambda name: names.get(name, name)


def kernel_choice(widget, label: str, options, *, key: str, default=None, **kwargs):
    """A choice of kernel presets (``options``: preset names) kept in the address by their
    keys (:data:`PRESET_KEYS`), shown in the page's language."""
    return keyed_choice(
        widget, label, options, key=key, labels_of=("kernels", "presets"), url_keys=PRESET_KEYS,
        default=default, **kwargs,
    )  # fmt: skip


def _identity(kh: int, kw: int) -> list[list[float]]:
    K = [[0.0] * kw for _ in range(kh)]
    K[kh // 2][kw // 2] = 1.0
    return K


def kernel_editor_ui(key: str, default: str | None = None) -> torch.Tensor:
    """Pick a preset or type a custom kernel; returns K as a float32 (kh, kw) tensor.

    Args:
        key: the page's widget prefix, e.g. "xcorr" (widgets: ``{key}_kernel_preset``,
            ``{key}_kernel_rows``, ``{key}_kernel_cols``, ``{key}_kernel_grid_…``).
        default: the preset selected at first (the book's [1, −1] if None).
    """
    names = [*KERNEL_PRESETS, CUSTOM]
    preset = kernel_choice(
        st.selectbox, TEXT["preset"], names, key=f"{key}_kernel_preset",
        default=default if default in names else None, help=TEXT["preset_help"],
    )  # fmt: skip
    if preset == CUSTOM:
        c1, c2 = st.columns(2)
        kh = c1.number_input(
            TEXT["rows"], 1, MAX_KERNEL_SIDE, 3, key=f"{key}_kernel_rows", bind=SHARE
        )
        kw = c2.number_input(
            TEXT["cols"], 1, MAX_KERNEL_SIDE, 3, key=f"{key}_kernel_cols", bind=SHARE
        )
        kh, kw = int(kh), int(kw)
        base = _identity(kh, kw)
        grid_key = f"{key}_kernel_grid_custom_{kh}x{kw}"
    else:
        base = KERNEL_PRESETS[preset]
        grid_key = f"{key}_kernel_grid_{names.index(preset)}"
    # Columns named by index so the grid reads like the tensor K[row, col].
    frame = pd.DataFrame(base, columns=[str(j) for j in range(len(base[0]))], dtype="float64")
    edited = st.data_editor(
        frame,
        key=grid_key,
        num_rows="fixed",
        hide_index=False,
        width="content",
        column_config={
            c: st.column_config.NumberColumn(c, format="%.3g", width="small") for c in frame
        },
    )
    values = [[float(v) for v in row] for row in edited.to_numpy().tolist()]
    if any(math.isnan(v) for row in values for v in row):
        st.caption(TEXT["empty_cell"])
        values = [[0.0 if math.isnan(v) else v for v in row] for row in values]
    st.caption(TEXT["grid_help"])
    state.CURRENT_KERNEL.set(values)
    return torch.tensor(values, dtype=torch.float32)
