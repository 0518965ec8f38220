"""Streamlit parts of the ablation lab: choosing a group, launching it, the live comparison,
what each variant learned, the shareable URL. The math lives in ``cnnviz.ablation``."""

from __future__ import annotations

import uuid

import streamlit as st

from cnnviz import ablation as A
from cnnviz import frames as F
from cnnviz.device import cuda_available
from cnnviz.models import PRESETS
from cnnviz.plots import ablation as P
from cnnviz.run_times import group_estimate, run_estimate
from cnnviz.runs import LIVE, RunManager, RunNotFoundError, RunSummary, StoreError
from cnnviz.runs.service import RunAccessError
from ui import state
from ui.common import (
    chart,
    class_names,
    estimate_basis,
    estimate_text,
    font_size,
    fragment,
    load_data,
    md_escape,
    run_error,
)
from ui.i18n import labels, message, texts
from ui.identity import current_user
from ui.learned import follow_newest, learned_charts_ui, learned_or_said
from ui.links import int_param
from ui.runs import service

TEXT = texts("ablation")  # with app_pages/ablation.py
STATUS_ICON = {
    "queued": ":material/hourglass_empty:",
    "running": ":material/play_circle:",
    "finished": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "failed": ":material/error:",
    "interrupted": ":material/warning:",
}


MAX_SEED = 10_000  # the seed widget's range; ?seed= beyond it is ignored


# -- state and URL ---------------------------------------------------------------------------


def _set_url(
    group: str, mode: str, run_ids: list[str], seed: int | None = None, seeds: int = 1
) -> None:
    params = {"group": group, "mode": mode, "runs": ",".join(run_ids)}
    if seed is not None:
        params["seed"] = str(seed)
    if seeds > 1:
        params["seeds"] = str(seeds)
    st.query_params.from_dict(params)


def restore_from_url(mgr: RunManager) -> None:
    """Once per session, restore the comparison named by ``?group=…&mode=…&runs=…``."""
    if state.ABL_RESTORED.get():
        return
    state.ABL_RESTORED.set(True)
    qp = st.query_params
    group, mode = qp.get("group"), qp.get("mode")
    if group in A.GROUPS:
        st.session_state["abl_source"] = "builtin"
        st.session_state["abl_group"] = group
    elif group in ("grid", "store"):
        st.session_state["abl_source"] = group
    if mode in A.MODES:
        st.session_state["abl_mode"] = mode
    if (seed := int_param(qp.get("seed"), 0, MAX_SEED)) is not None:  # else the default
        st.session_state["abl_seed"] = seed
    if (seeds := int_param(qp.get("seeds"), 1, A.MAX_SEEDS)) is not None:
        st.session_state["abl_seeds"] = seeds
    ids = [i for i in qp.get("runs", "").split(",") if i]
    if ids:
        state.ABL_RUN_IDS.set(ids)  # each checked by shown_runs before anything is shown


def shown_runs(mgr: RunManager) -> list[str]:
    """The runs of the comparison that this user may see. The ids come from the browser (the
    address, the store picker): one this user may not see is said to be missing, exactly as
    one that does not exist, so the message reveals nothing about it."""
    svc, user = service(mgr), current_user()
    ids = state.ABL_RUN_IDS.get() or []
    known = [i for i in ids if svc.may_view(user, i)]
    if len(known) < len(ids):
        state.ABL_MISSING.set([i for i in ids if i not in known])
        state.ABL_RUN_IDS.set(known)
    return known


def _defaults() -> None:
    ss = st.session_state
    ss.setdefault("abl_source", "builtin")
    ss.setdefault("abl_group", "lenet")
    ss.setdefault("abl_mode", "full" if cuda_available() else "classroom")
    ss.setdefault("abl_seed", 0)
    ss.setdefault("abl_seeds", 1)
    ss.setdefault("abl_grid_base", "LeNet")
    state.ABL_RUN_IDS.setdefault()


# -- launching -------------------------------------------------------------------------------


PRESS_TOKEN = "abl_press_token"


def _press_token() -> str:
    """The token the next launch submits with its runs: made when the button is drawn, bound
    to it, renewed once a press has queued its group (the same press twice: one group)."""
    if PRESS_TOKEN not in st.session_state:
        st.session_state[PRESS_TOKEN] = uuid.uuid4().hex
    return st.session_state[PRESS_TOKEN]


