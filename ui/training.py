"""Streamlit helpers of the training page: the run form, the live run view, the runs table.

The runs themselves live in :mod:`cnnviz.runs` (worker processes and a SQLite store); these
helpers only read the store and the manager, so a run keeps going across reruns, page
switches and reloads, and the page finds it again through ``?run=<id>``, the session or the
newest live run.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import data as cdata
from cnnviz.data import TEXT_LABELS
from cnnviz.models import PRESETS
from cnnviz.plots.base import PALETTE
from cnnviz.plots.training import training_curves
from cnnviz.runfile import RunFileError
from cnnviz.runs import LIVE, RunManager, StoreError
from cnnviz.train import RunConfig, estimate_epoch_seconds, format_seconds, pick_device
from ui.common import data_or_message, font_size, md_escape
from ui.learned import follow_newest, learned_arrays, learned_charts_ui

TEXT = {
    "source": "Model",
    "source_preset": "A preset",
    "source_builder": "The builder's current model",
    "no_builder": "Design a model on the Architecture builder page first; until then, "
    "pick a preset.",
    "preset": "Preset",
    "epochs": "Epochs (num_epochs)",
    "lr": "Learning rate (lr)",
    "lr_help": "Empty: d2l's lr for this model ({lr}).",
    "batch": "Batch size",
    "subset": "Training examples",
    "subset_help": "Auto: the most examples (up to all 60,000) that keep an epoch near a "
    "minute on this device.",
    "subset_auto": "Auto ({n:,})",
    "device": "Device",
    "start": "Start training",
    "stop": "Stop",
    "estimate": "About **{epoch}** per epoch on {dev} ({n:,} training and {v:,} validation "
    "examples), **{total}** for {e} epochs.",
    "estimate_slow": "That is long for a class: choose fewer training examples, or a GPU.",
    "practical": "What is practical on this machine",
    "practical_body": (
        "cnnviz keeps Fashion-MNIST as one tensor and slices batches from it, so small "
        "networks train fast even on a laptop CPU:\n\n"
        "| model | input | one full epoch (60,000 images) on a 2-core CPU | on a GPU |\n"
        "|---|---|---|---|\n"
        "| LeNet | 28×28 | a few seconds | about a second |\n"
        "| VGG-small-56 | 56×56 | about 2 minutes | a few seconds |\n"
        "| ResNet-18 | 96×96 | about 12 minutes | about 5 seconds |\n"
        "| VGG-11 | 224×224 | hours | about a minute |\n\n"
        "On a CPU, train the bigger networks on a subset (the *Auto* size keeps an epoch "
        "near a minute): the curves show the same shapes, with lower accuracy. "
        "The book trains each model for 10 epochs on all 60,000 images with SGD and batch "
        "size 128; those are the defaults here."
    ),
    "no_data": "Training needs Fashion-MNIST; see the Fashion-MNIST data page.",
    "run_title": "Run",
    "no_runs": "No runs yet: choose a model above and press **Start training**.",
    "queued": "Queued: another run is training; this one starts when it ends.",
    "status": {
        "queued": ":material/schedule: queued",
        "running": ":material/play_circle: running",
        "finished": ":material/check_circle: finished",
        "stopped": ":material/stop_circle: stopped",
        "failed": ":material/error: failed",
        "interrupted": ":material/warning: interrupted",
    },
    "progress": "Epoch {e} of {n} · batch {b} of {nb} · running loss {loss:.3f}",
    "progress_epochs": "Epochs done: {d} of {n}",
    "all_runs": "All runs",
    "show": "Show run",
    "csv": "Metrics (CSV)",
    "ckpt": "Weights (.safetensors)",
    "store": "Runs are kept in `{root}` (set CNNVIZ_HOME to move them).",
    "import": "Import a run",
    "import_body": "Every run's **Weights (.safetensors)** file also carries the run itself: "
    "its settings and every epoch's metrics. Upload one here to bring the run into this store "
    "— for example one trained on a GPU machine with `python -m cnnviz train` (its file is in "
    "that store's `checkpoints` folder). Up to {mb} MB here (LeNet, ResNet-18, the adjusted "
    "VGG); larger files (VGG-small, VGG-11) on the machine that serves this page: "
    "`python -m cnnviz import FILE`.",
    "import_file": "A cnnviz weights file",
    "importing": "Checking and importing {name}…",
    "import_added": "Imported **{name}** ({e} of {n} epochs, {status}); it is shown above.",
    "import_known": "**{name}** is already in this store; it is shown above.",
    "learned": "What the first layer learned, epoch by epoch",
    "learned_intro": "The first convolution's kernels (red positive, blue negative) and its "
    "feature maps for one test image, after the activation, kept after every epoch: drag the "
    "slider to scrub through training. Epoch 0 is the Xavier initialisation. cnnviz goes "
    "further than the book here: d2l does not show what LeNet, VGG or ResNet learn.",
    "learned_soon": "The first layer appears here as soon as the run starts.",
    "learned_none": "This run has no epoch snapshots (it was trained before cnnviz kept them).",
    "scrub": "After epoch",
    "sample": "Test image",
    "sample_help": "Index into the 10,000 Fashion-MNIST test images.",
    "kernels": "First-layer kernels",
    "maps": "First-layer feature maps of test image {i} ({label})",
}
IMPORT_MB = 50  # = .streamlit/config.toml's maxUploadSize, which the server enforces
SUBSETS = ["auto", 1000, 2000, 5000, 10000, 30000, 60000]
AUTO_EPOCH_S = 60.0


def val_limit_for(limit: int | None) -> int | None:
    """Validate on the full test set for full runs, on a quarter of the subset size otherwise."""
    return None if limit is None else min(10000, max(1000, limit // 4))


@st.cache_data(show_spinner=False)
def _estimate(spec, n: int, device_type: str) -> float:
    v = val_limit_for(None if n >= 60000 else n) or 10000
    return estimate_epoch_seconds(spec, n, v, device_type)


def auto_limit(spec, device_type: str) -> int:
    """The largest subset size whose epoch takes about a minute here (at least 1,000)."""
    fits = [n for n in SUBSETS[1:] if _estimate(spec, n, device_type) <= AUTO_EPOCH_S]
    return fits[-1] if fits else SUBSETS[1]


def _start(mgr: RunManager) -> None:
    # Read the widgets here, not through bound args: those date from the previous run.
    spec, preset, name = _chosen_model()
    config, _, _ = _config(spec)
    try:
        run_id = mgr.submit(config, name=name, preset=preset)
    except ValueError as exc:
        st.session_state["train_start_error"] = str(exc)
        return
    select_run(run_id)


def _chosen_model():
    """(spec, preset or None, run name) from the form's widgets."""
    ss = st.session_state
    builder_spec = ss.get("builder_spec")
    if ss.get("train_source") == TEXT["source_builder"] and builder_spec is not None:
        return builder_spec, None, f"builder {builder_spec.family}"
    preset = ss.get("train_preset", "LeNet")
    return PRESETS[preset], preset, preset


