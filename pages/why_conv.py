"""Why convolutions (d2l 7.1): a conv layer needs a few parameters where a dense layer needs
10^12, its output moves with its input (translation equivariance), and with global average
pooling one conv net takes images of any size."""

import streamlit as st

from cnnviz import lessons
from cnnviz.kernels import KERNEL_PRESETS, kernel_tensor
from cnnviz.plots import lessons as plots
from ui import image_source_ui, page_header
from ui.common import SHARE, md_escape

CONV_CHECK = "conv: equivariance error"
DENSE_CHECK = "dense: equivariance error"
TEXT = {
    "title": "Why convolutions",
    "intro": (
        "A hidden layer for images could connect every pixel to every hidden unit. d2l 7.1 "
        "shows why nobody does: the parameter count explodes, and the layer would have to learn "
        "the same detector again at every position. A convolution shares one small kernel "
        "across the image instead."
    ),
    "params": "1. Parameters: fully connected against convolution",
    "params_help": (
        "A layer mapping a c_in-channel h×w image to a c_out-channel h×w hidden image. "
        "Fully connected: every output unit has a weight for every input value. "
        "Convolution: one k×k kernel per (input, output) channel pair, shared everywhere."
    ),
    "shift": "2. Translation: the conv output moves with the input",
    "shift_help": (
        "Shift the image: the conv output is the old output, shifted by the same amount "
        "(the image wraps around the border, so the check is exact; cnnviz's extension). "
        "A fully connected layer with random weights has no such structure: its output "
        "for the shifted image is unrelated to its old output."
    ),
    "sizes": "3. One conv net, inputs of any size",
    "sizes_help": (
        "This small net ends in global average pooling (nn.AdaptiveAvgPool2d(1)): whatever "
        "the height and width, each of the 16 channels is averaged to one number, so the final "
        "linear layer always gets 16 inputs. A head that flattens the feature maps instead "
        "is tied to the size it was built for."
    ),
    "notes": (
        "**Can a CNN take images of different sizes?** (the seed's question on 7.1)\n"
        "- *Dynamic padding*: pad every image of a batch to the same size before the network.\n"
        "- *Global average pooling*: after the last conv layer, average each channel over the "
        "whole map, giving a fixed-length vector for any input size (shown above).\n"
        "- *Fully convolutional networks (FCN)*: only conv layers, no dense layer; the output "
        "grows with the input, as in image segmentation."
    ),
}


@st.cache_data(show_spinner=False)
def _shapes_table(sizes: tuple[int, ...]):
    return plots.shapes_table(lessons.gap_shapes(list(sizes)))


page_header(TEXT["title"], "7.1", TEXT["intro"])


# Each part is a fragment: a change reruns and redraws that part only.
@st.fragment
def parameter_counts() -> None:
    st.header(TEXT["params"])
    st.caption(TEXT["params_help"])
    c = st.columns(5)
    height = c[0].number_input("Image height", 1, 100_000, 1000, key="why_height", bind=SHARE)
    width = c[1].number_input("Image width", 1, 100_000, 1000, key="why_width", bind=SHARE)
    c_in = c[2].number_input("Input channels", 1, 1024, 1, key="why_c_in", bind=SHARE)
    c_out = c[3].number_input("Hidden channels", 1, 1024, 1, key="why_c_out", bind=SHARE)
    kernel = c[4].number_input("Kernel size k", 1, 31, 3, key="why_kernel_size", bind=SHARE)
    pc = lessons.param_counts(int(height), int(width), int(c_in), int(c_out), int(kernel))
    m = st.columns(3)
    m[0].metric("Fully connected parameters", f"{pc.fc:.3e}" if pc.fc >= 1e7 else f"{pc.fc:,}")
    m[1].metric("Conv parameters", f"{pc.conv:,}")
    m[2].metric("Ratio", f"{pc.ratio:.3g}×")
    st.markdown(f"Fully connected (weights + biases): `{pc.fc_formula}`")
    st.markdown(f"Convolution (weights + biases): `{pc.conv_formula}`")
    st.plotly_chart(plots.param_bars(pc.fc, pc.conv), key="why_param_chart")


@st.fragment
def translation() -> None:
    st.header(TEXT["shift"])
    st.caption(TEXT["shift_help"])
    left, right = st.columns([1, 2])
    with left:
        loaded = image_source_ui("why", max_side=lessons.TRANSLATION_MAX_SIDE)
        kname = st.selectbox("Kernel", list(KERNEL_PRESETS), index=2, key="why_kernel", bind=SHARE)
        dy = st.slider("Shift down (rows)", -8, 8, 0, key="why_dy", bind=SHARE)
        dx = st.slider("Shift right (columns)", -8, 8, 2, key="why_dx", bind=SHARE)
    if loaded is not None:
        demo = lessons.translation_demo(loaded.X, kernel_tensor(kname), dy, dx)
        with right:
            m = st.columns(2)
            m[0].metric(
                CONV_CHECK, f"{demo.conv_error:.2g}", help="max |conv(shift X) − shift(conv X)|"
            )
            m[1].metric(DENSE_CHECK, f"{demo.dense_error:.3g}",
                        help="max |dense(shift X) − shift(dense X)|")  # fmt: skip
            st.caption(
                f"Input {tuple(demo.X.shape)} ({md_escape(loaded.name)}); the dense layer holds "
                f"{demo.X.numel() ** 2:,} weights. Its outputs reach {demo.dense_scale:.3g}."
            )
        grid = [demo.X, demo.X_shifted, demo.conv, demo.conv_of_shifted, demo.dense]
        grid.append(demo.dense_of_shifted)
        titles = ["X", f"X shifted by ({dy}, {dx})", "conv(X)", "conv(shifted X)"]
        titles += ["dense(X)", "dense(shifted X)"]
        st.plotly_chart(
            plots.heatmap_row(grid, titles, cols=2, height=260, annotate=False),
            key="why_shift_chart",
        )


@st.fragment
def any_input_size() -> None:
    st.header(TEXT["sizes"])
    st.caption(TEXT["sizes_help"])
    sizes = st.multiselect(
        "Input sizes (square)", [8, 16, 28, 32, 64, 96, 128, 224], [28, 64, 96], key="why_sizes"
    )
    if not sizes:
        st.warning("Pick at least one input size.")
    else:
        st.dataframe(_shapes_table(tuple(sorted(sizes))), key="why_shapes")
        first, other = sorted(sizes)[0], sorted(sizes)[-1]
        error = lessons.flatten_head_error(first, other if other != first else first + 4)
        st.markdown(
            f"A Flatten → Linear head built for {first}×{first} inputs, fed a larger image, "
            f"fails in torch with: `{error}`"
        )


# ---------------------------------------------------------------- 1. parameter counts
parameter_counts()
# ---------------------------------------------------------------- 2. translation
translation()
# ---------------------------------------------------------------- 3. variable input size
any_input_size()
st.info(TEXT["notes"], icon=":material/lightbulb:")
