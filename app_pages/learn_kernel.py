"""Learn a kernel by gradient descent, live (d2l 7.2, "Learning a Kernel").

The book starts a 1×2 convolution from random weights and, with squared loss and plain SGD,
recovers the edge detector K = [1, −1] from the stripes image and its edges Y. Here the same
loop runs in the background while the loss curve and the kernel's numbers move on screen; any
preset (Sobel, Laplacian…), a typed kernel or the one from the Cross-correlation page can be the
target, and any image the training data. Two extras go beyond the book: what a too-large
learning rate does (the run diverges, caught and explained), and why the image must have edges
in both directions before a 3×3 kernel can be learned (the patch matrix's singular values).
"""

import streamlit as st

from cnnviz import kernel_learning as kl
from cnnviz.images import fit_side
from cnnviz.plots.base import heatmap
from ui import image_source_ui, page_header, settings
from ui import kernel_learning as lk
from ui.common import chart, md_escape
from ui.i18n import message, texts
from ui.images import display_name

TEXT = texts("learn_kernel")

settings()
page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader(TEXT["setup"])
    st.button(TEXT["faithful"], key="learn_faithful", icon=":material/menu_book:",
              on_click=lk.faithful_settings,
              help=TEXT["faithful_help"].format(seed=kl.FAITHFUL_SEED))  # fmt: skip
    K = lk.target_kernel_ui()
    loaded = image_source_ui("learn")
    cfg = lk.train_settings_ui()
    if loaded is not None:
        X = loaded.X.mean(0)
        st.caption(TEXT["image_caption"].format(
            label=TEXT["image"], name=md_escape(display_name(loaded.name)), h=X.shape[0],
            w=X.shape[1],
        ))  # fmt: skip
        shown = fit_side(X[None], 128)[0]  # a large upload is drawn smaller
        chart(st, heatmap(shown, height=220, fmt=".0f"), key="learn_image")

with right:
    if K is None or loaded is None:
        st.warning(TEXT["bad_input"], icon=":material/edit:")
        st.stop()
    try:
        runner = lk.ensure_runner(X, K, cfg)
    except ValueError as exc:  # e.g. an image smaller than the kernel
        st.error(message(exc), icon=":material/error:")
        st.stop()
    info = lk.identifiability_for(X, K)
    lk.controls_ui(runner)
    lk.lr_check_ui(runner, info, cfg)
    faithful = (
        K.tolist() == [list(kl.SEED_KERNEL[0])]
        and loaded.name == "stripes"
        and cfg["lr"] == kl.SEED_LR
        and cfg["reduction"] == "sum"
    )
    lk.live_panel_ui(runner, K, cfg["epochs"], faithful)
    if not faithful:
        st.caption(TEXT["beyond"])

lk.identifiability_ui(info)