def _submit(
    mgr: RunManager, group: A.AblationGroup, url_group: str, token: str | None = None
) -> None:
    mode, seed = st.session_state["abl_mode"], int(st.session_state["abl_seed"])
    seeds = int(st.session_state.get("abl_seeds") or 1)
    try:
        configs = A.group_configs(group, mode, seed, seeds=seeds)
        longest = max(run_estimate(mgr, c).seconds for c in configs)
        ids = service(mgr).submit_group(current_user(), group, mode, seed, seeds=seeds,
                                        estimate_s=longest, submit_token=token)  # fmt: skip
    except (ValueError, StoreError) as exc:  # a class limit, bad settings, a locked store
        state.ABL_ERROR.set(message(exc))
        return
    if st.session_state.get(PRESS_TOKEN) == token:
        del st.session_state[PRESS_TOKEN]  # this press is spent: the next one gets a new token
    state.ABL_ERROR.pop()
    state.ABL_RUN_IDS.set(ids)
    _set_url(url_group, mode, ids, seed, seeds)


def _launch_builtin(mgr: RunManager, token: str | None = None) -> None:
    key = st.session_state["abl_group"]
    _submit(mgr, A.GROUPS[key], key, token)


def _launch_grid(mgr: RunManager, token: str | None = None) -> None:
    field = st.session_state["abl_grid_field"]
    values = st.session_state.get(f"abl_grid_values_{field}", [])
    try:
        group = A.grid_group(st.session_state["abl_grid_base"], field, values)
    except ValueError as exc:
        state.ABL_ERROR.set(message(exc))
        return
    _submit(mgr, group, "grid", token)


def _compare_store() -> None:
    ids = list(st.session_state.get("abl_store_runs", []))
    state.ABL_RUN_IDS.set(ids)
    _set_url("store", st.session_state["abl_mode"], ids)


def _pick_store_group(runs: list[RunSummary]) -> None:
    label = st.session_state.get("abl_store_group")
    if label:
        st.session_state["abl_store_runs"] = [r.run_id for r in runs if r.group == label][::-1]


def group_text(group: A.AblationGroup, what: str) -> str:
    """A group's title, question or finding in the page's language (a grid's are made here)."""
    if group.key in TEXT["groups"]:
        return TEXT["groups"][group.key][what]
    if group.key != "grid" or what == "finding":
        return getattr(group, what)
    v0 = group.variants[0]
    name, field = v0.name.split(" · ")[0], v0.name.split(" · ")[-1].split("=")[0]
    values = ", ".join(v.name.split("=", 1)[-1] for v in group.variants)
    return TEXT[f"grid_{what}"].format(name=name, field=field, values=values)


def setting_text(group: A.AblationGroup, mode: str, what: str) -> str:
    """A size's label, note or measurement (a grid's are its family's)."""
    key = group.key if group.key in TEXT["settings"] else group.variants[0].spec.family
    if key in TEXT["settings"]:
        return TEXT["settings"][key][mode][what]
    return getattr(group.setting(mode), what)


def _size_ui(group: A.AblationGroup, mgr: RunManager) -> None:
    key = "gpu_modes" if cuda_available() else "modes"
    st.radio(TEXT["mode"], list(TEXT[key]), format_func=labels("ablation", key), key="abl_mode",
             horizontal=True)  # fmt: skip
    mode = st.session_state["abl_mode"]
    seeds = int(st.session_state.get("abl_seeds") or 1)
    configs = A.group_configs(group, mode, int(st.session_state["abl_seed"]), seeds=seeds)
    device = "cuda" if cuda_available() else "cpu"
    est = group_estimate(mgr, configs)
    t = estimate_text(est)
    if mode == "full" and not cuda_available():
        st.warning(TEXT["full_on_cpu"].format(t=t), icon=":material/memory:")
    else:
        where = "GPU" if device == "cuda" else "CPU"
        label = setting_text(group, mode, "label")
        st.caption(TEXT["estimate"].format(label=label, t=t, device=where, runs=len(configs),
                                           basis=estimate_basis(est)))  # fmt: skip
    if note := setting_text(group, mode, "note"):
        st.caption(note)
    if (measured := setting_text(group, mode, "measured")) and device == "cpu":
        st.caption(measured)


