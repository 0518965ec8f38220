"""Cross-correlation (d2l 7.2): slide a small kernel over an image; each output number is the
sum of the element-wise products of one window and the kernel.

The student picks or draws an image and a kernel, watches the output map change at once, and
steps through single output cells (click, type or play) to see the window, the products and
their sum. The book's demonstration — [1, −1] finds vertical edges and gives zeros on the
transposed image — is reproduced at the bottom.
"""

import streamlit as st

from cnnviz import ops
from cnnviz.images import seed_stripes
from cnnviz.kernels import kernel_tensor
from cnnviz.plots import conv as cplots
from ui import image_source_ui, page_header, settings
from ui.common import SHARE, chart, fragment, md_escape
from ui.conv import corr2d_cached, step_through_ui
from ui.i18n import message, texts
from ui.images import display_name
from ui.kernels import kernel_editor_ui

TEXT = texts("xcorr")

settings()
page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])


# A fragment: changing the image, the kernel or a cell reruns this part only, not the router,
# the sidebar and the book's demonstration below (a click is drawn sooner).
@fragment
def lesson() -> None:
    left, right = st.columns([3, 2], gap="large")
    with left:
        loaded = image_source_ui("xcorr")
    with right:
        K = kernel_editor_ui("xcorr")
        transpose = st.toggle(
            TEXT["transpose"], key="xcorr_transpose", bind=SHARE, help=TEXT["transpose_help"]
        )

    if loaded is None:
        return
    X = loaded.X[0]  # one channel: the multi-channel case is the Channels page (7.4)
    if transpose:
        X = X.t().contiguous()
    problems = ops.check_conv_shape(tuple(X.shape), tuple(K.shape))
    if problems:
        why = " ".join(map(message, problems))
        st.error(TEXT["bad_kernel"].format(why=why), icon=":material/error:")
        return

    Y_np = corr2d_cached(X.numpy(), K.numpy())
    Y = cplots.as_tensor(Y_np)
    (n_h, n_w), (k_h, k_w), (o_h, o_w) = X.shape, K.shape, Y.shape
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(TEXT["input_size"], f"{n_h}×{n_w}", help=md_escape(display_name(loaded.name)))
    m2.metric(TEXT["kernel_size"], f"{k_h}×{k_w}")
    m3.metric(TEXT["output_size"], f"{o_h}×{o_w}")
    m4.metric(TEXT["mean_abs"], f"{float(abs(Y_np).mean()):.4f}")
    st.caption(TEXT["shape_note"].format(n_h=n_h, n_w=n_w, k_h=k_h, k_w=k_w, o_h=o_h, o_w=o_w))
    if o_h * o_w > ops.LOOP_MAX_CELLS:
        st.caption(TEXT["fast_note"].format(cells=o_h * o_w))

    st.subheader(TEXT["step"])
    step_through_ui("xcorr", X, K, Y)


lesson()


@st.cache_resource(show_spinner=False)  # a constant figure, never changed: shared, not copied
def _seed_demo(titles: tuple[str, str, str]):
    X, K = seed_stripes(), kernel_tensor("Edge [1, -1] (d2l)")
    return cplots.seed_demo_figure(X, ops.corr2d(X, K), ops.corr2d(X.t(), K), titles)


st.subheader(TEXT["demo"])
st.markdown(TEXT["demo_text"])
chart(
    st, _seed_demo(tuple(TEXT["seed_titles"])), key="xcorr_demo_chart", config=cplots.CHART_CONFIG
)
