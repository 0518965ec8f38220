"""Pooling (d2l 7.5): max and average pooling with every nn.MaxPool2d parameter, which input
pixel won each window, the seed's printed outputs, and pooling's tolerance to small shifts
beside convolution's."""

import hashlib

import pandas as pd
import streamlit as st

from cnnviz import images, lessons, ops
from cnnviz.kernels import KERNEL_PRESETS, kernel_tensor
from cnnviz.plots import lessons as plots
from ui import image_source_ui, page_header
from ui.common import SHARE, chart, fragment, keyed_choice, md_escape
from ui.i18n import message, texts
from ui.images import display_name
from ui.kernels import kernel_choice

INPUTS = ("arange", "picker")  # stable keys in the URL; the catalog's "inputs" label them
OLD_INPUTS = {"arange(16) 4×4 (d2l 7.5)": "arange", "Image picker": "picker"}  # older links
SHIFT_INPUT, SHIFT_FINGERPRINT = "pool_shift_input", "pool_shift_input_id"  # section 2 → 3
TEXT = texts("pooling")

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])

# ---------------------------------------------------------------- 1. seed
st.header(TEXT["seed"])
cols = st.columns(2)
names = TEXT["seed_names"]
for k, (name, (code, Y)) in enumerate(lessons.seed_pool_examples().items()):
    cols[k % 2].code(f"# {names.get(name, name)}\n{code}\n{Y!r}", "python")
st.subheader(TEXT["table"])
defaults, meanings = TEXT["param_defaults"], TEXT["param_meanings"]
params = [(p, defaults.get(d, d), meanings.get(p, m)) for p, d, m in lessons.MAXPOOL_PARAMS]
st.dataframe(
    pd.DataFrame(params, columns=list(TEXT["columns"])),
    column_config=TEXT["columns"],
    hide_index=True,
    key="pool_params_table",
)


# ---------------------------------------------------------------- 2. interactive pooling
# Sections 2 and 3 are fragments: a parameter change reruns and redraws its section only.
def hand_over(X, label: str) -> None:
    """Section 3 works on section 2's input: keep it, and when a fragment run changed it, rerun
    the whole page so that section 3 follows."""
    fingerprint = (label, tuple(X.shape), hashlib.sha1(X.numpy().tobytes()).hexdigest())
    changed = st.session_state.get(SHIFT_FINGERPRINT) not in (None, fingerprint)
    st.session_state[SHIFT_FINGERPRINT] = fingerprint
    st.session_state[SHIFT_INPUT] = (X, label)
    if changed:
        st.rerun()


@st.cache_resource(max_entries=256, show_spinner=False)
def pooled(fingerprint: tuple, _X, s: lessons.PoolSettings, winners: bool, titles: tuple):
    """The pooling of one input (``fingerprint``: its name, shape and digest), its two charts
    and its index tensor as printed (when small), computed once per server for everyone at
    the same settings: a class that follows the teacher asks for the same ones at once. The
    figures are shared: never changed."""
    res = lessons.pool(_X, s)
    if winners:
        left = plots.winners_figure(_X, res.wins, titles[0])
    else:
        left = plots.heatmap_row([_X], [titles[1]], 420)
    indices = repr(res.indices) if res.indices is not None and res.indices.numel() <= 64 else None
    return res, left, plots.heatmap_row([res.Y], [titles[2]], 420), indices