def _config(spec) -> tuple[RunConfig, int, str]:
    """(config, training examples, device type) from the form's widgets."""
    ss = st.session_state
    device = ss.get("train_device") or "auto"
    dev_type = pick_device(device)[0].type
    subset = ss.get("train_subset", "auto")
    n = auto_limit(spec, dev_type) if subset == "auto" else int(subset)
    limit = None if n >= 60000 else n
    config = RunConfig(
        spec, int(ss.get("train_epochs", 10)), ss.get("train_lr"),
        int(ss.get("train_batch", 128)), limit, val_limit_for(limit), device=device,
    )  # fmt: skip
    return config, n, dev_type


def _show_changed(run_ids: list[str]) -> None:
    if st.session_state.get("train_show") in run_ids:
        select_run(st.session_state["train_show"])


def select_run(run_id: str) -> None:
    st.session_state["train_run_id"] = run_id
    st.query_params["run"] = run_id


def run_form_ui(mgr: RunManager, device_choice: str) -> None:
    """Model, epochs, lr, batch size, subset and device; Start submits the run."""
    c1, c2, c3 = st.columns([2, 1, 1])
    source = c1.radio(
        TEXT["source"], [TEXT["source_preset"], TEXT["source_builder"]],
        horizontal=True, key="train_source",
    )  # fmt: skip
    if source == TEXT["source_builder"] and st.session_state.get("builder_spec") is None:
        c1.info(TEXT["no_builder"], icon=":material/account_tree:")
    if source == TEXT["source_preset"] or st.session_state.get("builder_spec") is None:
        c1.selectbox(TEXT["preset"], list(PRESETS), key="train_preset")
    spec, _, name = _chosen_model()
    if source == TEXT["source_builder"] and st.session_state.get("builder_spec") is not None:
        c1.markdown(f"**{name}**: `{spec}`")
    c1.segmented_control(
        TEXT["device"], ["auto", "cpu", "cuda"], default=device_choice, key="train_device"
    )
    c2.number_input(TEXT["epochs"], 1, 200, 10, key="train_epochs")
    c2.number_input(
        TEXT["lr"], min_value=1e-5, max_value=10.0, value=None, format="%.4f",
        placeholder=f"{spec.lr}", help=TEXT["lr_help"].format(lr=spec.lr), key="train_lr",
    )  # fmt: skip
    c3.selectbox(TEXT["batch"], [32, 64, 128, 256, 512], index=2, key="train_batch")
    dev_type = pick_device(st.session_state.get("train_device") or "auto")[0].type
    auto_n = auto_limit(spec, dev_type)
    c3.selectbox(
        TEXT["subset"], SUBSETS, key="train_subset", help=TEXT["subset_help"],
        format_func=lambda n: TEXT["subset_auto"].format(n=auto_n) if n == "auto" else f"{n:,}",
    )  # fmt: skip
    config, n, dev_type = _config(spec)
    num_epochs = config.num_epochs
    per_epoch = _estimate(spec, n, dev_type)
    st.markdown(TEXT["estimate"].format(
        epoch=format_seconds(per_epoch), dev=dev_type.upper(), n=n, v=config.val_limit or 10000,
        total=format_seconds(per_epoch * num_epochs), e=num_epochs,
    ))  # fmt: skip
    if per_epoch * num_epochs > 600:
        st.warning(TEXT["estimate_slow"], icon=":material/hourglass_top:")
    found, _ = cdata.dataset_status()
    if not found:
        st.warning(TEXT["no_data"], icon=":material/inventory_2:")
    st.button(
        TEXT["start"], type="primary", icon=":material/play_arrow:", key="train_start",
        disabled=not found, on_click=_start, args=(mgr,),
    )  # fmt: skip
    if err := st.session_state.pop("train_start_error", None):
        st.error(md_escape(err))


