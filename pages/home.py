"""Home: what cnnviz is and what each page teaches."""

import streamlit as st

from cnnviz.data import HOW_TO, dataset_status
from ui import page_header

page_header(
    "cnnviz — convolutional networks you can touch",
    "chapters 7–8",
    "An interactive companion to *Dive into Deep Learning*, chapters 7 (convolutions, LeNet) "
    "and 8 (VGG, ResNet). Every page runs the book's code on inputs you choose, reproduces "
    "the book's printed results, and says where cnnviz goes further than the book.",
)

PAGES = [
    ("Convolutions", "Why convolutions (7.1)",
     "Parameter counts of a dense layer against a conv layer for your image size; "
     "translation equivariance; one conv net taking inputs of any size."),
    ("Convolutions", "Cross-correlation (7.2)",
     "Edit a kernel, watch the output of `corr2d` on a drawn or loaded image, and step through "
     "one output cell: the window, the products, their sum."),
    ("Convolutions", "Learn a kernel (7.2)",
     "Gradient descent recovers K = [1, −1] from the stripes image, live; try Sobel, "
     "a learning rate that is too high, or your own drawing."),
    ("Convolutions", "Padding and stride (7.3)",
     "Kernel, padding, stride and dilation per axis; the output-shape formula beside the "
     "shape torch returns; the padded input drawn."),
    ("Convolutions", "Channels (7.4)",
     "An RGB image split into channels, a kernel per channel, the sum; banks of kernels; "
     "1×1 convolution as a matrix product."),
    ("Convolutions", "Pooling (7.5)",
     "Max and average pooling with every `nn.MaxPool2d` parameter, which pixel won, and "
     "pooling's tolerance to small shifts."),
    ("Architectures", "Architecture builder (7.6, 8.2, 8.6)",
     "LeNet, VGG and ResNet from widgets: layer shapes, parameters, multiply-adds, a diagram, "
     "feature maps on your image, and PyTorch code to copy."),
    ("Training", "Fashion-MNIST data",
     "The data every network here trains on: ten classes of 28×28 clothing images."),
    ("Training", "Training runs",
     "Train any preset or your own model on Fashion-MNIST in the background; curves stream "
     "live; every run is kept."),
    ("Training", "What the network learned",
     "Draw a sneaker and watch your own trained LeNet decide; confusion matrices, the most "
     "confident mistakes, and where the network looked (beyond the book)."),
    ("Training", "Ablation lab",
     "The seed's experiments side by side: sigmoid vs ReLU, VGG at 224 vs 56, ResNet "
     "without batch norm or skip connections."),
]  # fmt: skip

found, where = dataset_status()
if not found:
    st.warning(HOW_TO, icon=":material/inventory_2:")

for section in ("Convolutions", "Architectures", "Training"):
    st.subheader(section)
    for _, title, text in (p for p in PAGES if p[0] == section):
        st.markdown(f"**{title}** — {text}")
