"""Streamlit helpers of the training page: the run form, the live run view, the runs table.

The runs themselves live in :mod:`cnnviz.runs` (worker processes and a SQLite store); these
helpers only read the store and the manager, so a run keeps going across reruns, page
switches and reloads, and the page finds it again through ``?run=<id>``, the session or the
newest live run.
"""

from __future__ import annotations

import uuid

import streamlit as st

from cnnviz import classroom as C
from cnnviz import data as cdata
from cnnviz import frames as F
from cnnviz.device import pick_device
from cnnviz.errors import plain_name
from cnnviz.estimates import sizes
from cnnviz.models import PRESETS
from cnnviz.plots.base import PALETTE
from cnnviz.plots.training import training_curves
from cnnviz.run_times import run_estimate, time_left
from cnnviz.runfile import RunFileError
from cnnviz.runs import LIVE, RunManager, RunNotFoundError, StoreError
from cnnviz.runs.service import RunAccessError
from cnnviz.train import RunConfig
from ui import state
from ui.common import (
    SHARE,
    chart,
    class_names,
    data_or_message,
    duration,
    duration_span,
    error_words,
    estimate_basis,
    estimate_text,
    font_size,
    fragment,
    keyed_choice,
    md_escape,
    run_error_alert,
    run_notice,
)
from ui.i18n import message, texts
from ui.identity import current_user
from ui.learned import follow_newest, learned_arrays, learned_charts_ui
from ui.runs import service

TEXT = texts("training")  # ui/locales/*/training.py
IMPORT_MB = 50  # = .streamlit/config.toml's maxUploadSize, which the server enforces
SUBSETS = ["auto", 1000, 2000, 5000, 10000, 30000, 60000]
AUTO_EPOCH_S = 60.0