def current_run_id(mgr: RunManager) -> str | None:
    """``?run=<id>``, else the session's run, else the newest live run, else the newest run."""
    store, ss = mgr.store, st.session_state
    qp = st.query_params.get("run")
    if qp and qp != ss.get("train_run_id") and store.exists(qp):
        ss["train_run_id"] = qp
    run_id = ss.get("train_run_id")
    if not run_id or not store.exists(run_id):
        df = store.list_runs()
        live = df[df["status"].isin(LIVE)]
        pick = live if len(live) else df
        run_id = str(pick["run_id"].iloc[0]) if len(pick) else None
        ss["train_run_id"] = run_id
    if run_id:
        # Always written: st.navigation may have dropped it from the browser's URL while the
        # server still holds the old value.
        st.query_params["run"] = run_id
    return run_id


def readable_run(mgr: RunManager, run_id: str) -> bool:
    """Whether the run can be shown; if not (a damaged row), the page says why instead."""
    try:
        mgr.store.get(run_id)
    except StoreError as exc:
        st.error(md_escape(exc), icon=":material/database:")
        return False
    return True


def run_view_ui(mgr: RunManager, run_id: str) -> None:
    """Status, progress bar and curves of one run, refreshed every second while it is live."""
    was_live = mgr.status(run_id) in LIVE
    # Until the first point arrives, look four times a second (it comes within a second of
    # Start from a warm worker); then once a second, which leaves the cores to training.
    waiting = was_live and mgr.progress(run_id) is None and not mgr.store.get(run_id).epochs_done

    @st.fragment(run_every=(0.25 if waiting else 1.0) if was_live else None)
    def view():
        rec = mgr.store.get(run_id)
        metrics = mgr.store.metrics(run_id)
        n, done = rec.config.num_epochs, len(metrics)
        st.markdown(f"**{md_escape(rec.name)}** · `{run_id}` · {TEXT['status'][rec.status]}")
        prog = mgr.progress(run_id) if rec.status == "running" else None
        frac, text = done / n, None
        if prog and prog["epoch"] > done:
            frac += prog["batch"] / prog["num_batches"] / n
            text = TEXT["progress"].format(
                e=prog["epoch"], n=n, b=prog["batch"], nb=prog["num_batches"], loss=prog["loss"]
            )
        st.progress(min(frac, 1.0), text=text)
        st.caption(TEXT["progress_epochs"].format(d=done, n=n))
        if rec.status == "queued":
            st.info(TEXT["queued"], icon=":material/schedule:")
        if rec.notice:
            st.info(md_escape(rec.notice), icon=":material/memory:")
        if rec.error and rec.status in ("failed", "interrupted"):
            show = st.error if rec.status == "failed" else st.warning
            show(md_escape(rec.error))
        if done:
            last = metrics.iloc[-1]
            m1, m2, m3, m4 = st.columns(4)
            m1.metric("val acc", f"{last['val_acc']:.3f}")
            m2.metric("train acc", f"{last['train_acc']:.3f}")
            m3.metric("train loss", f"{last['train_loss']:.3f}")
            m4.metric("examples/s", f"{last['examples_per_s']:,.0f}")
        fig = training_curves(metrics, n, mgr.progress_history(run_id), font_size=font_size())
        st.plotly_chart(fig, key="train_curves", config={"displaylogo": False})
        if rec.status in LIVE:
            st.button(TEXT["stop"], icon=":material/stop:", key="train_stop",
                      on_click=mgr.stop, args=(run_id,))  # fmt: skip
        elif was_live:
            st.rerun()  # the run ended: a full rerun stops polling and refreshes the table
        if waiting and (prog or done):
            st.rerun()  # the first point is drawn: poll once a second from now on

    view()


