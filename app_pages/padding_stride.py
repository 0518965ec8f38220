"""Padding and stride (d2l 7.3): how kernel size, padding, stride and dilation set the size of
a convolution's output.

Sliders per axis change the setting; the page writes the output-shape formula out with the
numbers substituted, beside the shape torch actually returns, draws the padded input with the
kernel's footprint, and explains settings torch would refuse instead of failing.
"""

import streamlit as st

from cnnviz import ops
from cnnviz.plots import conv as cplots
from ui import image_source_ui, page_header, settings
from ui.common import SHARE, chart, fragment
from ui.conv import (
    CUSTOM_EXAMPLE,
    SEED_EXAMPLES,
    conv_settings_ui,
    corr2d_cached,
    formula_text,
    grid_input,
    load_seed_example,
    map_figure,
)
from ui.i18n import labels, message, texts

TEXT = texts("padding")

settings()
page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])


# A fragment: a slider step reruns the lesson only, not the router and the sidebar, and the
# browser redraws only this part (a change is drawn sooner).
@fragment
def lesson() -> None:
    controls, view = st.columns([2, 3], gap="large")
    with controls:
        # Not in the URL: the sliders it sets are, and a link naming only the example would show
        # its name over other values.
        st.selectbox(
            TEXT["example"], [CUSTOM_EXAMPLE, *SEED_EXAMPLES], key="pad_example",
            on_change=load_seed_example, args=("pad",), help=TEXT["example_help"],
            format_func=labels("conv", "examples"),
        )  # fmt: skip
        s = conv_settings_ui("pad")
        if st.toggle(TEXT["use_image"], key="pad_use_image", bind=SHARE):
            loaded = image_source_ui("pad")
            if loaded is None:
                return
            X = loaded.X[0]
        else:
            c1, c2 = st.columns(2)
            for k in ("pad_in_h", "pad_in_w"):
                st.session_state.setdefault(k, 8)
            n_h = c1.number_input(TEXT["in_h"], 1, 64, key="pad_in_h", bind=SHARE)
            n_w = c2.number_input(TEXT["in_w"], 1, 64, key="pad_in_w", bind=SHARE)
            X = grid_input(int(n_h), int(n_w))

    args = (tuple(X.shape), s["kernel"], s["padding"], s["stride"], s["dilation"])
    problems = ops.check_conv_shape(*args)
    with view:
        st.markdown(f"**{TEXT['formula']}**")
        line_h, line_w = ops.shape_formula(*args)
        st.code(formula_text(line_h, line_w), language=None)
        st.caption(TEXT["formula_note"])
        m1, m2 = st.columns(2)
        if problems:
            m1.metric(TEXT["ours"], TEXT["invalid_metric"])
        else:
            m1.metric(TEXT["ours"], "{}×{}".format(*ops.conv_output_shape(*args)))
        try:
            m2.metric(TEXT["torch"], "[{}, {}]".format(*ops.torch_output_shape(*args)))
            torch_msg = None
        except ValueError as exc:
            m2.metric(TEXT["torch"], TEXT["error_metric"])
            torch_msg = str(exc)
        if problems:
            why = " ".join(map(message, problems))
            st.warning(TEXT["invalid"].format(why=why), icon=":material/block:")
            if torch_msg:
                st.caption(TEXT["torch_says"].format(msg=torch_msg))
        else:
            st.success(TEXT["agree"], icon=":material/check_circle:")

    st.subheader(TEXT["drawing"])
    if problems:
        fig = map_figure(X, None, padding=s["padding"])
        chart(st, fig, key="pad_input_chart", config=cplots.CHART_CONFIG)
        return

    kh, kw = s["kernel"]
    K = ops.box_kernel(kh, kw)
    Y_np = corr2d_cached(X.numpy(), K.numpy(), s["padding"], s["stride"], s["dilation"])
    Y = cplots.as_tensor(Y_np)
    o_h, o_w = Y.shape
    cells = o_h * o_w
    pos = st.slider(
        TEXT["position"], 0, max(cells - 1, 1), 0, key="pad_cell", disabled=cells == 1, bind=SHARE
    )
    i, j = divmod(min(pos, cells - 1), o_w)
    win = ops.window(X, i, j, K, s["padding"], s["stride"], s["dilation"])
    left, right = st.columns(2)
    chart(
        left,
        map_figure(X, None, padding=s["padding"], window=(win.rows, win.cols)),
        key="pad_input_chart",
        config=cplots.CHART_CONFIG,
    )
    chart(
        right,
        map_figure(Y, TEXT["output"].format(h=o_h, w=o_w), selected=(i, j)),
        key="pad_output_chart",
        config=cplots.CHART_CONFIG,
    )
    st.caption(TEXT["kernel_note"])


lesson()