def _builtin_ui(mgr: RunManager) -> None:
    titles = {key: group_text(group, "title") for key, group in A.GROUPS.items()}
    st.selectbox(
        TEXT["group"], list(A.GROUPS), format_func=titles.get, key="abl_group",
    )  # fmt: skip
    group = A.GROUPS[st.session_state["abl_group"]]
    st.markdown(TEXT["question"].format(q=group_text(group, "question")))
    st.caption(TEXT["finding"].format(f=group_text(group, "finding")))
    _size_ui(group, mgr)
    _launch_row_ui(group, "abl_launch", _launch_builtin, mgr)


def _launch_row_ui(group, key: str, on_click, mgr: RunManager) -> None:
    """The shared seed, the number of seeds and the button that launches every variant of
    ``group`` once per seed."""
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    c1.number_input(TEXT["seed"], 0, MAX_SEED, step=1, key="abl_seed")
    c2.number_input(TEXT["seeds"], 1, A.MAX_SEEDS, step=1, key="abl_seeds",
                    help=TEXT["seeds_help"])  # fmt: skip
    n, k = len(group.variants), int(st.session_state.get("abl_seeds") or 1)
    c3.button(
        TEXT["launch"].format(n=n) if k == 1 else TEXT["launch_seeds"].format(n=n, k=k, runs=n * k),
        key=key,
        type="primary",
        icon=":material/play_arrow:",
        on_click=on_click,
        args=(mgr, _press_token()),
    )


def _grid_ui(mgr: RunManager) -> None:
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.selectbox(TEXT["grid_base"], list(PRESETS), key="abl_grid_base")
    family = PRESETS[st.session_state["abl_grid_base"]].family
    fields = [f for f, d in A.GRID_FIELDS.items() if family in d["families"]]
    if st.session_state.get("abl_grid_field") not in fields:
        st.session_state["abl_grid_field"] = fields[0]
    c2.selectbox(TEXT["grid_field"], fields, key="abl_grid_field")
    field = st.session_state["abl_grid_field"]
    options = list(A.GRID_FIELDS[field]["values"])
    c3.multiselect(
        TEXT["grid_values"],
        options,
        default=options[:2],
        key=f"abl_grid_values_{field}",
        placeholder=texts("common")["pick_some"],
    )
    values = st.session_state.get(f"abl_grid_values_{field}", [])
    try:
        group = A.grid_group(st.session_state["abl_grid_base"], field, values)
    except ValueError as exc:
        st.warning(md_escape(message(exc)), icon=":material/info:")
        return
    _size_ui(group, mgr)
    _launch_row_ui(group, "abl_grid_launch", _launch_grid, mgr)


def _store_ui(mgr: RunManager) -> None:
    runs = service(mgr).list_runs(current_user())
    if not runs:
        st.info(TEXT["store_empty"], icon=":material/inventory_2:")
        return
    status = TEXT["status_plain"]
    names = {
        r.run_id: TEXT["store_label"].format(name=r.name, created=r.created, run_id=r.run_id,
                                             status=status.get(r.status, r.status or ""))
        for r in runs
    }  # fmt: skip
    groups = [g for g in dict.fromkeys(r.group for r in runs) if g]
    if groups:
        st.selectbox(
            TEXT["store_group"],
            groups,
            index=None,
            placeholder=texts("common")["pick_one"],
            key="abl_store_group",
            on_change=_pick_store_group,
            args=(runs,),
        )
    # A value the browser sent that is not offered (a rewritten message) shows as itself: the
    # comparison then checks it like any id (shown_runs).
    st.multiselect(TEXT["store_runs"], list(names), format_func=lambda i: names.get(i, str(i)),
                   key="abl_store_runs",
                   placeholder=texts("common")["pick_some"])  # fmt: skip
    st.button(TEXT["compare"], key="abl_compare", on_click=_compare_store)


