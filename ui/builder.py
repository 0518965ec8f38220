"""Widgets and cached views for the architecture builder page (d2l 7.6, 8.2, 8.6).

The form's widgets are filled from a preset through session state (an ``on_change`` callback),
so a preset switch rewrites every field; the arch table's key carries a version number so the
data editor restarts from the preset's rows. Heavy work is cached by the spec's JSON: the
summary runs on PyTorch's meta device, feature maps only when asked for.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnviz.features import feature_maps, prepare_input
from cnnviz.models import (
    PRESETS,
    LeNetSpec,
    ModelSpec,
    ResNetSpec,
    SpecError,
    VGGSpec,
    build_model,
    layer_summary,
    spec_from_dict,
    spec_to_dict,
    to_code,
    validate,
)
from cnnviz.models.specs import ACTIVATIONS
from cnnviz.plots.models import network_diagram

log = logging.getLogger("cnnviz")

FAMILY_LABELS = {"lenet": "LeNet (7.6)", "vgg": "VGG (8.2)", "resnet": "ResNet (8.6)"}
PRESET_NOTES = {
    "LeNet": "d2l 7.6: LeNet-5 as LeCun built it, sigmoid and average pooling.",
    "LeNet-ReLU": "The seed's exercise: LeNet with ReLU instead of sigmoid.",
    "VGG-11": "d2l 8.2: VGG-11 at 224×224 — 128.8M parameters, mostly in the first FC layer.",
    "VGG-small": "d2l 8.2 trains this VGG with a quarter of the channels at 224×224.",
    "VGG-small-56": "The seed's experiment: the small VGG at 56×56 with one block fewer.",
    "VGG-56-adjusted": "The seed's fix for 56×56: two convs per block, FC 2048, dropout 0.4.",
    "ResNet-18": "d2l 8.6: ResNet-18 at 96×96.",
    "ResNet-18-noBN": "The seed's ablation: ResNet-18 without batch normalisation.",
    "ResNet-18-noskip": "The seed's ablation: ResNet-18 without skip connections.",
}
ARCH_COLUMNS = {
    "vgg": ("num_convs", "channels"),
    "resnet": ("num_residuals", "channels"),
}
TEXT = {
    "family": "Family",
    "preset": "Start from",
    "arch": "arch: one row per {what}",
    "arch_help": "Add or delete rows at the bottom of the table; every row halves the map size.",
    "invalid": "This spec cannot be built — {error}",
    "kept": "Still showing the last valid model ({name}).",
}
FIELD_KEYS = (
    "in_channels", "num_classes", "input_size", "activation", "pool", "c1", "c2",
    "kernel_size", "padding", "fc1", "fc2", "fc", "dropout", "batch_norm", "skip", "stem",
    "stem_channels",
)  # fmt: skip


def presets_of(family: str) -> list[str]:
    return [name for name, spec in PRESETS.items() if spec.family == family]


def _k(name: str) -> str:
    return f"builder_{name}"


def load_spec_into_form(spec: ModelSpec) -> None:
    """Write a spec's values into the form's session-state keys (widgets read them)."""
    ss = st.session_state
    ss[_k("base")] = spec
    for key in ("in_channels", "num_classes", "input_size"):
        ss[_k(key)] = getattr(spec, key)
    if isinstance(spec, LeNetSpec):
        ss[_k("activation")] = spec.activation
        ss[_k("pool")] = spec.pool
        ss[_k("c1")], ss[_k("c2")] = spec.channels
        ss[_k("kernel_size")] = spec.kernel_size
        ss[_k("padding")] = spec.padding
        ss[_k("fc1")], ss[_k("fc2")] = spec.fc
    elif isinstance(spec, VGGSpec):
        ss[_k("activation")] = spec.activation
        ss[_k("fc")] = spec.fc
        ss[_k("dropout")] = float(spec.dropout)
    else:
        ss[_k("batch_norm")] = spec.batch_norm
        ss[_k("skip")] = spec.skip
        ss[_k("stem")] = spec.stem
        ss[_k("stem_channels")] = spec.stem_channels
    if not isinstance(spec, LeNetSpec):
        ss[_k("arch_rows")] = [list(r) for r in spec.arch]
        ss[_k("form_version")] = ss.get(_k("form_version"), 0) + 1


def _on_preset() -> None:
    load_spec_into_form(PRESETS[st.session_state[_k("preset")]])


def _on_family() -> None:
    st.session_state[_k("preset")] = presets_of(st.session_state[_k("family")])[0]
    _on_preset()


def preset_ui() -> str:
    """Family and preset pickers; returns the family. First run loads the first preset."""
    ss = st.session_state
    if _k("base") not in ss:
        ss[_k("family")] = "lenet"
        ss[_k("preset")] = "LeNet"
        load_spec_into_form(PRESETS["LeNet"])
    c1, c2 = st.columns([1, 1])
    family = c1.radio(
        TEXT["family"],
        list(FAMILY_LABELS),
        format_func=FAMILY_LABELS.get,
        horizontal=True,
        key=_k("family"),
        on_change=_on_family,
    )
    if ss.get(_k("preset")) not in presets_of(family):
        ss[_k("preset")] = presets_of(family)[0]
    name = c2.selectbox(TEXT["preset"], presets_of(family), key=_k("preset"), on_change=_on_preset)
    st.caption(PRESET_NOTES.get(name, ""))
    return family


def _arch_ui(family: str) -> tuple:
    ss = st.session_state
    what, channels = ARCH_COLUMNS[family]
    rows = ss.get(_k("arch_rows"), [list(r) for r in PRESETS[presets_of(family)[0]].arch])
    df = pd.DataFrame(rows, columns=[what, channels])
    label = "block" if family == "vgg" else "stage"
    edited = st.data_editor(
        df,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"builder_arch_{ss.get(_k('form_version'), 0)}",
        column_config={
            what: st.column_config.NumberColumn(what, step=1, format="%d"),
            channels: st.column_config.NumberColumn(channels, step=1, format="%d"),
        },
    )
    st.caption(TEXT["arch"].format(what=label) + ". " + TEXT["arch_help"])
    arch = []
    for row in edited.itertuples(index=False):
        arch.append(tuple(None if pd.isna(v) else int(v) for v in row))
    return tuple(arch)


def _num(label: str, key: str, low: int, high: int, help: str | None = None, col=None):
    return (col or st).number_input(label, low, high, step=1, key=_k(key), help=help)


def form_ui(family: str) -> ModelSpec:
    """Every field of the family's spec as a widget; returns the (unvalidated) spec."""
    ss = st.session_state
    base = ss.get(_k("base"))
    if base is None or base.family != family:
        base = PRESETS[presets_of(family)[0]]
    c = st.columns(3)
    common = dict(
        in_channels=_num("in_channels", "in_channels", 1, 3, "1 = grey, 3 = colour", c[0]),
        num_classes=_num("num_classes", "num_classes", 1, 1000, None, c[1]),
        input_size=_num("input_size", "input_size", 4, 512, "height = width", c[2]),
    )
    if family == "lenet":
        c = st.columns(2)
        activation = c[0].selectbox("activation", ACTIVATIONS, key=_k("activation"))
        pool = c[1].radio("pool", ("avg", "max"), horizontal=True, key=_k("pool"))
        c = st.columns(4)
        ch = (_num("conv1 channels", "c1", 1, 256, None, c[0]),
              _num("conv2 channels", "c2", 1, 256, None, c[1]))  # fmt: skip
        kernel = _num("kernel_size", "kernel_size", 1, 11, None, c[2])
        padding = _num("padding (conv1)", "padding", 0, 5, None, c[3])
        c = st.columns(2)
        fc = (_num("fc1 width", "fc1", 1, 4096, None, c[0]),
              _num("fc2 width", "fc2", 1, 4096, None, c[1]))  # fmt: skip
        return dataclasses.replace(
            base if isinstance(base, LeNetSpec) else LeNetSpec(),
            activation=activation, pool=pool, channels=ch, kernel_size=kernel,
            padding=padding, fc=fc, **common,
        )  # fmt: skip
    arch = _arch_ui(family)
    if family == "vgg":
        c = st.columns(3)
        activation = c[0].selectbox("activation", ACTIVATIONS, key=_k("activation"))
        fc = _num("FC width", "fc", 1, 16384, "d2l uses 4096", c[1])
        dropout = c[2].slider("dropout", 0.0, 0.9, step=0.05, key=_k("dropout"))
        return dataclasses.replace(
            base if isinstance(base, VGGSpec) else VGGSpec(),
            arch=arch, activation=activation, fc=fc, dropout=dropout, **common,
        )  # fmt: skip
    c = st.columns(4)
    bn = c[0].toggle("batch norm", key=_k("batch_norm"))
    skip = c[1].toggle("skip connections", key=_k("skip"))
    stem = c[2].selectbox(
        "stem", ("d2l", "small"), key=_k("stem"),
        help="d2l: 7×7 conv stride 2 + 3×3 max-pool stride 2 (÷4). small: one 3×3 conv.",
    )  # fmt: skip
    stem_channels = _num("stem channels", "stem_channels", 1, 512, None, c[3])
    return dataclasses.replace(
        base if isinstance(base, ResNetSpec) else ResNetSpec(),
        arch=arch, batch_norm=bn, skip=skip, stem=stem, stem_channels=stem_channels, **common,
    )  # fmt: skip


