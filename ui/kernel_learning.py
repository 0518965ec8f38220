"""Widgets and live panel for the kernel-learning page (d2l 7.2).

The run lives in ``st.session_state["learn_runner"]`` (a :class:`cnnviz.kernel_learning
.KernelRunner`, whose thread never calls ``st.*``). Buttons only record what was asked
(:data:`ui.state.LEARN_ACTION`); the script acts on it once the current image and kernel are
known, so a changed setting and a click in the same interaction are handled in the right order.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import kernel_learning as kl
from cnnviz.kernels import KERNEL_PRESETS
from cnnviz.plots import kernel_learning as kplots
from ui import state
from ui.common import SHARE, chart, fragment, keyed_choice, md_escape
from ui.i18n import message, texts
from ui.images import SOURCES
from ui.kernels import PRESET_KEYS, kernel_labels

SEED_PRESET = "Edge [1, -1] (d2l)"
FROM_XCORR = "The kernel from the Cross-correlation page"
CUSTOM = "Custom (type it)"
POLL_S = 0.7  # how often the live panel redraws while a run goes
PACES = {"auto": "auto", "slow": 2.0, "steps10": 10.0, "full": None}  # key → steps/s
OLD_PACES = {  # what links made before the keys hold instead
    "auto (about 5 s per run)": "auto",
    "slow motion (2 steps/s)": "slow",
    "10 steps/s": "steps10",
    "full speed": "full",
}
# The targets' keys in the address (the presets' as on the other pages).
TARGET_KEYS = {**PRESET_KEYS, FROM_XCORR: "xcorr", CUSTOM: "typed"}
TEXT = texts("learn_kernel")  # with app_pages/learn_kernel.py


def faithful_settings() -> None:
    """on_click: put every widget back to the seed's setting (d2l 7.2)."""
    ss = st.session_state
    ss["learn_target"] = SEED_PRESET
    ss["learn_source"] = SOURCES[0]
    ss["learn_lr"] = kl.SEED_LR
    ss["learn_epochs"] = kl.SEED_NUM_EPOCHS
    ss["learn_seed"] = kl.FAITHFUL_SEED
    ss["learn_init"] = "random"
    ss["learn_reduction"] = "sum"
    state.LEARN_ACTION.set("reset")


def _target_labels():
    """The targets' names in the page's language (a closure: see ui.i18n.labels)."""
    names = {**{k: kernel_labels()(k) for k in KERNEL_PRESETS}, **TEXT["targets"]}
    return lambda option: names.get(option, option)


def target_kernel_ui():
    """The kernel to learn, as a float tensor, or None after showing what is wrong."""
    options = [*KERNEL_PRESETS, FROM_XCORR, CUSTOM]
    choice = keyed_choice(
        st.selectbox, TEXT["target"], options, key="learn_target", format_func=_target_labels(),
        url_keys=TARGET_KEYS,
    )  # fmt: skip
    if choice in KERNEL_PRESETS:
        return kl.as_kernel(KERNEL_PRESETS[choice])
    if choice == FROM_XCORR:
        current = state.CURRENT_KERNEL.get()
        if current is None:
            st.info(TEXT["no_xcorr"], icon=":material/info:")
            return kl.as_kernel(KERNEL_PRESETS[SEED_PRESET])
        raw = current
    else:
        raw = st.text_area(
            TEXT["custom"], "-1 0 1\n-2 0 2\n-1 0 1", key="learn_custom", height=110, bind=SHARE
        )
    try:
        return kl.parse_kernel(raw)
    except ValueError as exc:
        st.error(md_escape(message(exc)), icon=":material/error:")  # quotes what was typed
        return None


def train_settings_ui() -> dict:
    """lr, epochs, seed, init, loss and pace; returns them as a dict."""
    ss = st.session_state
    ss.setdefault("learn_lr", kl.SEED_LR)
    c1, c2 = st.columns(2)
    lr = c1.number_input(TEXT["lr"], 1e-9, 1e6, step=0.001, format="%g", key="learn_lr", bind=SHARE)
    epochs = c2.number_input(
        TEXT["epochs"], 1, 20_000, kl.SEED_NUM_EPOCHS, key="learn_epochs", bind=SHARE
    )
    seed = c1.number_input(
        TEXT["seed"], 0, 2**31 - 1, kl.FAITHFUL_SEED, key="learn_seed", bind=SHARE
    )
    init = keyed_choice(
        c2.selectbox, TEXT["init"], kl.INITS, key="learn_init",
        labels_of=("learn_kernel", "inits"),
    )  # fmt: skip
    reduction = keyed_choice(
        c1.radio, TEXT["reduction"], kl.REDUCTIONS, key="learn_reduction",
        labels_of=("learn_kernel", "reductions"),
    )  # fmt: skip
    pace = keyed_choice(
        c2.radio, TEXT["pace"], list(PACES), key="learn_pace", labels_of=("learn_kernel", "paces"),
        old=OLD_PACES,
    )  # fmt: skip
    return dict(lr=float(lr), epochs=int(epochs), seed=int(seed), init=init,
                reduction=reduction, pace=PACES[pace])  # fmt: skip


