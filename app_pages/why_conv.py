"""Why convolutions (d2l 7.1): a conv layer needs a few parameters where a dense layer needs
10^12, its output moves with its input (translation equivariance), and with global average
pooling one conv net takes images of any size."""

import streamlit as st

from cnnviz import lessons
from cnnviz.kernels import KERNEL_PRESETS, kernel_tensor
from cnnviz.plots import lessons as plots
from ui import image_source_ui, page_header
from ui.common import SHARE, chart, fragment, md_escape
from ui.i18n import texts
from ui.images import display_name
from ui.kernels import kernel_choice

TEXT = texts("why_conv")


@st.cache_data(show_spinner=False)
def _shapes_table(sizes: tuple[int, ...], column: str):
    return plots.shapes_table(lessons.gap_shapes(list(sizes)), column)


page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])


# Each part is a fragment: a change reruns and redraws that part only.
@fragment
def parameter_counts() -> None:
    st.header(TEXT["params"])
    st.caption(TEXT["params_help"])
    c = st.columns(5)
    height = c[0].number_input(TEXT["height"], 1, 100_000, 1000, key="why_height", bind=SHARE)
    width = c[1].number_input(TEXT["width"], 1, 100_000, 1000, key="why_width", bind=SHARE)
    c_in = c[2].number_input(TEXT["c_in"], 1, 1024, 1, key="why_c_in", bind=SHARE)
    c_out = c[3].number_input(TEXT["c_out"], 1, 1024, 1, key="why_c_out", bind=SHARE)
    kernel = c[4].number_input(TEXT["kernel_size"], 1, 31, 3, key="why_kernel_size", bind=SHARE)
    pc = lessons.param_counts(int(height), int(width), int(c_in), int(c_out), int(kernel))
    m = st.columns(3)
    m[0].metric(TEXT["m_fc"], f"{pc.fc:.3e}" if pc.fc >= 1e7 else f"{pc.fc:,}")
    m[1].metric(TEXT["m_conv"], f"{pc.conv:,}")
    m[2].metric(TEXT["m_ratio"], f"{pc.ratio:.3g}×")
    st.markdown(TEXT["fc_formula"].format(formula=pc.fc_formula))
    st.markdown(TEXT["conv_formula"].format(formula=pc.conv_formula))
    chart(
        st,
        plots.param_bars(pc.fc, pc.conv, TEXT["bar_fc"], TEXT["bar_conv"], TEXT["bar_axis"]),
        key="why_param_chart",
    )


@fragment
def translation() -> None:
    st.header(TEXT["shift"])
    st.caption(TEXT["shift_help"])
    left, right = st.columns([1, 2])
    with left:
        loaded = image_source_ui("why", max_side=lessons.TRANSLATION_MAX_SIDE)
        kname = kernel_choice(
            st.selectbox, TEXT["kernel"], list(KERNEL_PRESETS), key="why_kernel",
            default=list(KERNEL_PRESETS)[2],
        )  # fmt: skip
        dy = st.slider(TEXT["dy"], -8, 8, 0, key="why_dy", bind=SHARE)
        dx = st.slider(TEXT["dx"], -8, 8, 2, key="why_dx", bind=SHARE)
    if loaded is not None:
        demo = lessons.translation_demo(loaded.X, kernel_tensor(kname), dy, dx)
        with right:
            m = st.columns(2)
            m[0].metric(TEXT["conv_check"], f"{demo.conv_error:.2g}",
                        help="max |conv(shift X) − shift(conv X)|")  # fmt: skip
            m[1].metric(TEXT["dense_check"], f"{demo.dense_error:.3g}",
                        help="max |dense(shift X) − shift(dense X)|")  # fmt: skip
            st.caption(TEXT["input_caption"].format(
                shape=tuple(demo.X.shape), name=md_escape(display_name(loaded.name)),
                weights=demo.X.numel() ** 2, scale=demo.dense_scale,
            ))  # fmt: skip
        grid = [demo.X, demo.X_shifted, demo.conv, demo.conv_of_shifted, demo.dense]
        grid.append(demo.dense_of_shifted)
        titles = ["X", TEXT["t_shifted"].format(dy=dy, dx=dx), "conv(X)", TEXT["t_conv_shifted"]]
        titles += ["dense(X)", TEXT["t_dense_shifted"]]
        chart(
            st,
            plots.heatmap_row(grid, titles, cols=2, height=260, annotate=False),
            key="why_shift_chart",
        )


@fragment
def any_input_size() -> None:
    st.header(TEXT["sizes"])
    st.caption(TEXT["sizes_help"])
    sizes = st.multiselect(
        TEXT["sizes_pick"],
        [8, 16, 28, 32, 64, 96, 128, 224],
        [28, 64, 96],
        key="why_sizes",
        placeholder=texts("common")["pick_some"],
    )
    if not sizes:
        st.warning(TEXT["sizes_none"])
    else:
        st.dataframe(_shapes_table(tuple(sorted(sizes)), TEXT["size_column"]), key="why_shapes")
        first, other = sorted(sizes)[0], sorted(sizes)[-1]
        error = lessons.flatten_head_error(first, other if other != first else first + 4)
        st.markdown(TEXT["flatten_error"].format(n=first, error=error))


# ---------------------------------------------------------------- 1. parameter counts
parameter_counts()
# ---------------------------------------------------------------- 2. translation
translation()
# ---------------------------------------------------------------- 3. variable input size
any_input_size()
st.info(TEXT["notes"], icon=":material/lightbulb:")