def valid_spec_ui(candidate: ModelSpec) -> ModelSpec:
    """The candidate if it builds; otherwise show why, and return the last valid spec.

    Also publishes the valid spec as ``st.session_state["builder_spec"]`` for other pages.
    """
    ss = st.session_state
    try:
        spec = validate(candidate)
    except SpecError as exc:
        st.error(TEXT["invalid"].format(error=exc), icon=":material/block:")
        spec = ss.get(_k("last_valid")) or ss[_k("base")]
        st.caption(TEXT["kept"].format(name=describe(spec)))
    ss[_k("last_valid")] = spec
    ss["builder_spec"] = spec
    return spec


def describe(spec: ModelSpec) -> str:
    for name, preset in PRESETS.items():
        if preset == spec:
            return name
    return f"custom {spec.family}, input {spec.input_size}×{spec.input_size}"


def spec_key(spec: ModelSpec) -> str:
    """A stable cache key for a spec: its JSON."""
    return json.dumps(spec_to_dict(spec), sort_keys=True)


@st.cache_data(max_entries=128, show_spinner=False)
def summary_cached(key: str, detailed: bool = False) -> pd.DataFrame:
    return layer_summary(spec_from_dict(json.loads(key)), detailed=detailed)


@st.cache_data(max_entries=128, show_spinner=False)
def code_cached(key: str) -> str:
    return to_code(spec_from_dict(json.loads(key)))