def controls_ui(mgr: RunManager) -> None:
    """Choose a built-in group, a grid or stored runs, and launch it."""
    _defaults()
    st.segmented_control(
        TEXT["source"],
        list(TEXT["sources"]),
        format_func=labels("ablation", "sources"),
        key="abl_source",
    )
    source = st.session_state.get("abl_source") or "builtin"
    {"builtin": _builtin_ui, "grid": _grid_ui, "store": _store_ui}[source](mgr)
    if err := state.ABL_ERROR.get():
        st.error(md_escape(err), icon=":material/error:")


# -- the comparison --------------------------------------------------------------------------


def _fetch(mgr: RunManager, run_ids: list[str]) -> list:
    """The run records of ``run_ids`` this user may see, in order (a damaged row is said)."""
    out = []
    svc, user = service(mgr), current_user()
    for rid in run_ids:
        try:
            out.append(svc.get(user, rid))
        except (RunNotFoundError, RunAccessError):  # deleted, or not this user's to see
            continue
        except StoreError as exc:  # a damaged row: said, and left out of the comparison
            st.warning(md_escape(exc), icon=":material/database:")
    return out


def _variant_runs(mgr: RunManager, run_ids: list[str]) -> dict[str, list]:
    """Variant name → its runs, seed by seed (``cnnviz.ablation.variant_runs``: one run per
    variant for a group launched with one seed, or stored before seeds existed)."""
    return A.variant_runs(_fetch(mgr, run_ids))


def _variants(mgr: RunManager, run_ids: list[str]) -> dict[str, object]:
    """Unique display name → the run of its first seed, in the order of the run ids."""
    return {name: recs[0] for name, recs in _variant_runs(mgr, run_ids).items()}


def _status_ui(mgr: RunManager, variants: dict[str, list], colors: dict) -> None:
    cols = st.columns(len(variants))
    for col, (name, recs) in zip(cols, variants.items(), strict=True):
        # The variant's colour as a swatch beside its name in the text colour (a name written
        # in a light palette colour would fall below the contrast minimum).
        swatch = (f"<span aria-hidden='true' style='display:inline-block;width:0.9em;"
                  f"height:0.9em;border-radius:2px;vertical-align:-0.1em;"
                  f"background:{colors[name]}'></span>")  # fmt: skip
        col.markdown(
            f"{swatch} <b>{md_escape(name)}</b>",
            unsafe_allow_html=True,
        )
        if len(recs) == 1:
            _run_status(mgr, col, name, recs[0])
        else:
            _seeds_status(mgr, col, name, recs)


def _run_status(mgr: RunManager, col, name: str, rec) -> None:
    status = mgr.status(rec.run_id)
    line = f"{STATUS_ICON.get(status, '')} {TEXT['status_plain'].get(status, status)}"
    n = rec.config.num_epochs
    if status == "running" and (p := mgr.progress(rec.run_id)):
        done = (p["epoch"] - 1 + p["batch"] / p["num_batches"]) / n
        text = TEXT["progress"].format(e=p["epoch"], n=n, b=p["batch"], nb=p["num_batches"])
        col.progress(min(1.0, done), text=f"{line} · {text}")
    else:
        done = mgr.store.get(rec.run_id).epochs_done
        col.caption(TEXT["epochs_caption"].format(line=line, done=done, n=n))
    if status == "failed":
        error = run_error(mgr.store.get(rec.run_id))  # cnnviz's own: in the page's language
        col.error(TEXT["failed"].format(name=md_escape(name), error=error))


def _seeds_status(mgr: RunManager, col, name: str, recs: list) -> None:
    """A variant of several seeds: how many have finished, the one training now, failures."""
    statuses = {r.run_id: mgr.status(r.run_id) for r in recs}
    done = sum(s == "finished" for s in statuses.values())
    live = [s for s in statuses.values() if s in LIVE]
    ended = [s for s in statuses.values() if s != "finished"]  # stopped, failed, interrupted
    icon = STATUS_ICON.get(live[0] if live else ended[0] if ended else "finished", "")
    col.caption(f"{icon} " + TEXT["seeds_status"].format(done=done, k=len(recs)))
    for r in recs:
        status = statuses[r.run_id]
        if status == "running" and (p := mgr.progress(r.run_id)):
            n = r.config.num_epochs
            frac = (p["epoch"] - 1 + p["batch"] / p["num_batches"]) / n
            text = TEXT["seed_progress"].format(seed=r.config.seed, e=p["epoch"], n=n,
                                                b=p["batch"], nb=p["num_batches"])  # fmt: skip
            col.progress(min(1.0, frac), text=text)
        elif status == "failed":
            error = run_error(mgr.store.get(r.run_id))
            label = f"{name} · {TEXT['charts']['seed']} {r.config.seed}"
            col.error(TEXT["failed"].format(name=md_escape(label), error=error))


