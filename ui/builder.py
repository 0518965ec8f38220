"""Widgets and cached views for the architecture builder page (d2l 7.6, 8.2, 8.6).

The form's widgets are filled from a preset through session state (an ``on_change`` callback),
so a preset switch rewrites every field; the arch table's key carries a version number so the
data editor restarts from the preset's rows. Each rerun makes one frozen spec from the widgets
and hands it on: heavy work is cached on that spec itself (the summary runs on PyTorch's meta
device, feature maps only when asked for).
"""

from __future__ import annotations

import dataclasses
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
    same_network,
    to_code,
    validate,
)
from cnnviz.models.specs import ACTIVATIONS
from cnnviz.plots.models import network_diagram
from ui import state
from ui.i18n import message, texts

log = logging.getLogger("cnnviz")

FAMILY_LABELS = {"lenet": "LeNet (7.6)", "vgg": "VGG (8.2)", "resnet": "ResNet (8.6)"}
ARCH_COLUMNS = {
    "vgg": ("num_convs", "channels"),
    "resnet": ("num_residuals", "channels"),
}
TEXT = texts("builder")  # with app_pages/builder.py
PAIRS = {"channels": ("c1", "c2"), "fc": ("fc1", "fc2")}  # LeNet's pairs: one widget each
FAMILY_SPECS = {"lenet": LeNetSpec, "vgg": VGGSpec, "resnet": ResNetSpec}


def presets_of(family: str) -> list[str]:
    return [name for name, spec in PRESETS.items() if spec.family == family]


def _k(name: str) -> str:
    return f"builder_{name}"


def form_values(spec: ModelSpec) -> dict[str, object]:
    """The form's widget values for a spec, by widget name (``arch`` and ``lr`` have none)."""
    values = {}
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if field.name in ("arch", "lr"):
            continue
        if isinstance(value, tuple):
            values.update(zip(PAIRS[field.name], value, strict=True))
        else:
            values[field.name] = float(value) if field.name == "dropout" else value
    return values


def load_spec_into_form(spec: ModelSpec) -> None:
    """Write a spec's values into the form's widget keys (the widgets read them)."""
    ss = st.session_state
    for name, value in form_values(spec).items():
        ss[_k(name)] = value
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
    if _k("family") not in ss:
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
    st.caption(TEXT["preset_notes"].get(name, ""))
    return family


def _arch_ui(family: str) -> tuple:
    """The arch table (a data editor over ``builder_arch_rows``); returns the rows as tuples."""
    ss = st.session_state
    what, channels = ARCH_COLUMNS[family]
    rows = ss.get(_k("arch_rows"), [list(r) for r in PRESETS[presets_of(family)[0]].arch])
    label = TEXT["arch_block"] if family == "vgg" else TEXT["arch_stage"]
    edited = st.data_editor(
        pd.DataFrame(rows, columns=[what, channels]),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"builder_arch_{ss.get(_k('form_version'), 0)}",
        column_config={
            what: st.column_config.NumberColumn(what, step=1, format="%d"),
            channels: st.column_config.NumberColumn(TEXT["channels_column"], step=1, format="%d"),
        },
    )
    st.caption(TEXT["arch"].format(what=label) + ". " + TEXT["arch_help"])
    return tuple(
        tuple(None if pd.isna(v) else int(v) for v in row) for row in edited.itertuples(index=False)
    )


def _num(label: str, key: str, low: int, high: int, help: str | None = None, col=None):
    return (col or st).number_input(label, low, high, step=1, key=_k(key), help=help)


def _family_fields_ui(family: str) -> dict[str, object]:
    """The family's own widgets; returns their values by spec field."""
    if family == "lenet":
        c = st.columns(2)
        activation = c[0].selectbox(TEXT["f_activation"], ACTIVATIONS, key=_k("activation"))
        pool = c[1].radio(TEXT["f_pool"], ("avg", "max"), horizontal=True, key=_k("pool"))
        c = st.columns(4)
        ch = (_num(TEXT["f_c1"], "c1", 1, 256, None, c[0]),
              _num(TEXT["f_c2"], "c2", 1, 256, None, c[1]))  # fmt: skip
        kernel = _num(TEXT["f_kernel_size"], "kernel_size", 1, 11, None, c[2])
        padding = _num(TEXT["f_padding"], "padding", 0, 5, None, c[3])
        c = st.columns(2)
        fc = (_num(TEXT["f_fc1"], "fc1", 1, 4096, None, c[0]),
              _num(TEXT["f_fc2"], "fc2", 1, 4096, None, c[1]))  # fmt: skip
        return dict(activation=activation, pool=pool, channels=ch, kernel_size=kernel,
                    padding=padding, fc=fc)  # fmt: skip
    arch = _arch_ui(family)
    if family == "vgg":
        c = st.columns(3)
        activation = c[0].selectbox(TEXT["f_activation"], ACTIVATIONS, key=_k("activation"))
        fc = _num(TEXT["f_fc"], "fc", 1, 16384, TEXT["f_fc_help"], c[1])
        dropout = c[2].slider(TEXT["f_dropout"], 0.0, 0.9, step=0.05, key=_k("dropout"))
        return dict(arch=arch, activation=activation, fc=fc, dropout=dropout)
    c = st.columns(4)
    bn = c[0].toggle(TEXT["f_batch_norm"], key=_k("batch_norm"))
    skip = c[1].toggle(TEXT["f_skip"], key=_k("skip"))
    stem = c[2].selectbox(TEXT["f_stem"], ("d2l", "small"), key=_k("stem"),
                          help=TEXT["f_stem_help"])  # fmt: skip
    stem_channels = _num(TEXT["f_stem_channels"], "stem_channels", 1, 512, None, c[3])
    return dict(arch=arch, batch_norm=bn, skip=skip, stem=stem, stem_channels=stem_channels)