def downloads_ui(mgr: RunManager, run_id: str) -> None:
    """The metrics as CSV and the weights as safetensors, both made only when clicked (a
    static file would be replaced on every rerun, racing the browser's check of its URL)."""
    path = mgr.store.checkpoint_path(run_id)
    row = st.container(horizontal=True)  # buttons as wide as their labels (presenter mode)
    row.download_button(
        TEXT["csv"], lambda: mgr.store.metrics(run_id).to_csv(index=False),
        f"cnnviz-{run_id}-metrics.csv", "text/csv",
        key="train_dl_csv", icon=":material/download:", on_click="ignore",
        disabled=mgr.store.get(run_id).epochs_done == 0,
    )  # fmt: skip
    row.download_button(
        TEXT["ckpt"], lambda: path.read_bytes(), f"cnnviz-{run_id}.safetensors",
        "application/octet-stream", key="train_dl_ckpt", icon=":material/download:",
        on_click="ignore", disabled=not path.exists(),
    )  # fmt: skip


def runs_table_ui(mgr: RunManager, run_id: str | None) -> None:
    """Every run in the store, newest first, and a picker to show another one."""
    df = mgr.store.list_runs()
    if df.empty:
        st.info(TEXT["no_runs"], icon=":material/monitoring:")
        return
    cols = ["name", "status", "epochs_done", "num_epochs", "final_val_acc", "best_val_acc",
            "examples_per_s", "seconds", "device", "created", "run_id"]  # fmt: skip
    st.dataframe(
        df[cols], hide_index=True, key="train_table",
        column_config={
            "final_val_acc": st.column_config.NumberColumn("val acc", format="%.3f"),
            "best_val_acc": st.column_config.NumberColumn("best val acc", format="%.3f"),
            "examples_per_s": st.column_config.NumberColumn("examples/s", format="%.0f"),
            "seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
            "epochs_done": "epochs", "num_epochs": "of",
        },
    )  # fmt: skip
    # Labels must not change while a run lives: the widget keeps its value as the label.
    labels = {r.run_id: f"{r.name} · {r.created} · {r.run_id}" for r in df.itertuples()}
    if run_id in labels:
        st.session_state["train_show"] = run_id
    st.selectbox(
        TEXT["show"], list(labels), format_func=labels.get, key="train_show",
        on_change=_show_changed, args=(list(labels),),
    )  # fmt: skip
    st.caption(TEXT["store"].format(root=mgr.store.root))