@st.cache_data(max_entries=128, show_spinner=False)
def diagram_cached(key: str):
    spec = spec_from_dict(json.loads(key))
    summary = summary_cached(key)
    return network_diagram(summary, (1, spec.in_channels, spec.input_size, spec.input_size))


def finished_runs(spec: ModelSpec) -> dict[str, str]:
    """{run_id: label} of finished runs in the run store whose spec is this one (lr aside).

    The run store comes from the training page's module; without it, or on any store error,
    there are simply no runs to offer.
    """
    try:
        from cnnviz.runs import RunStore, default_home
    except ImportError:
        return {}
    try:
        store = RunStore(default_home())
        runs = store.list_runs()
        if runs.empty:
            return {}
        runs = runs[(runs["status"] == "finished") & (runs["family"] == spec.family)]
        out = {}
        for row in runs.itertuples(index=False):
            record = store.get(row.run_id)
            run_spec = record.config.spec
            if dataclasses.replace(run_spec, lr=spec.lr) == spec:
                acc = row.final_val_acc
                acc = f", val acc {acc:.1%}" if isinstance(acc, float) and acc == acc else ""
                out[row.run_id] = f"{row.name} ({row.epochs_done} epochs{acc})"
        return out
    except Exception:  # noqa: BLE001 - a broken store must not break the builder
        log.exception("listing runs for the builder failed")
        return {}


def _load_checkpoint(run_id: str) -> dict | None:
    from cnnviz.runs import RunStore, default_home

    return RunStore(default_home()).load_state_dict(run_id)


@st.cache_data(max_entries=8, show_spinner="Running the image through the network…")
def feature_maps_cached(
    key: str, X: np.ndarray, run_id: str | None, max_channels: int, detailed: bool
):
    """Every layer's activations (see cnnviz.features); the untrained net is seeded (0)."""
    spec = spec_from_dict(json.loads(key))
    torch.manual_seed(0)
    net = build_model(spec)
    note = "untrained (d2l's Xavier init, seed 0)"
    if run_id is not None:
        state = _load_checkpoint(run_id)
        if state is None:
            note = "the run's checkpoint is missing: showing the untrained network"
        else:
            net.load_state_dict(state)
            note = f"trained weights of run {run_id}"
    batch = prepare_input(torch.from_numpy(X), spec.in_channels, spec.input_size)
    return feature_maps(net, batch, max_channels, detailed), batch[0], note