def _config_key(X, K, cfg: dict) -> str:
    h = hashlib.sha1(np.ascontiguousarray(X.numpy()).tobytes())
    h.update(repr((tuple(X.shape), K.tolist(), cfg["lr"], cfg["seed"])).encode())
    h.update(repr((cfg["init"], cfg["reduction"])).encode())
    return h.hexdigest()


def ensure_runner(X, K, cfg: dict) -> kl.KernelRunner:
    """The session's runner for these inputs; a changed setting or Reset starts a fresh one.

    Then acts on the button pressed (``learn_action``).
    """
    ss = st.session_state
    key = _config_key(X, K, cfg)
    action = state.LEARN_ACTION.pop()
    runner = ss.get("learn_runner")
    fresh = runner is None or ss.get("learn_runner_key") != key or action == "reset"
    if not fresh and action == "start" and not runner.running:
        fresh = len(runner.snapshot()) >= cfg["epochs"] or runner.diverged
    if fresh:
        if runner is not None:
            runner.stop()
        learner = kl.KernelLearner(X, K, cfg["lr"], cfg["seed"], cfg["init"], cfg["reduction"])
        runner = kl.KernelRunner(learner)
        ss["learn_runner"], ss["learn_runner_key"] = runner, key
    if action == "start":
        left = cfg["epochs"] - len(runner.snapshot())
        pace = cfg["pace"]
        runner.steps_per_second = max(2.0, cfg["epochs"] / 5) if pace == "auto" else pace
        runner.start(max(left, 1))
    elif action == "step":
        runner.step_once()
    elif action == "stop":
        runner.stop()
    return runner


def _ask(action: str) -> None:
    state.LEARN_ACTION.set(action)


def controls_ui(runner: kl.KernelRunner) -> None:
    """Start, Step, Stop, Reset: callbacks only record the request."""
    c = st.columns(4)
    running = runner.running
    c[0].button(TEXT["start"], key="learn_start", type="primary", icon=":material/play_arrow:",
                on_click=_ask, args=("start",), disabled=running, help=TEXT["start_help"],
                width="stretch")  # fmt: skip
    c[1].button(TEXT["step"], key="learn_step", icon=":material/skip_next:", on_click=_ask,
                args=("step",), disabled=running, width="stretch")  # fmt: skip
    c[2].button(TEXT["stop"], key="learn_stop", icon=":material/stop:", on_click=_ask,
                args=("stop",), disabled=not running, width="stretch")  # fmt: skip
    c[3].button(TEXT["reset"], key="learn_reset", icon=":material/restart_alt:", on_click=_ask,
                args=("reset",), width="stretch")  # fmt: skip


def lr_check_ui(runner: kl.KernelRunner, info: kl.Identifiability, cfg: dict) -> None:
    """Warn before a run that the lr is above the stability limit; offer the suggested one."""
    learner = runner.learner
    scale = learner.Y.numel() if cfg["reduction"] == "mean" else 1
    best = 0.99 * info.lr_suggested * scale  # 1% margin: rounding to 3 digits stays stable
    if cfg["lr"] > learner.lr_limit:
        st.warning(TEXT["above_limit"].format(lr=cfg["lr"], limit=learner.lr_limit, best=best),
                   icon=":material/warning:")  # fmt: skip
    if np.isfinite(best) and (cfg["lr"] > learner.lr_limit or cfg["lr"] < best / 20):
        st.button(f"{TEXT['suggest']} ({best:.3g})", key="learn_suggest", on_click=_set_lr,
                  args=(float(f"{best:.3g}"),))  # fmt: skip


def _divergence(text: str) -> str:
    """Why the run diverged, in the page's language (the learner wrote it in English)."""
    why = getattr(text, "params", None)
    if getattr(text, "key", None) != "learn.diverged" or not why:
        return text
    return kl.explain_divergence(**why, words=TEXT["diverge"])


def _set_lr(value: float) -> None:
    st.session_state["learn_lr"] = value