def learned_ui(mgr: RunManager, run_id: str) -> None:
    """Scrub the first layer's kernels and feature maps through training (epoch 0 = init)."""
    st.subheader(TEXT["learned"])
    st.caption(TEXT["learned_intro"])
    epochs = mgr.store.snapshot_epochs(run_id)
    if not epochs:
        live = mgr.status(run_id) in LIVE
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
    shown = {"epoch 0 (init)": 0} if epoch else {}
    shown[f"after epoch {epoch}" if epoch else "epoch 0 (init)"] = epoch
    got = {name: learned_arrays(mgr, run_id, sample, e) for name, e in shown.items()}
    got = {name: g for name, g in got.items() if g is not None}
    if not got:
        st.info(TEXT["learned_none"], icon=":material/history:")
        return
    colors = {name: "#888888" if e == 0 else PALETTE[0] for name, e in shown.items()}
    label = TEXT_LABELS[int(data.test_labels[sample])]
    learned_charts_ui(
        got, colors, "train", TEXT["kernels"], TEXT["maps"].format(i=sample, label=label),
        png=(f"cnnviz-{run_id}-kernels", f"cnnviz-{run_id}-maps"),
    )  # fmt: skip


def import_ui(mgr: RunManager) -> None:
    """Bring a run back from its weights file; the imported run is then the one shown."""
    ss = st.session_state
    if ss.pop("train_import_open", False):  # the rerun after an import: keep its result shown
        ss["train_import_box"] = True
    box = st.expander(
        TEXT["import"], icon=":material/upload_file:", key="train_import_box", on_change="rerun"
    )
    with box:
        st.caption(TEXT["import_body"].format(mb=IMPORT_MB))
        file = st.file_uploader(
            TEXT["import_file"], type=["safetensors"], key="train_import",
            max_upload_size=IMPORT_MB,
        )  # fmt: skip
        if file is None:
            ss.pop("train_import_result", None)
            return
        file_id, text, run_id = ss.get("train_import_result", (None, "", None))
        if file_id != file.file_id:  # each upload is imported once
            with st.spinner(TEXT["importing"].format(name=md_escape(file.name))):
                text, run_id = _import(mgr, file)
            ss["train_import_result"] = (file.file_id, text, run_id)
            if run_id is not None:
                select_run(run_id)
                ss["train_import_open"] = True
                st.rerun()
        if run_id is not None:
            st.success(text, icon=":material/check_circle:")
        else:
            st.error(text, icon=":material/error:")


def _import(mgr: RunManager, file) -> tuple[str, str | None]:
    """(message, run_id), run_id None when the file was refused; never raises."""
    try:
        run_id, added = mgr.store.import_run(file.getvalue(), file.name)
    except RunFileError as exc:
        return md_escape(exc), None
    except Exception as exc:  # noqa: BLE001 - a disk or store error: say it, keep the page
        return md_escape(f"{file.name} could not be imported ({type(exc).__name__}: {exc})."), None
    rec = mgr.store.get(run_id)
    if not added:
        return TEXT["import_known"].format(name=md_escape(rec.name)), run_id
    text = TEXT["import_added"].format(
        name=md_escape(rec.name), e=rec.epochs_done, n=rec.config.num_epochs, status=rec.status
    )
    return text, run_id
