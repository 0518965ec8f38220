"""Channels (d2l 7.4): an RGB image split into its channels, a kernel per channel, the maps
summed; a bank of kernels giving a stack of output maps; and a 1×1 convolution computed as the
matrix product it is, checked against torch."""

import streamlit as st

from cnnviz import images, lessons
from cnnviz.kernels import KERNEL_PRESETS, kernel_tensor
from cnnviz.plots import lessons as plots
from ui import image_source_ui, page_header
from ui.common import SHARE, chart, fragment, keyed_choice, keyed_multi
from ui.i18n import texts
from ui.images import display_name
from ui.kernels import PRESET_KEYS, kernel_choice, kernel_label

MAX_SIDE = 128  # six maps of an upload stay quick to draw at this size
CHANNELS = ("red", "green", "blue")
BANKS = ("seed", "presets")  # stable keys in the URL; the catalog's "banks" label them
OLD_BANKS = {  # what links made before the keys hold instead
    "Seed: K, K + 1, K + 2 on the seed's X": "seed",
    "Kernel presets on your image": "presets",
}
TEXT = texts("channels")

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])

# ---------------------------------------------------------------- 1. multiple input channels
st.header(TEXT["multi_in"])
st.caption(TEXT["multi_in_help"].format(max_side=MAX_SIDE))
loaded = image_source_ui("chan", color=True, max_side=MAX_SIDE)
if loaded is None:
    st.stop()
X = loaded.X


# Three fragments, one per part: a kernel choice or a slider reruns and redraws its part only.
@fragment
def kernel_per_channel(X, name: str) -> None:
    cols = st.columns(4)
    caption = f"{display_name(name)} {tuple(X.shape)}"
    alt = TEXT["image_alt"].format(name=display_name(name), shape=tuple(X.shape))
    cols[0].image(images.to_png(X), caption=caption, width="stretch", alt=alt)
    color = TEXT["channels"]
    defaults = ("Sobel x", "Sobel y", "Laplacian")
    names = [
        kernel_choice(
            cols[i + 1].selectbox,
            TEXT["kernel_for"].format(channel=color[CHANNELS[i]]),
            list(KERNEL_PRESETS),
            key=f"chan_kernel_{CHANNELS[i]}",
            default=defaults[i],
        )
        for i in range(3)
    ]
    res = lessons.channel_sum(X, [kernel_tensor(n) for n in names])
    chart(
        st,
        plots.heatmap_row(
            list(X),
            [TEXT["channel_title"].format(channel=color[c]) for c in CHANNELS],
            height=260,
            annotate=False,
            colorscales=["Reds", "Greens", "Blues"],
        ),  # fmt: skip
        key="chan_split_chart",
    )
    titles = [f"{color[c]} ⋆ {kernel_label(n)}" for c, n in zip(CHANNELS, names, strict=True)]
    titles.append(TEXT["sum"])
    chart(
        st,
        plots.heatmap_row([*res.per_channel, res.total], titles, height=260, annotate=False),
        key="chan_sum_chart",
    )
    m = st.columns(3)
    m[0].metric(TEXT["out_shape"], "×".join(map(str, res.total.shape)))
    m[1].metric("max |sum − F.conv2d|", f"{res.max_abs_diff:.2g}")
    loop = "–" if res.loop_diff is None else f"{res.loop_diff:.2g}"
    m[2].metric("max |loop − F.conv2d|", loop, help=TEXT["loop_help"])
    if res.loop_diff is None:
        st.caption(TEXT["loop_skipped"].format(limit=lessons.LOOP_LIMIT))


@fragment
def bank_of_kernels(X) -> None:
    st.header(TEXT["multi_out"])
    bank = keyed_choice(
        st.radio, TEXT["bank"], BANKS, key="chan_bank", labels_of=("channels", "banks"),
        old=OLD_BANKS, horizontal=True,
    )  # fmt: skip
    if bank == BANKS[0]:
        sX, K, Y = lessons.seed_multi_in_out()
        st.code(f"K = torch.stack((K, K + 1, K + 2), 0)  # {tuple(K.shape)}\n"
                f"corr2d_multi_in_out(X, K)\n{Y!r}", "python")  # fmt: skip
        maps, titles = list(Y), ["K", "K + 1", "K + 2"]
    else:
        chosen = keyed_multi(
            TEXT["bank_kernels"],
            list(KERNEL_PRESETS),
            ["Sobel x", "Sobel y", "Laplacian", "Sharpen"],
            key="chan_bank_kernels",
            labels_of=("kernels", "presets"),
            url_keys=PRESET_KEYS,
            placeholder=texts("common")["pick_some"],
        )
        Y = lessons.kernel_bank(X, [kernel_tensor(n) for n in chosen]) if chosen else None
        st.caption(TEXT["bank_caption"].format(c_o=len(chosen), c_i=X.shape[0]))
        maps, titles = list(Y) if chosen else [], [kernel_label(n) for n in chosen]
    if maps:
        st.metric(TEXT["stack_shape"], "×".join(map(str, Y.shape)))
        chart(
            st,
            plots.heatmap_row(maps, titles, cols=min(4, len(maps)), height=240),
            key="chan_bank_chart",
        )
    else:
        st.warning(TEXT["bank_none"])


@fragment
def one_by_one(X) -> None:
    st.header(TEXT["one"])
    st.caption(TEXT["one_help"])
    c_o = st.slider(TEXT["c_o"], 1, 6, 2, key="chan_c_o", bind=SHARE)
    one = lessons.one_by_one(X, c_o)
    c_i, h, w = X.shape
    st.markdown(
        f"X {c_i}×{h}×{w} → X.reshape({c_i}, {h * w}) · K {c_o}×{c_i}×1×1 → "
        f"K.reshape({c_o}, {c_i}) · Y = K·X : {c_o}×{h * w} → Y.reshape({c_o}, {h}, {w})"
    )
    left, right = st.columns([1, 1])
    left.dataframe(
        plots.matrix_frame(one.K_matrix, TEXT["row_out"], TEXT["col_in"]), key="chan_k_matrix"
    )
    m = right.columns(2)
    m[0].metric("max |matmul − F.conv2d|", f"{one.max_abs_diff:.2g}")
    m[1].metric("max |matmul − loop|", "–" if one.loop_diff is None else f"{one.loop_diff:.2g}",
                help=TEXT["loop_help_1x1"] + " "
                + TEXT["loop_skipped"].format(limit=lessons.LOOP_LIMIT))  # fmt: skip
    chart(
        st,
        plots.heatmap_row(
            list(one.Y_matmul), [f"Y[{o}]" for o in range(c_o)], 280, cols=min(c_o, 3), fmt=".2g"
        ),  # fmt: skip
        key="chan_one_chart",
    )


kernel_per_channel(X, loaded.name)
with st.expander(TEXT["seed"], expanded=True):
    sX, sK = lessons.seed_multi_in()
    seed_sum = lessons.channel_sum(sX, list(sK))
    st.code(f"X = {sX!r}\nK = {sK!r}\ncorr2d_multi_in(X, K)\n{seed_sum.total!r}", "python")

# ---------------------------------------------------------------- 2. multiple output channels
bank_of_kernels(X)

# ---------------------------------------------------------------- 3. 1×1 convolution
one_by_one(X)
