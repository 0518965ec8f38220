"""Fashion-MNIST: the data set every network in cnnviz trains on (d2l 4.2, used in 7.6–8.6)."""

import streamlit as st
import torch

from cnnviz.data import TEXT_LABELS
from cnnviz.plots import image_montage
from ui import data_or_message, page_header
from ui.common import SHARE

page_header(
    "Fashion-MNIST",
    "4.2, used in 7.6, 8.2, 8.6",
    "Sixty thousand training and ten thousand test images of clothing, 28×28 grey pixels, "
    "ten classes. d2l trains LeNet, VGG and ResNet on it; so does cnnviz, on the real files.",
)

data = data_or_message()
if data is not None:
    per_class = st.slider("Samples per class", 4, 16, 8, key="data_per_class", bind=SHARE)
    split = st.radio("Split", ["train", "test"], horizontal=True, key="data_split", bind=SHARE)
    images = data.train_images if split == "train" else data.test_images
    labels = data.train_labels if split == "train" else data.test_labels
    picks = [torch.nonzero(labels == c).flatten()[:per_class] for c in range(10)]
    grid = torch.cat([images[p] for p in picks])
    st.plotly_chart(
        image_montage(grid, 10, per_class, [f"{c} {t}" for c, t in enumerate(TEXT_LABELS)]),
        key="data_montage",
    )
    counts = torch.bincount(labels, minlength=10).tolist()
    c1, c2, c3 = st.columns(3)
    c1.metric("Training images", f"{len(data.train_images):,}")
    c2.metric("Test images", f"{len(data.test_images):,}")
    c3.metric("Images per class", f"{counts[0]:,}")
    st.caption(f"Read from `{data.source}`.")