def val_limit_for(limit: int | None) -> int | None:
    """Validate on the full test set for full runs, on a quarter of the subset size otherwise."""
    return None if limit is None else min(10000, max(1000, limit // 4))


# The import box's types: a MIME type too, so that Streamlit leaves the file's name alone (with
# an extension only, it refuses weights.png or run.bin with an exception before the page
# runs); the file's content says whether it is a run (cnnviz.runfile).
RUN_FILE_TYPES = ["safetensors", "application/octet-stream"]
SLOW_START_BATCHES = 1_000  # sigmoid LeNet at lr 0.1 starts to learn after a few hundred


def auto_limit(mgr: RunManager, spec, device: str) -> int:
    """The largest subset whose epoch takes about a minute here (at least 1,000)."""
    fits = [
        n for n in SUBSETS[1:]
        if run_estimate(mgr, RunConfig(spec, 1, limit=n, val_limit=val_limit_for(n),
                                       device=device)).seconds <= AUTO_EPOCH_S
    ]  # fmt: skip
    return fits[-1] if fits else SUBSETS[1]


PRESS_TOKEN = "train_press_token"


def press_token() -> str:
    """The token the form's next Start submits with its run: made when the form is drawn,
    bound to the button drawn with it, and renewed once a press has queued its run. The same
    press arriving twice (a replayed trigger) carries the same token, and the store gives
    back the run it queued instead of queueing another."""
    if PRESS_TOKEN not in st.session_state:
        st.session_state[PRESS_TOKEN] = uuid.uuid4().hex
    return st.session_state[PRESS_TOKEN]


def _start(mgr: RunManager, token: str | None = None) -> None:
    # Read the widgets here, not through bound args: those date from the previous run.
    spec, preset, name = _chosen_model()
    config = _config(mgr, spec)
    try:
        run_id = service(mgr).submit_run(
            current_user(), config, name=name, preset=preset,
            estimate_s=run_estimate(mgr, config).seconds, submit_token=token,
        )  # fmt: skip
    except (ValueError, StoreError) as exc:  # cannot train, a class limit, a locked store
        state.TRAIN_START_ERROR.set(message(exc))
        return
    if st.session_state.get(PRESS_TOKEN) == token:
        del st.session_state[PRESS_TOKEN]  # this press is spent: the next one gets a new token
    select_run(run_id)


def _chosen_model():
    """(spec, preset or None, run name) from the form's widgets."""
    ss = st.session_state
    builder_spec = state.BUILDER_SPEC.get()
    if ss.get("train_source") == "builder" and builder_spec is not None:
        return builder_spec, None, f"builder {builder_spec.family}"
    preset = ss.get("train_preset") or "LeNet"
    return PRESETS[preset], preset, preset


def _config(mgr: RunManager, spec) -> RunConfig:
    """The run the form describes."""
    ss = st.session_state
    device = ss.get("train_device") or "auto"
    subset = ss.get("train_subset", "auto")
    n = auto_limit(mgr, spec, device) if subset == "auto" else int(subset)
    limit = None if n >= 60000 else n
    return RunConfig(
        spec, int(ss.get("train_epochs", 10)), ss.get("train_lr"),
        int(ss.get("train_batch", 128)), limit, val_limit_for(limit), device=device,
    )  # fmt: skip


def _use_relu() -> None:
    st.session_state["train_source"] = "preset"
    st.session_state["train_preset"] = "LeNet-ReLU"


def show_key(run_id: str | None) -> str:
    """The run picker's key, one per shown run. After Start the server shows the new run, but
    the browser can still send the previous picker's value on the next rerun (the page flipped
    back to the previous run, then forth): with a key per run, that stale value names a
    picker no longer shown, and :func:`_show_changed` ignores it."""
    return f"train_show_{run_id}" if run_id else "train_show"


def _show_changed(key: str, run_ids: list[str]) -> None:
    if key != show_key(state.TRAIN_RUN_ID.get()):
        return  # the picker of a run no longer shown
    if (picked := st.session_state.get(key)) in run_ids:
        select_run(picked)


def select_run(run_id: str) -> None:
    if (shown := state.TRAIN_RUN_ID.get()) and shown != run_id:
        state.TRAIN_RUN_LEFT.set((shown, True))
    state.TRAIN_RUN_ID.set(run_id)
    st.query_params["run"] = run_id


def run_form_ui(mgr: RunManager, device_choice: str) -> None:
    """Model, epochs, lr, batch size, subset and device (all kept in the page's address, so a
    reload or a shared link opens the form as it was set); Start submits the run."""
    c1, c2, c3 = st.columns([2, 1, 1])
    source = keyed_choice(
        c1.radio, TEXT["source"], ("preset", "builder"), key="train_source",
        labels_of=("training", "sources"), horizontal=True,
    )  # fmt: skip
    if source == "builder" and state.BUILDER_SPEC.get() is None:
        c1.info(TEXT["no_builder"], icon=":material/account_tree:")
    if source == "preset" or state.BUILDER_SPEC.get() is None:
        c1.selectbox(TEXT["preset"], list(PRESETS), key="train_preset", bind=SHARE)
    spec, preset, name = _chosen_model()
    if source == "builder" and state.BUILDER_SPEC.get() is not None:
        c1.markdown(f"**{name}**: `{spec}`")
    c1.segmented_control(
        TEXT["device"], ["auto", "cpu", "cuda"], default=device_choice, key="train_device",
        bind=SHARE,
    )  # fmt: skip
    c2.number_input(TEXT["epochs"], 1, 200, 10, key="train_epochs", bind=SHARE)
    c2.number_input(
        TEXT["lr"], min_value=1e-5, max_value=10.0, value=None, format="%.4f",
        placeholder=f"{spec.lr}", help=TEXT["lr_help"].format(lr=spec.lr), key="train_lr",
        bind=SHARE,
    )  # fmt: skip
    c3.selectbox(TEXT["batch"], [32, 64, 128, 256, 512], index=2, key="train_batch", bind=SHARE)
    device = st.session_state.get("train_device") or "auto"
    keyed_choice(  # in the address as "auto" or the number (older links: "60,000")
        c3.selectbox, TEXT["subset"], SUBSETS, key="train_subset",
        help=TEXT["subset_help"].format(n=auto_limit(mgr, spec, device)),
        format_func=lambda n, auto=TEXT["subset_auto"]: auto if n == "auto" else f"{n:,}",
    )  # fmt: skip
    config = _config(mgr, spec)
    est = run_estimate(mgr, config)
    n, v = sizes(config)
    total, rng = duration(est.seconds), duration_span(est.low, est.high)
    st.markdown(TEXT["estimate_one" if rng == total else "estimate"].format(
        total=total, span=rng,
        dev=pick_device(device)[0].type.upper(), n=n, v=v, e=config.num_epochs,
        basis=estimate_basis(est),
    ))  # fmt: skip
    if est.seconds > 600:
        st.warning(TEXT["estimate_slow"], icon=":material/hourglass_top:")
    batches = -(-n // config.batch_size) * config.num_epochs
    if preset == "LeNet" and batches < SLOW_START_BATCHES:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(TEXT["slow_start"].format(k=batches))
            st.button(TEXT["use_relu"], key="train_use_relu", on_click=_use_relu,
                      icon=":material/bolt:")  # fmt: skip
    found, _ = cdata.dataset_status()
    if not found:
        st.warning(TEXT["no_data"], icon=":material/inventory_2:")
    st.button(
        TEXT["start"], type="primary", icon=":material/play_arrow:", key="train_start",
        disabled=not found, on_click=_start, args=(mgr, press_token()),
    )  # fmt: skip
    if err := state.TRAIN_START_ERROR.pop():
        st.error(md_escape(err), icon=":material/block:")


def current_run_id(mgr: RunManager) -> str | None:
    """``?run=<id>`` (if this user may see it), else the session's run, else this user's newest
    live run, else their newest run. Never someone else's run unless a link names it."""
    svc, user = service(mgr), current_user()
    qp = st.query_params.get("run")
    left, switched_now = state.TRAIN_RUN_LEFT.get() or (None, False)
    if switched_now:  # this run's own callback switched: the address is the server's
        state.TRAIN_RUN_LEFT.set((left, False))
    elif qp == state.TRAIN_RUN_ID.get():
        state.TRAIN_RUN_LEFT.set(None)  # the browser's address has caught up with the switch
    elif qp is not None and qp == left:
        qp = None  # the address from before the last switch, sent by a rerun in flight
    if qp and qp != state.TRAIN_RUN_ID.get():
        try:
            svc.check_view(user, qp)  # a damaged run is shown, with what is wrong with it
            state.TRAIN_RUN_ID.set(qp)
        except RunAccessError as exc:  # its id is a stored run's (lowercase hex): no markup
            st.warning(message(exc), icon=":material/lock:")
        except StoreError:  # no such run (or a damaged row): the page goes on without it
            pass
    run_id = state.TRAIN_RUN_ID.get()
    if not run_id or not svc.exists(user, run_id):
        mine = [r for r in svc.list_runs(user) if r.user == user.id]
        live = [r for r in mine if r.status in LIVE]
        pick = live or mine
        run_id = pick[0].run_id if pick else None
        state.TRAIN_RUN_ID.set(run_id)
    if run_id:
        # Always written: st.navigation may have dropped it from the browser's URL while the
        # server still holds the old value.
        st.query_params["run"] = run_id
    elif "run" in st.query_params:
        del st.query_params["run"]
    return run_id


def readable_run(mgr: RunManager, run_id: str) -> bool:
    """Whether the run can be shown; if not (a damaged row), the page says why instead."""
    try:
        service(mgr).get(current_user(), run_id)
    except (StoreError, RunAccessError) as exc:
        st.error(md_escape(message(exc)), icon=":material/database:")
        return False
    return True


def run_view_ui(mgr: RunManager, run_id: str) -> None:
    """Status, progress bar and curves of one run, refreshed every second while it is live."""
    svc, user = service(mgr), current_user()
    was_live = svc.status(user, run_id) in LIVE
    controls = svc.may_control(user, run_id)
    owner_label = _owner_label(svc.owner(user, run_id), user)
    # Until the first point arrives, look four times a second (it comes within a second of
    # Start from a warm worker); then once a second, which leaves the cores to training.
    waiting = (
        was_live and svc.progress(user, run_id) is None and not svc.get(user, run_id).epochs_done
    )

    @fragment(run_every=(0.25 if waiting else 1.0) if was_live else None)
    def view():
        try:
            rec = svc.get(user, run_id)
        except RunNotFoundError:  # deleted in another browser: the next full run says so
            st.rerun()
        except RunAccessError as exc:  # the teacher closed shared links meanwhile
            st.warning(md_escape(message(exc)), icon=":material/lock:")
            return
        metrics = F.metrics_table(svc.metrics(user, run_id))
        n, done = rec.config.num_epochs, len(metrics)
        st.markdown(f"**{md_escape(rec.name)}** · `{run_id}` · {TEXT['status'][rec.status]}")
        prog = svc.progress(user, run_id) if rec.status == "running" else None
        frac, text = done / n, None
        if prog and prog["epoch"] > done:
            frac += prog["batch"] / prog["num_batches"] / n
            text = TEXT["progress"].format(
                e=prog["epoch"], n=n, b=prog["batch"], nb=prog["num_batches"], loss=prog["loss"]
            )
        st.progress(min(frac, 1.0), text=text)
        st.caption(TEXT["progress_epochs"].format(d=done, n=n))
        if rec.status == "queued":
            pos = mgr.queue_positions().get(run_id)
            text = TEXT["queued"].format(pos=pos) if pos else TEXT["queued_unknown"]
            if wait := time_left(mgr, rec):
                text += " " + TEXT["starts_in"].format(t=estimate_text(wait))
            st.info(text, icon=":material/schedule:")
        elif rec.status == "running" and (left := time_left(mgr, rec)) is not None:
            t, rng = duration(left.seconds), duration_span(left.low, left.high)
            st.caption(TEXT["left_one" if rng == t else "left"].format(
                left=t, span=rng, basis=estimate_basis(left),
            ))  # fmt: skip
        if not controls:
            st.caption(TEXT["not_yours"].format(owner=owner_label))
        if rec.notice:
            st.info(run_notice(rec), icon=":material/memory:")
        run_error_alert(rec)  # cnnviz's own (out of memory, cut off): the page's language
        if done:
            last = F.records(metrics.tail(1))[0]  # a diverged run's metric is None, not NaN

            def shown(v, fmt: str) -> str:
                return "—" if v is None else format(v, fmt)

            m1, m2, m3, m4 = st.columns(4)
            m1.metric(TEXT["m_val_acc"], shown(last.val_acc, ".3f"))
            m2.metric(TEXT["m_train_acc"], shown(last.train_acc, ".3f"))
            m3.metric(TEXT["m_train_loss"], shown(last.train_loss, ".3f"))
            m4.metric(TEXT["m_examples"], shown(last.examples_per_s, ",.0f"))
        look = dict(font_size=font_size(), titles=(TEXT["chart_loss"], TEXT["chart_acc"]),
                    epoch_title=TEXT["chart_epoch"], names=TEXT["curves"])  # fmt: skip
        fig = training_curves(metrics, n, svc.points(user, run_id), **look)
        live = rec.status in LIVE
        chart(st, fig, key="train_curves", config={"displaylogo": False}, live=live,
              table_of=training_curves(metrics, n, **look) if live else None)  # fmt: skip
        if rec.status in LIVE and controls:
            st.button(TEXT["stop"], icon=":material/stop:", key="train_stop",
                      on_click=_stop, args=(mgr, run_id))  # fmt: skip
        elif was_live and rec.status not in LIVE:
            st.rerun()  # the run ended: a full rerun stops polling and refreshes the table
        if waiting and (prog or done):
            st.rerun()  # the first point is drawn: poll once a second from now on

    view()


def _stop(mgr: RunManager, run_id: str) -> None:
    try:  # the service checks again: a crafted request, or a role revoked meanwhile
        service(mgr).stop(current_user(), run_id)
    except (RunAccessError, StoreError) as exc:  # not found, a full disk
        state.TRAIN_START_ERROR.set(message(exc))


def _owner_label(owner: tuple[str | None, bool], user: C.User) -> str:
    uid, pinned = owner
    if uid is None:
        return TEXT["owner_class"]
    if uid == user.id:
        return TEXT["owner_you"]
    if pinned and not user.is_teacher:
        return TEXT["owner_pinned"]
    return TEXT["student"].format(uid=uid[:4])


def _delete(mgr: RunManager, run_id: str) -> None:
    svc, user = service(mgr), current_user()
    try:
        name = svc.get(user, run_id).name
        svc.delete(user, run_id)  # a live run is stopped first
    except (RunAccessError, StoreError) as exc:
        state.TRAIN_START_ERROR.set(message(exc))
        return
    state.TRAIN_RUN_ID.set(None)
    st.query_params.pop("run", None)
    st.toast(TEXT["deleted"].format(name=md_escape(name)), icon=":material/delete:")


def _pin(mgr: RunManager, run_id: str) -> None:
    try:
        service(mgr).pin(current_user(), run_id, st.session_state[f"train_pin_{run_id}"])
    except (RunAccessError, StoreError) as exc:
        state.TRAIN_START_ERROR.set(message(exc))


def run_actions_ui(mgr: RunManager, run_id: str) -> None:
    """Delete (the owner or the teacher) and pin for the class (the teacher)."""
    svc, user = service(mgr), current_user()
    if not svc.may_control(user, run_id):
        return
    row = st.container(horizontal=True)
    if svc.may_pin(user):
        st.session_state[f"train_pin_{run_id}"] = svc.owner(user, run_id)[1]
        row.toggle(TEXT["pin"], key=f"train_pin_{run_id}", help=TEXT["pin_help"],
                   on_change=_pin, args=(mgr, run_id))  # fmt: skip
    with row.popover(TEXT["delete"], icon=":material/delete:"):
        st.markdown(TEXT["delete_confirm"].format(name=md_escape(svc.get(user, run_id).name)))
        st.button(TEXT["delete_yes"], key="train_delete", type="primary",
                  on_click=_delete, args=(mgr, run_id))  # fmt: skip


def downloads_ui(mgr: RunManager, run_id: str) -> None:
    """The metrics as CSV and the weights as safetensors, both made only when clicked (a
    static file would be replaced on every rerun, racing the browser's check of its URL)."""
    svc, user = service(mgr), current_user()
    row = st.container(horizontal=True)  # buttons as wide as their labels (presenter mode)
    row.download_button(
        TEXT["csv"], lambda: F.metrics_table(svc.metrics(user, run_id)).to_csv(index=False),
        f"cnnviz-{run_id}-metrics.csv", "text/csv",
        key="train_dl_csv", icon=":material/download:", on_click="ignore",
        disabled=svc.get(user, run_id).epochs_done == 0,
    )  # fmt: skip
    damaged = svc.checkpoint_problem(user, run_id)  # never handed out as a run file
    row.download_button(
        TEXT["ckpt"], lambda: svc.checkpoint_bytes(user, run_id) or b"",
        f"cnnviz-{run_id}.safetensors", "application/octet-stream", key="train_dl_ckpt",
        icon=":material/download:", on_click="ignore",
        disabled=damaged is not None or not svc.has_checkpoint(user, run_id),
    )  # fmt: skip
    if damaged is not None:
        row.warning(md_escape(message(damaged)), icon=":material/error:")


def runs_table_ui(mgr: RunManager, run_id: str | None) -> None:
    """The runs this user may see (their own first; the teacher sees all, with owners), and a
    picker to show another one. Nothing when there are none: the page already says so."""
    user = current_user()
    rows = service(mgr).list_runs(user)
    if not rows:
        return
    df = F.table(rows).assign(owner=[
        TEXT["owner_you"] if r.user == user.id else TEXT["owner_class"] if r.user is None
        else TEXT["student"].format(uid=r.user[:4]) + (TEXT["pinned_suffix"] if r.pinned else "")
        for r in rows
    ], status=[TEXT["status_plain"].get(r.status, r.status or "") for r in rows])  # fmt: skip
    cols = ["name", "owner", "status", "epochs_done", "num_epochs", "final_val_acc",
            "best_val_acc", "examples_per_s", "seconds", "size_mb", "device", "created",
            "run_id"]  # fmt: skip
    if not user.is_teacher:
        st.caption(TEXT["your_runs"])
    names = TEXT["columns"]
    numbers = {"final_val_acc": "%.3f", "best_val_acc": "%.3f", "examples_per_s": "%.0f",
               "seconds": "%.1f", "size_mb": "%.1f"}  # fmt: skip
    st.dataframe(
        df[cols], hide_index=True, key="train_table",
        column_config={
            c: st.column_config.NumberColumn(names[c], format=numbers[c]) if c in numbers
            else names[c] for c in cols
        },
    )  # fmt: skip
    # Labels must not change while a run lives: the widget keeps its value as the label.
    labels = {r.run_id: f"{r.name} · {r.created} · {r.run_id}" for r in rows}
    ids = list(labels)
    key = show_key(run_id if run_id in labels else None)
    st.selectbox(
        TEXT["show"], ids, index=ids.index(run_id) if run_id in labels else 0,
        format_func=labels.get, key=key, on_change=_show_changed, args=(key, ids),
    )  # fmt: skip
    st.caption(TEXT["store"].format(root=mgr.store.root))


def learned_ui(mgr: RunManager, run_id: str) -> None:
    """Scrub the first layer's kernels and feature maps through training (epoch 0 = init)."""
    st.subheader(TEXT["learned"])
    st.caption(TEXT["learned_intro"])
    svc, user = service(mgr), current_user()
    epochs = svc.snapshot_epochs(user, run_id)
    if not epochs:
        live = mgr.status(run_id) in LIVE
        if not live and (damaged := svc.snapshots_problem(user, run_id)) is not None:
            st.warning(md_escape(message(damaged)), icon=":material/error:")  # not "none kept"
        else:
            st.info(TEXT["learned_soon" if live else "learned_none"], icon=":material/history:")
        return
    data = data_or_message()
    if data is None:
        return
    key = f"train_scrub_{run_id}"
    follow_newest(key, epochs)
    c1, c2 = st.columns([3, 1])
    with c1:
        if len(epochs) > 1:
            epoch = st.select_slider(TEXT["scrub"], options=epochs, key=key)
        else:
            epoch = epochs[0]
            st.caption(f"{TEXT['scrub']} {epoch}")
    sample = int(
        c2.number_input(TEXT["sample"], 0, 9_999, step=1, key="train_scrub_sample",
                        help=TEXT["sample_help"])
    )  # fmt: skip
    shown = {TEXT["epoch0"]: 0} if epoch else {}
    shown[TEXT["after_epoch"].format(epoch=epoch) if epoch else TEXT["epoch0"]] = epoch
    got = {name: learned_arrays(mgr, run_id, sample, e) for name, e in shown.items()}
    got = {name: g for name, g in got.items() if g is not None}
    if not got:
        st.info(TEXT["learned_none"], icon=":material/history:")
        return
    colors = {name: "#888888" if e == 0 else PALETTE[0] for name, e in shown.items()}
    label = class_names()[int(data.test_labels[sample])]
    learned_charts_ui(
        got, colors, "train", TEXT["kernels"], TEXT["maps"].format(i=sample, label=label),
        png=(f"cnnviz-{run_id}-kernels", f"cnnviz-{run_id}-maps"),
    )  # fmt: skip


def import_ui(mgr: RunManager) -> None:
    """Bring a run back from its weights file; the imported run is then the one shown."""
    ss = st.session_state
    if state.TRAIN_IMPORT_OPEN.pop():  # the rerun after an import: keep its result shown
        ss["train_import_box"] = True
    box = st.expander(
        TEXT["import"], icon=":material/upload_file:", key="train_import_box", on_change="rerun"
    )
    with box:
        st.caption(TEXT["import_body"].format(mb=IMPORT_MB))
        file = st.file_uploader(
            TEXT["import_file"], type=RUN_FILE_TYPES, key="train_import",
            max_upload_size=IMPORT_MB,
        )  # fmt: skip
        if file is None:
            state.TRAIN_IMPORT_RESULT.pop()
            return
        file_id, text, run_id = state.TRAIN_IMPORT_RESULT.get()
        if file_id != file.file_id:  # each upload is imported once
            with st.spinner(TEXT["importing"].format(name=md_escape(plain_name(file.name)))):
                text, run_id = _import(mgr, file)
            state.TRAIN_IMPORT_RESULT.set((file.file_id, text, run_id))
            if run_id is not None:
                select_run(run_id)
                state.TRAIN_IMPORT_OPEN.set(True)
                st.rerun()
        if run_id is not None:
            st.success(text, icon=":material/check_circle:")
        else:
            st.error(text, icon=":material/error:")


def _import(mgr: RunManager, file) -> tuple[str, str | None]:
    """(message, run_id), run_id None when the file was refused; never raises."""
    svc, user = service(mgr), current_user()
    try:
        run_id, added = svc.import_run(user, file.getvalue(), file.name)
    except RunFileError as exc:
        return md_escape(message(exc)), None
    except Exception as exc:  # noqa: BLE001 - a disk or store error: say it, keep the page
        error = error_words(exc)  # out of memory: our words
        name = plain_name(file.name)
        return md_escape(TEXT["import_failed"].format(name=name, error=error)), None
    rec = svc.get(user, run_id)
    if not added:
        return TEXT["import_known"].format(name=md_escape(rec.name)), run_id
    text = TEXT["import_added"].format(
        name=md_escape(rec.name), e=rec.epochs_done, n=rec.config.num_epochs,
        status=TEXT["status_plain"].get(rec.status, rec.status),
    )  # fmt: skip
    return text, run_id
