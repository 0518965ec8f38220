"""Batch normalization, watched (d2l 8.5).

LeNet with ``nn.BatchNorm2d`` and the same LeNet without batch norm train side by side in a
background thread (:class:`cnnviz.batchnorm_lesson.BNRunner`) while a fragment redraws one
layer's per-channel batch statistics beside its running averages and both loss curves. Below:
the same batch in training and prediction mode, and the book's from-scratch ``batch_norm``
beside ``nn.BatchNorm2d``. The settings live in the address like every lesson's.
"""

import pandas as pd
import streamlit as st

from cnnviz import batchnorm_lesson as bl
from cnnviz.plots import batch_norm as bplots
from ui import page_header, settings
from ui.common import SHARE, chart, data_or_message, fragment, keyed_choice
from ui.i18n import texts

TEXT = texts("batch_norm")
CHARTS = TEXT["charts"]
POLL_S = 0.7  # how often the live panel redraws while a run goes
PROBE = 128  # images in the train-against-eval batch
CHANNELS = {"bn1": 6, "bn2": 16}

settings()
page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])
ss = st.session_state


def _ask(action: str) -> None:
    ss["bn_action"] = action


left, right = st.columns([2, 5], gap="large")
with left:
    st.subheader(TEXT["setup"])
    lr = st.number_input(TEXT["lr"], 1e-4, 10.0, bl.DEFAULT_LR, step=0.1, format="%g",
                         key="bn_lr", bind=SHARE, help=TEXT["lr_help"])  # fmt: skip
    steps = st.number_input(TEXT["steps"], 10, bl.MAX_STEPS, bl.DEFAULT_STEPS, step=50,
                            key="bn_steps", bind=SHARE)  # fmt: skip
    layer = keyed_choice(st.radio, TEXT["layer"], bl.LAYERS, key="bn_layer",
                         labels_of=("batch_norm", "layers"))  # fmt: skip
    channel = st.number_input(TEXT["channel"], 0, CHANNELS[layer] - 1, 0, key=f"bn_channel_{layer}",
                              bind=SHARE)  # fmt: skip
    seed = st.number_input(TEXT["seed"], 0, 2**31 - 1, 0, key="bn_seed", bind=SHARE)
    st.caption(TEXT["subset"].format(n=bl.SUBSET, batch=bl.BATCH_SIZE))

data = data_or_message()
if data is None:
    st.stop()


@st.cache_resource(max_entries=4, show_spinner=False)  # shared read-only: never changed
def _subset(seed: int):
    return bl.fashion_subset(bl.SUBSET, seed, data=data)


X, y = _subset(int(seed))
key = (float(lr), layer, int(seed))
action = ss.pop("bn_action", None)
runner = ss.get("bn_runner")
if runner is None or ss.get("bn_runner_key") != key or action == "reset":
    if runner is not None:
        runner.stop()
    runner = bl.BNRunner(bl.BNComparison(X, y, lr=float(lr), layer=layer, seed=int(seed)))
    ss["bn_runner"], ss["bn_runner_key"] = runner, key
if action == "start":
    left_steps = int(steps) - len(runner.snapshot())
    runner.start(left_steps if left_steps > 0 else int(steps))
elif action == "stop":
    runner.stop()

with right:
    running = runner.running
    c = st.columns(3)
    c[0].button(TEXT["start"], key="bn_start", type="primary", icon=":material/play_arrow:",
                on_click=_ask, args=("start",), disabled=running, help=TEXT["start_help"],
                width="stretch")  # fmt: skip
    c[1].button(TEXT["stop"], key="bn_stop", icon=":material/stop:", on_click=_ask,
                args=("stop",), disabled=not running, width="stretch")  # fmt: skip
    c[2].button(TEXT["reset"], key="bn_reset", icon=":material/restart_alt:", on_click=_ask,
                args=("reset",), width="stretch")  # fmt: skip
    st.subheader(TEXT["live"])
    ss["bn_polling"] = running

    @fragment(run_every=POLL_S if running else None)
    def live():
        records = runner.snapshot()
        if ss.get("bn_polling") and not runner.running:
            ss["bn_polling"] = False
            st.rerun()  # the run ended: redraw the page once, without polling
        if runner.error:
            st.error(TEXT["thread_error"].format(error=runner.error), icon=":material/error:")
        if not records:
            st.info(TEXT["idle"], icon=":material/touch_app:")
            return
        last = records[-1]
        status = TEXT["status"].format(n=last.step, total=int(steps), bn=last.loss_bn,
                                       plain=last.loss_plain)  # fmt: skip
        st.caption(status + (f" · {TEXT['running']}" if runner.running else ""))
        st.caption(TEXT["over_time"].format(c=int(channel)))
        chart(st, bplots.stats_figure(records, int(channel), labels=CHARTS), key="bn_stats_chart")
        st.caption(TEXT["per_channel"].format(n=last.step))
        chart(st, bplots.channels_figure(last, labels=CHARTS), key="bn_channels_chart")
        st.subheader(TEXT["loss_head"])
        chart(st, bplots.loss_figure(records, labels=CHARTS), key="bn_loss_chart")
        st.caption(TEXT["loss_note"])

    live()

st.divider()
st.subheader(TEXT["train_eval"])
done = len(runner.snapshot())
net = runner.bn_net_copy()
if done:
    st.caption(TEXT["train_eval_when"].format(n=done, batch=PROBE))
else:
    st.caption(TEXT["train_eval_fresh"].format(batch=PROBE))
st.button(TEXT["refresh"], key="bn_refresh", icon=":material/refresh:")
te = bl.train_vs_eval(net, X[:PROBE], layer)
st.markdown(TEXT["train_eval_numbers"].format(max=te.max_diff, mean=te.mean_diff,
                                              agree=te.agree))  # fmt: skip
cols = [TEXT["col_batch_mean"], TEXT["col_running_mean"], TEXT["col_batch_var"],
        TEXT["col_running_var"]]  # fmt: skip
table = pd.DataFrame(
    {name: [f"{v:.4f}" for v in values] for name, values in zip(
        cols, (te.batch_mean, te.running_mean, te.batch_var, te.running_var), strict=True)},
)  # fmt: skip
table.index.name = TEXT["channel"]
st.caption(TEXT["stats_table"].format(layer=layer))
st.dataframe(table, key="bn_train_eval_table")
st.markdown(TEXT["train_eval_why"])

st.divider()
st.subheader(TEXT["scratch"])


@st.cache_data(max_entries=2, show_spinner=False)
def _scratch(seed: int) -> bl.ScratchVsTorch:
    Xs, _ = bl.fashion_subset(96, seed, data=data)
    return bl.scratch_vs_torch(bl.conv1_maps(Xs, seed).view(3, 32, 6, 24, 24), seed=seed)


sv = _scratch(int(seed))
st.markdown(TEXT["scratch_intro"].format(images=96, steps=sv.steps, n=sv.n))
rows = TEXT["rows"]
values = {"train_out": sv.train_out, "running_mean": sv.running_mean,
          "running_var": sv.running_var, "var_unbiased": sv.var_unbiased,
          "eval_out": sv.eval_out, "eval_same": sv.eval_same_stats}  # fmt: skip
st.table(pd.DataFrame({TEXT["quantity"]: [rows[k] for k in values],
                       TEXT["max_abs"]: [f"{v:.2e}" for v in values.values()]}))  # fmt: skip
st.caption(TEXT["var_note"].format(n=sv.n))
st.caption(TEXT["beyond"])
