"""Widgets and cached views for the architecture builder page (d2l chapters 7 and 8).

The form is drawn from the chosen family's declared widgets (``Family.fields`` in
cnnviz/models/families/), so this module knows no family by name. The widgets are filled from
a preset through session state (an ``on_change`` callback), so a preset switch rewrites every
field; a table's key carries a version number so the data editor restarts from the preset's
rows. Each rerun makes one frozen spec from the widgets and hands it on: heavy work is cached
on that spec itself (the summary runs on PyTorch's meta device, feature maps only when asked
for).
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
    REGISTRY,
    Family,
    Field,
    ModelSpec,
    SpecError,
    build_model,
    family_of,
    layer_summary,
    network_from_weights,
    same_network,
    to_code,
    validate,
)
from cnnviz.models.summary import diagram_rows
from cnnviz.plots.models import network_diagram
from ui import state
from ui.i18n import current, message, texts

log = logging.getLogger("cnnviz")

TEXT = texts("builder")  # with app_pages/builder.py
FIRST_PRESET = "LeNet"


def words(family: Family, part: str) -> dict:
    """A part of a family's words ("fields", "help", "columns", "presets") in the page's
    language, English where the language lacks a key (cnnviz/models/families/)."""
    english = family.words["en"].get(part, {})
    return {**english, **family.words.get(current(), {}).get(part, {})}


def family_label(name: str) -> str:
    family = REGISTRY[name]
    return family.words.get(current(), family.words["en"]).get("label", family.label())


def presets_of(family: str) -> list[str]:
    return list(REGISTRY[family].presets)


def _k(name: str) -> str:
    return f"builder_{name}"


def form_values(spec: ModelSpec) -> dict[str, object]:
    """The form's widget values for a spec, by widget name (tables as lists of rows)."""
    return {f.name: f.value_of(spec) for f in family_of(spec).fields}


def load_spec_into_form(spec: ModelSpec) -> None:
    """Write a spec's values into the form's widget keys (the widgets read them); a table's
    rows go to ``builder_<name>_rows`` and its editor restarts (a new version in its key)."""
    ss = st.session_state
    for f in family_of(spec).fields:
        value = f.value_of(spec)
        ss[_k(f"{f.name}_rows" if f.kind == "rows" else f.name)] = value
    for name in ("in_channels", "num_classes", "input_size"):
        ss[_k(name)] = getattr(spec, name)
    ss[_k("form_version")] = ss.get(_k("form_version"), 0) + 1


def _on_preset() -> None:
    load_spec_into_form(PRESETS[st.session_state[_k("preset")]])


def _on_family() -> None:
    st.session_state[_k("preset")] = presets_of(st.session_state[_k("family")])[0]
    _on_preset()


def preset_ui() -> str:
    """Family and preset pickers; returns the family. First run loads the first preset."""
    ss = st.session_state
    if _k("family") not in ss or ss[_k("family")] not in REGISTRY:
        ss[_k("family")] = PRESETS[FIRST_PRESET].family
        ss[_k("preset")] = FIRST_PRESET
        load_spec_into_form(PRESETS[FIRST_PRESET])
    c1, c2 = st.columns([2, 1])
    family = c1.radio(
        TEXT["family"],
        list(REGISTRY),
        format_func=lambda name: family_label(name) if name in REGISTRY else name,
        horizontal=True,
        key=_k("family"),
        on_change=_on_family,
    )
    if ss.get(_k("preset")) not in presets_of(family):
        ss[_k("preset")] = presets_of(family)[0]
        load_spec_into_form(PRESETS[ss[_k("preset")]])
    name = c2.selectbox(TEXT["preset"], presets_of(family), key=_k("preset"), on_change=_on_preset)
    st.caption(words(REGISTRY[family], "presets").get(name, ""))
    return family


def _rows_ui(family: Family, f: Field) -> object:
    """A table widget (a data editor over ``builder_<name>_rows``); returns the spec value."""
    ss = st.session_state
    rows = ss.get(_k(f"{f.name}_rows"))
    if rows is None or any(len(r) != len(f.columns) for r in rows):
        rows = f.value_of(PRESETS[presets_of(family.name)[0]])
    headers = words(family, "columns")
    edited = st.data_editor(
        pd.DataFrame(rows, columns=list(f.columns)),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"builder_{f.name}_{ss.get(_k('form_version'), 0)}",
        column_config={
            c: st.column_config.NumberColumn(headers.get(c, c), step=1, format="%d")
            for c in f.columns
        },
    )
    help_text = words(family, "help").get(f.name)
    caption = words(family, "fields").get(f.name, f.name)
    st.caption(caption + (". " + help_text if help_text else ""))
    # cells as typed: the spec's checks say what is wrong with one (empty, 2.5, an infinity)
    rows = tuple(
        tuple(None if pd.isna(v) else v for v in row) for row in edited.itertuples(index=False)
    )
    return f.spec_value(rows)