@fragment
def interactive_pooling() -> None:
    st.header(TEXT["try"])
    left, right = st.columns([1, 2])
    with left:
        kind = keyed_choice(
            st.radio,
            TEXT["input"],
            INPUTS,
            key="pool_input",
            labels_of=("pooling", "inputs"),
            old=OLD_INPUTS,
            horizontal=True,
        )
        if kind == INPUTS[0]:
            X, label = lessons.seed_pool_input(), "arange(16)"
        else:
            loaded = image_source_ui("pool", max_side=64)
            X, label = (loaded.X[0], display_name(loaded.name)) if loaded else (None, "")
        mode = st.radio(TEXT["mode"], ("max", "avg"), key="pool_mode", bind=SHARE, horizontal=True)
        k = st.slider(TEXT["kernel_size"], 1, 7, 3, key="pool_kernel_size", bind=SHARE)
        same = st.checkbox(TEXT["stride_default"], False, key="pool_stride_default", bind=SHARE)
        stride = st.slider(TEXT["stride"], 1, 7, 2, key="pool_stride", bind=SHARE, disabled=same)
        padding = st.slider(TEXT["padding"], 0, 3, 1, key="pool_padding", bind=SHARE)
        dilation = st.slider(TEXT["dilation"], 1, 3, 1, key="pool_dilation", bind=SHARE)
        ceil_mode = st.toggle(TEXT["ceil_mode"], False, key="pool_ceil_mode", bind=SHARE)
        want_idx = st.toggle(TEXT["return_indices"], True, key="pool_return_indices", bind=SHARE)
    if X is None:  # a bad upload: its message is shown; section 3 waits for a good input
        if st.session_state.pop(SHIFT_INPUT, None) is not None:
            st.rerun()  # section 3 on screen worked on the input that is gone: it goes too
        return
    hand_over(X, label)
    s = lessons.PoolSettings(k, None if same else stride, padding, dilation, ceil_mode, mode)
    with right:
        st.code(f"# X: {label} {tuple(X.shape)}\nY = {s.code(want_idx)}(X)", "python")
        problems = lessons.pool_problems(*X.shape, s)
        for problem in problems:
            st.error(message(problem), icon=":material/block:")
        if not problems:
            winners = mode == "max" and want_idx
            titles = (TEXT["winners"], TEXT["input_title"], TEXT["output_title"].format(mode=mode))
            res, left, right, indices = pooled(st.session_state[SHIFT_FINGERPRINT], X, s, winners,
                                               titles)  # fmt: skip
            lines = ops.shape_formula(X.shape, k, padding, s.step, dilation, ceil_mode)
            st.code(f"h: {lines[0]}\nw: {lines[1]}", None)
            m = st.columns(3)
            m[0].metric(TEXT["out_shape"], "×".join(map(str, res.Y.shape)))
            m[1].metric(TEXT["out_sum"], f"{float(res.Y.sum()):.4g}")
            loop = "–" if res.loop_diff is None else f"{res.loop_diff:.2g}"
            m[2].metric("max |loop − torch|", loop, help=TEXT["loop_help"])
            c1, c2 = st.columns(2)
            if winners:
                chart(c1, left, key="pool_winners")
            else:
                chart(c1, left, key="pool_input_chart")
                if mode == "max":
                    c1.info(TEXT["no_indices"], icon=":material/info:")
            chart(c2, right, key="pool_output")
            if mode == "max" and want_idx and indices is not None:
                st.code(f"{TEXT['indices'].format(w=X.shape[1])}\n{indices}")


interactive_pooling()


# ---------------------------------------------------------------- 3. shift tolerance
@fragment
def shift_tolerance() -> None:
    st.header(TEXT["shift"])
    st.caption(TEXT["shift_help"])
    handed = st.session_state.get(SHIFT_INPUT)
    if handed is None:  # rerun on its own after section 2 lost its input: the page follows
        return
    X, label = handed
    if min(X.shape) < 8:
        X, label = images.seed_stripes(), TEXT["too_small_input"]
    c = st.columns(3)
    kname = kernel_choice(c[0].selectbox, TEXT["kernel"], list(KERNEL_PRESETS),
                          key="pool_shift_kernel")  # fmt: skip
    dx = c[1].slider(TEXT["shift_by"], -3, 3, 1, key="pool_shift", bind=SHARE)
    size = c[2].slider(TEXT["window"], 2, 4, 2, key="pool_shift_size", bind=SHARE)
    K = kernel_tensor(kname)
    if min(X.shape) < max(K.shape) + size - 1:
        st.warning(TEXT["too_small"])
        return
    tol = lessons.shift_tolerance(X, K, dx, size)
    st.caption(TEXT["input_caption"].format(label=md_escape(label)))
    m = st.columns(4)
    m[0].metric(TEXT["conv_changed"], f"{tol.conv_changed:.0%}")
    m[1].metric(TEXT["pooled_changed"], f"{tol.pooled_changed:.0%}", help=TEXT["pooled_help"])
    m[2].metric(TEXT["conv_change"], f"{tol.conv_change:.3f}", help=TEXT["mean_help"])
    m[3].metric(TEXT["pooled_change"], f"{tol.pooled_change:.3f}", help=TEXT["mean_help"])
    maps = [tol.conv, tol.conv_shifted, tol.pooled, tol.pooled_shifted]
    titles = ["conv(X)", TEXT["t_shifted"].format(dx=dx), "maxpool(conv(X))"]
    titles.append(TEXT["t_pool_shifted"].format(dx=dx))
    chart(
        st,
        plots.heatmap_row(maps, titles, cols=2, height=280, shared_scale=True, symmetric=True),
        key="pool_shift_chart",
    )


if SHIFT_INPUT in st.session_state:
    shift_tolerance()