def _stop_all(mgr: RunManager, run_ids: list[str]) -> None:
    """Stop the live runs of the comparison that this user may stop (own, or all: teacher)."""
    service(mgr).stop_live(current_user(), run_ids)


def _curves_ui(long, colors: dict, num_epochs: int, several: bool, live: bool) -> None:
    """The headline chart and the small multiples; with several seeds per variant, a band
    around each mean (±1 sd or min–max) and, on demand, every seed's own run. ``live``: a
    variant trains and the charts are redrawn every second (in place: ui.live_chart)."""
    band, runs = "sd", False
    if several:
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        band = c1.segmented_control(TEXT["band"], list(TEXT["bands"]), key="abl_band",
                                    format_func=labels("ablation", "bands"),
                                    default="sd") or "sd"  # fmt: skip
        runs = c2.toggle(TEXT["show_runs"], key="abl_show_runs", help=TEXT["show_runs_help"])
    fs = font_size()
    words = TEXT["charts"]
    st.markdown(f"**{TEXT['headline']}**")
    chart(st,
        P.overlay_figure(long, colors, "val_acc", num_epochs, font_size=fs + 2, labels=words,
                         band=band, runs=runs),
        key="abl_overlay", config=P.png_config("ablation_val_acc"), width="stretch", live=live,
    )  # fmt: skip
    st.markdown(f"**{TEXT['multiples']}**")
    chart(st,
        P.small_multiples(long, colors, num_epochs, font_size=fs, labels=words, band=band,
                          runs=runs),
        key="abl_multiples", config=P.png_config("ablation_curves"), width="stretch", live=live,
    )  # fmt: skip


def _noise_ui(runs: dict[str, list[A.SeedRun]]) -> None:
    """Per pair of variants: the difference paired by seed, its 95% interval, the verdict
    sentence (3 seeds or more), the method and what it does not claim."""
    pairs = A.pair_table(runs)
    st.markdown(f"**{TEXT['noise']}**")
    most = int(pairs["n"].max()) if len(pairs) else 0
    k = max(len(r) for r in runs.values())
    if k == 1:
        st.info(TEXT["one_seed"], icon=":material/casino:")
        return
    if most < 2:
        st.caption(TEXT["pairs_wait"])
        return
    shown = A.pair_display(pairs)
    st.dataframe(shown, hide_index=True, key="abl_pairs", width="stretch",
                 column_config=TEXT["pair_columns"])  # fmt: skip
    if lines := A.verdicts(pairs.assign(a=pairs["a"].map(md_escape), b=pairs["b"].map(md_escape)),
                           TEXT["verdict"]):  # fmt: skip
        with st.container(key="abl_verdict"):
            st.markdown("\n".join(f"- **{line}**" for line in lines))
    if most < 3:
        st.caption(TEXT["two_seeds"])
    st.caption(TEXT["method"])
    st.caption(TEXT["not_claimed"])