def _book_table(records) -> pd.DataFrame:
    """The seed's printout (epochs 2…10 and the kernel) beside this run's."""
    printed = [r for r in records[: kl.SEED_NUM_EPOCHS] if r.step % kl.SEED_PRINT_EVERY == 0]
    kernel = records[kl.SEED_NUM_EPOCHS - 1].kernel[0]
    rows = [TEXT["book_row"].format(n=r.step) for r in printed] + [TEXT["book_kernel"]]
    book = [f"{v:.3f}" for v in kl.SEED_LOSSES] + [str(list(kl.SEED_LEARNED))]
    ours = [f"{r.loss:.3f}" for r in printed] + [f"[{kernel[0]:.4f}, {kernel[1]:.4f}]"]
    return pd.DataFrame({TEXT["book"]: book, TEXT["ours"]: ours}, index=rows)


def live_panel_ui(runner: kl.KernelRunner, K, epochs: int, faithful: bool) -> None:
    """Status, loss curve and kernels; redraws itself every POLL_S seconds while a run goes."""
    st.session_state["learn_polling"] = runner.running

    @fragment(run_every=POLL_S if runner.running else None)
    def panel():
        records = runner.snapshot()
        if st.session_state.get("learn_polling") and not runner.running:
            st.session_state["learn_polling"] = False
            st.rerun()  # the run ended: redraw the page once, without polling
        scale = float(np.abs(K.numpy()).max()) or 1.0
        if not records:
            st.info(TEXT["idle"], icon=":material/touch_app:")
            c1, c2 = st.columns(2)
            c1.caption(TEXT["initial"])
            chart(c1, kplots.kernel_figure(runner.learner.kernel.tolist(), scale, 220),
                            key="learn_kernel_now")  # fmt: skip
            c2.caption(TEXT["target_caption"])
            chart(c2, kplots.kernel_figure(K.tolist(), scale, 220), key="learn_target_fig")
            return
        last = records[-1]
        status = TEXT["status"].format(n=last.step, total=epochs, loss=last.loss, err=last.error)
        st.caption(status + (f" · {TEXT['running']}" if runner.running else ""))
        if runner.error:
            st.error(TEXT["thread_error"].format(error=runner.error), icon=":material/error:")
        if last.diverged:
            st.error(_divergence(last.message), icon=":material/trending_up:")
        charts = TEXT["charts"]
        chart(st, kplots.loss_figure(records, labels=charts), key="learn_loss_chart")
        if runner.running or len(records) < epochs and not last.diverged:
            c1, c2 = st.columns(2)
            c1.caption(TEXT["now"].format(n=last.step))
            chart(c1, kplots.kernel_figure(last.kernel, scale, height=240),
                            key="learn_kernel_now")  # fmt: skip
            c2.caption(TEXT["target_caption"])
            chart(c2, kplots.kernel_figure(K.tolist(), scale, 240), key="learn_target_fig")
            st.caption(TEXT["paths"])
            chart(st, kplots.kernel_paths_figure(records, K.tolist(), 260, charts),
                            key="learn_paths")  # fmt: skip
            return
        if not last.diverged:
            st.success(TEXT["done"], icon=":material/check_circle:")
        chart(st, kplots.compare_figure(last.kernel, K.tolist(), labels=charts),
                        key="learn_compare")  # fmt: skip
        st.caption(TEXT["paths"])
        chart(st, kplots.kernel_paths_figure(records, K.tolist(), labels=charts),
                        key="learn_paths")  # fmt: skip
        if faithful and len(records) >= kl.SEED_NUM_EPOCHS:
            st.caption(TEXT["book_vs"])
            st.table(_book_table(records))

    panel()


@st.cache_data(max_entries=32, show_spinner=False)
def _identifiability(X: np.ndarray, K: tuple) -> kl.Identifiability:
    return kl.identifiability(X, np.asarray(K).shape, K)


def identifiability_for(X, K) -> kl.Identifiability:
    """Cached: what this image can teach about this kernel's size."""
    return _identifiability(X.numpy(), tuple(map(tuple, K.tolist())))


def identifiability_ui(info: kl.Identifiability) -> None:
    """The singular values of the patch matrix, and what they mean for this image."""
    with st.expander(TEXT["why"], expanded=info.rank < len(info.singular_values)):
        c1, c2 = st.columns([3, 2])
        c1.markdown(kl.explain_identifiability(info, TEXT["ident"]))
        chart(c2, kplots.singular_values_figure(info, 260, TEXT["charts"]),
                        key="learn_spectrum")  # fmt: skip
        if info.reachable is not None and info.target_hidden > 1e-3:
            st.caption(TEXT["reachable"])
            chart(st, kplots.kernel_figure(info.reachable, height=200), key="learn_reach")