def form_ui(family: str) -> ModelSpec:
    """Every field of the family's spec as a widget; returns the (unvalidated) spec.

    The spec is made once per rerun, straight from the widgets. ``lr`` has no widget: it is
    the book's rate of the preset the form started from (a training setting, see specs.py).
    """
    c = st.columns(3)
    common = dict(
        in_channels=_num(
            TEXT["f_in_channels"], "in_channels", 1, 3, TEXT["f_in_channels_help"], c[0]
        ),
        num_classes=_num(TEXT["f_num_classes"], "num_classes", 1, 1000, None, c[1]),
        input_size=_num(
            TEXT["f_input_size"], "input_size", 4, 512, TEXT["f_input_size_help"], c[2]
        ),
    )
    fields = _family_fields_ui(family)
    lr = PRESETS[st.session_state[_k("preset")]].lr
    return FAMILY_SPECS[family](**common, **fields, lr=lr)


def valid_spec_ui(candidate: ModelSpec) -> ModelSpec:
    """The candidate if it builds; otherwise show why, and return the last valid spec.

    The valid spec is published as :data:`ui.state.BUILDER_SPEC` for the Training page.
    """
    try:
        spec = validate(candidate)
    except SpecError as exc:
        st.error(TEXT["invalid"].format(error=message(exc)), icon=":material/block:")
        spec = state.BUILDER_SPEC.get() or PRESETS[st.session_state[_k("preset")]]
        st.caption(TEXT["kept"].format(name=describe(spec)))
    state.BUILDER_SPEC.set(spec)
    return spec


def describe(spec: ModelSpec) -> str:
    for name, preset in PRESETS.items():
        if preset == spec:
            return name
    return TEXT["custom"].format(family=spec.family, n=spec.input_size)


# Cached on the frozen spec itself: Streamlit hashes a dataclass by its fields (names and
# values, tuples element by element), and the three families have different field names.
@st.cache_data(max_entries=128, show_spinner=False)
def summary_cached(spec: ModelSpec, detailed: bool = False) -> pd.DataFrame:
    return layer_summary(spec, detailed=detailed)


@st.cache_data(max_entries=128, show_spinner=False)
def code_cached(spec: ModelSpec) -> str:
    return to_code(spec)


def diagram(spec: ModelSpec):
    """The network diagram, from the cached summary. Not itself cached: a Figure comes back
    from st.cache_data through pickle, which rebuilds and validates it (~100 ms); built here
    it takes ~2 ms."""
    shape = (1, spec.in_channels, spec.input_size, spec.input_size)
    return network_diagram(summary_cached(spec), shape, words=TEXT["diagram"])


def finished_runs(spec: ModelSpec) -> dict[str, str]:
    """{run_id: label} of the finished runs this user may see that trained this network.

    A store that cannot be read is logged and said on the page; the builder still works.
    """
    from ui.identity import current_user
    from ui.runs import reader

    try:
        svc = reader()
        if svc is None:
            return {}
        out = {}
        for row in svc.finished_like(current_user(), spec.family, lambda s: same_network(s, spec)):
            acc = row["final_val_acc"]
            ok = isinstance(acc, float) and acc == acc  # None or NaN: no accuracy yet
            acc = TEXT["run_acc"].format(acc=acc) if ok else ""
            out[row["run_id"]] = TEXT["run_label"].format(
                name=row["name"], n=row["epochs_done"], acc=acc
            )
        return out
    except Exception as exc:  # a broken store must not break the builder: logged and shown
        log.exception("listing runs for the builder failed")
        st.warning(TEXT["store_error"].format(error=exc), icon=":material/warning:")
        return {}


def _load_checkpoint(run_id: str) -> dict | None:
    """The run's weights through the server's one store connection (the caller checked that
    this user may see the run: :func:`finished_runs` lists only those)."""
    from ui.runs import reader

    svc = reader()
    return None if svc is None else svc.store.load_state_dict(run_id)


@st.cache_data(max_entries=8, show_spinner=False)
def feature_maps_cached(
    spec: ModelSpec, X: np.ndarray, run_id: str | None, max_channels: int, detailed: bool
):
    """Every layer's activations (see cnnviz.features).

    The untrained net draws its weights from its own generator seeded 0, never the global
    RNG: another session's training or lesson cannot change what this page shows.
    """
    net = build_model(spec, generator=torch.Generator().manual_seed(0))
    note = "note_untrained"  # a key of the page's TEXT: cached once for every language
    if run_id is not None:
        state_dict = _load_checkpoint(run_id)
        if state_dict is None:
            note = "note_missing"
        else:
            net.load_state_dict(state_dict)
            note = "note_trained"
    batch = prepare_input(torch.from_numpy(X), spec.in_channels, spec.input_size)
    return feature_maps(net, batch, max_channels, detailed), batch[0], note