def _comparison_body(mgr: RunManager, run_ids: list[str]) -> None:
    variants = _variant_runs(mgr, run_ids)
    if not variants:
        return
    colors = P.variant_colors(variants)
    every = [r for recs in variants.values() for r in recs]
    live = any(mgr.status(r.run_id) in LIVE for r in every)
    first = every[0]
    st.subheader(md_escape(first.group) if first.group else TEXT["headline"])
    _status_ui(mgr, variants, colors)
    svc, user = service(mgr), current_user()
    if live and any(svc.may_control(user, r.run_id) for r in every):
        st.button(TEXT["stop"], key="abl_stop", icon=":material/stop:",
                  on_click=_stop_all, args=(mgr, run_ids))  # fmt: skip
    runs = {
        name: [A.SeedRun(r.config.seed, F.metrics_table(svc.metrics(user, r.run_id)),
                         r.config.num_epochs, r.run_id) for r in recs]
        for name, recs in variants.items()
    }  # fmt: skip
    several = any(len(r) > 1 for r in runs.values())
    num_epochs = max(r.config.num_epochs for r in every)
    _curves_ui(A.seeds_long(runs), colors, num_epochs, several, live)
    params = A.params_by_variant({name: recs[0].config.spec for name, recs in variants.items()})
    table = A.seed_comparison(runs, params)
    st.markdown(f"**{TEXT['table_seeds' if several else 'table']}**")
    st.dataframe(A.seed_highlight(table), hide_index=True, key="abl_table", width="stretch",
                 column_config=TEXT["columns"])  # fmt: skip
    if not several:
        escaped = table.assign(variant=table["variant"].map(md_escape))
        if lines := A.summary_sentences(escaped, TEXT["summary"]):
            st.markdown(TEXT["differences"].format(base=md_escape(table["variant"].iloc[0])))
            st.markdown("\n".join(f"- {line}" for line in lines))
    if len(runs) > 1:
        _noise_ui(runs)
    c1, c2, c3 = st.columns([1, 1, 2])
    # The CSV is made when clicked: a static file would change with every poll, and the
    # browser's check of the previous file's URL would find it already deleted (a 404).
    c1.download_button(
        TEXT["csv"], lambda: A.seeds_csv(runs), file_name="ablation_metrics.csv",
        mime="text/csv", key="abl_csv", icon=":material/download:", on_click="ignore",
    )  # fmt: skip
    if several:
        c2.download_button(
            TEXT["csv_bands"], lambda: A.bands_csv(runs), file_name="ablation_mean_spread.csv",
            mime="text/csv", key="abl_csv_bands", icon=":material/download:", on_click="ignore",
        )  # fmt: skip
    c3.caption(TEXT["png_hint"] + " " + TEXT["share"])
    was_live = state.ABL_WAS_LIVE.get()
    state.ABL_WAS_LIVE.set(live)
    if was_live and not live:
        st.rerun(scope="app")  # stop polling; draw the kernels of the finished runs


def comparison_ui(mgr: RunManager, run_ids: list[str]) -> None:
    """Live curves (polled every second while a variant trains), table, differences, CSV."""
    live = any(mgr.status(r) in LIVE for r in run_ids if mgr.store.exists(r))
    state.ABL_WAS_LIVE.set(live)
    fragment(_comparison_body, run_every=1.0 if live else None)(mgr, run_ids)


# -- what each variant learned ---------------------------------------------------------------


def scrub_ui(mgr: RunManager, run_ids: list[str]) -> int | None:
    """An epoch slider over the snapshots every variant has (0 = the shared init); None shows
    the final weights (runs from before snapshots were kept)."""
    common = None
    for r in run_ids:
        have = set(mgr.store.snapshot_epochs(r))
        common = have if common is None else common & have
    epochs = sorted(common or ())
    if len(epochs) < 2:
        return None
    follow_newest("abl_scrub", epochs)
    return st.select_slider(TEXT["scrub"], options=epochs, key="abl_scrub", help=TEXT["scrub_help"])


def learned_ui(mgr: RunManager, run_ids: list[str]) -> None:
    """First-layer kernels and feature maps of every variant, side by side."""
    variants = _variants(mgr, run_ids)
    done = {n: r for n, r in variants.items() if mgr.store.get(r.run_id).epochs_done > 0}
    st.subheader(TEXT["learned"])
    if not done:
        st.info(TEXT["learned_wait"], icon=":material/hourglass_empty:")
        return
    sample = st.number_input(
        TEXT["sample"], 0, 9_999, step=1, key="abl_sample",
        help=TEXT["sample_help"],
    )  # fmt: skip
    label = class_names()[int(load_data().test_labels[sample])]
    st.caption(TEXT["sample_caption"].format(i=sample, label=label))
    epoch = scrub_ui(mgr, [r.run_id for r in done.values()])
    got = {
        name: learned_or_said(
            mgr, rec.run_id, int(sample), epoch, mgr.store.get(rec.run_id).epochs_done, name
        )
        for name, rec in done.items()
    }
    got = {name: g for name, g in got.items() if g is not None}
    if not got:  # every variant's file is damaged: each said so above
        return
    learned_charts_ui(
        got, P.variant_colors(variants), "abl", TEXT["kernels"], TEXT["maps"],
        png=("ablation_kernels", "ablation_feature_maps"),
    )  # fmt: skip