def _widget(family: Family, f: Field, col) -> object:
    """One declared widget in column ``col``; returns its value."""
    label = words(family, "fields").get(f.name, f.name)
    help_text = words(family, "help").get(f.name)
    key = _k(f.name)
    if f.kind == "int":
        return col.number_input(label, int(f.low), int(f.high), step=int(f.step or 1), key=key,
                                help=help_text)  # fmt: skip
    if f.kind == "slider":
        return col.slider(label, float(f.low), float(f.high), step=float(f.step or 0.05),
                          key=key, help=help_text)  # fmt: skip
    if f.kind == "select":
        return col.selectbox(label, f.options, key=key, help=help_text)
    if f.kind == "radio":
        return col.radio(label, f.options, horizontal=True, key=key, help=help_text)
    return col.toggle(label, key=key, help=help_text)


def _family_fields_ui(family: Family) -> dict[str, object]:
    """The family's declared widgets, a line of columns per ``Field.line`` (tables on their
    own); returns the values by spec field (a tuple field gathered from its elements)."""
    values: dict[str, object] = {}
    parts: dict[str, dict[int, object]] = {}
    lines: dict[int, list[Field]] = {}
    for f in family.fields:
        if f.kind == "rows":
            values[f.spec_field] = _rows_ui(family, f)
        else:
            lines.setdefault(f.line, []).append(f)
    for line in sorted(lines):
        cols = st.columns(max(len(lines[line]), 2))
        for f, col in zip(lines[line], cols, strict=False):
            value = _widget(family, f, col)
            if f.index is None:
                values[f.spec_field] = value
            else:
                parts.setdefault(f.spec_field, {})[f.index] = value
    for name, elements in parts.items():
        values[name] = tuple(elements[i] for i in sorted(elements))
    return values


def _num(label: str, key: str, low: int, high: int, help: str | None = None, col=None):
    return (col or st).number_input(label, low, high, step=1, key=_k(key), help=help)


def form_ui(family: str) -> ModelSpec:
    """Every field of the family's spec as a widget; returns the (unvalidated) spec.

    The spec is made once per rerun, straight from the widgets. ``lr`` has no widget: it is
    the book's rate of the preset the form started from (a training setting, see specs.py);
    a field without a widget keeps the preset's value.
    """
    fam = REGISTRY[family]
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
    fields = _family_fields_ui(fam)
    preset = PRESETS[st.session_state[_k("preset")]]
    return dataclasses.replace(preset, **common, **fields)


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
    """The network diagram, from the cached rows. Not itself cached: a Figure comes back
    from st.cache_data through pickle, which rebuilds and validates it (~100 ms); built here
    it takes ~2 ms."""
    shape = (1, spec.in_channels, spec.input_size, spec.input_size)
    rows = diagram_rows_cached(spec) if family_of(spec).branching else summary_cached(spec)
    return network_diagram(rows, shape, words=TEXT["diagram"])


@st.cache_data(max_entries=128, show_spinner=False)
def diagram_rows_cached(spec: ModelSpec) -> pd.DataFrame:
    """The diagram's rows: the summary's, with branching blocks (Inception, dense blocks)
    opened into their branches (cnnviz.models.summary.diagram_rows)."""
    return diagram_rows(spec)


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
            acc = row.final_val_acc  # None: no accuracy yet
            acc = "" if acc is None else TEXT["run_acc"].format(acc=acc)
            out[row.run_id] = TEXT["run_label"].format(name=row.name, n=row.epochs_done, acc=acc)
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
    from cnnviz.runs import CheckpointError

    note = "note_untrained"  # a key of the page's TEXT: cached once for every language
    try:
        state_dict = _load_checkpoint(run_id) if run_id is not None else None
    except CheckpointError as exc:  # damaged on disk: said, and the untrained network shown
        log.warning("run %s: %s", run_id, exc)
        state_dict, note = None, "note_damaged"
    if run_id is not None and note != "note_damaged":
        note = "note_missing" if state_dict is None else "note_trained"
    if state_dict is not None:
        net = network_from_weights(spec, state_dict)
    else:
        net = build_model(spec, generator=torch.Generator().manual_seed(0))
    batch = prepare_input(torch.from_numpy(X), spec.in_channels, spec.input_size)
    return feature_maps(net, batch, max_channels, detailed), batch[0], note