# -- which classes each variant confuses -----------------------------------------------------


def confusion_ui(mgr: RunManager, run_ids: list[str]) -> None:
    """One confusion matrix per variant (stored by the worker when it finished), per-class
    accuracy side by side, and the difference from the baseline in cells and in words."""
    import numpy as np

    from cnnviz import insight as I
    from cnnviz.plots import insight as PI

    variants = _variant_runs(mgr, run_ids)
    words = dict(texts("insight")["charts"], classes=class_names())  # the insight page's words
    st.subheader(TEXT["confusion"])
    st.caption(TEXT["confusion_intro"])
    got: dict[str, list] = {}
    for name, recs in variants.items():
        for rec in recs:
            if mgr.status(rec.run_id) in LIVE:
                continue
            stored = service(mgr).analysis(current_user(), rec.run_id)
            try:  # checked in full: a damaged one is said and not drawn
                cm = (
                    None
                    if stored is None
                    else I.Evaluation.from_stored(stored, rec.config.spec.num_classes).confusion
                )
            except I.InsightError as exc:
                st.caption(
                    TEXT["confusion_damaged"].format(
                        name=md_escape(name), run_id=rec.run_id, error=md_escape(message(exc))
                    )
                )
                continue
            if cm is None:
                st.caption(
                    TEXT["confusion_missing"].format(name=md_escape(name), run_id=rec.run_id)
                )
            else:
                got.setdefault(name, []).append(cm)
    # several seeds: the average seed's matrix (whole images, each row keeps its count)
    cms = {name: A.mean_confusion(found) for name, found in got.items()}
    if any(len(found) > 1 for found in got.values()):
        st.caption(TEXT["confusion_seeds"].format(n=max(len(f) for f in got.values())))
    if not cms:
        st.info(TEXT["confusion_wait"], icon=":material/hourglass_empty:")
        return
    colors, fs = P.variant_colors(variants), font_size()
    cols = st.columns(len(cms))
    for i, (col, (name, cm)) in enumerate(zip(cols, cms.items(), strict=True)):
        with col:
            acc = float(np.trace(cm) / max(cm.sum(), 1))
            st.markdown(f"**{md_escape(name)}** · {acc:.1%}")
            chart(st,
                PI.confusion_heatmap(cm, font_size=fs, color=colors[name], words=words),
                key=f"abl_cm_{i}", config=P.png_config(f"ablation_confusion_{i}"),
                width="stretch",
            )  # fmt: skip
    st.markdown(f"**{TEXT['per_class']}**")
    chart(st,
        PI.per_class_accuracy_bars(cms, colors, font_size=fs, words=words),
        key="abl_per_class", config=P.png_config("ablation_per_class"), width="stretch",
    )  # fmt: skip
    names = list(cms)
    if len(names) < 2:
        return
    base = names[0]
    st.markdown(f"**{TEXT['difference']}**")
    other = st.selectbox(
        TEXT["difference_pick"].format(base=md_escape(base)), names[1:], key="abl_diff_with"
    )
    try:
        lines = I.describe_difference(cms[base], cms[other], base, other,
                                      words=texts("insight")["difference_words"],
                                      names=class_names())  # fmt: skip
        fig = PI.difference_heatmap(cms[base], cms[other], base, other, font_size=fs,
                                    words=words)  # fmt: skip
    except I.InsightError as exc:  # different validation sets: said, not drawn
        st.warning(md_escape(message(exc)), icon=":material/info:")
        return
    c1, c2 = st.columns([3, 2])
    chart(c1, fig, key="abl_difference", config=P.png_config("ablation_difference"),
                    width="stretch")  # fmt: skip
    c1.caption(TEXT["difference_caption"].format(base=md_escape(base), other=md_escape(other)))
    c2.markdown("\n".join(f"- {md_escape(line)}" for line in lines))
