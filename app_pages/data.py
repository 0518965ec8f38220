"""Fashion-MNIST: the data set every network in cnnviz trains on (d2l 4.2, used in 7.6–8.6)."""

import streamlit as st
import torch

from cnnviz.plots import image_montage
from ui import data_or_message, page_header
from ui.common import SHARE, chart, class_names, keyed_choice
from ui.i18n import texts

TEXT = texts("data")

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])

data = data_or_message()
if data is not None:
    per_class = st.slider(TEXT["per_class"], 4, 16, 8, key="data_per_class", bind=SHARE)
    split = keyed_choice(
        st.radio, TEXT["split"], ("train", "test"), key="data_split",
        labels_of=("data", "splits"), horizontal=True,
    )  # fmt: skip
    images = data.train_images if split == "train" else data.test_images
    labels = data.train_labels if split == "train" else data.test_labels
    picks = [torch.nonzero(labels == c).flatten()[:per_class] for c in range(10)]
    grid = torch.cat([images[p] for p in picks])
    chart(
        st,
        image_montage(grid, 10, per_class, [f"{c} {t}" for c, t in enumerate(class_names())]),
        key="data_montage",
    )
    counts = torch.bincount(labels, minlength=10).tolist()
    c1, c2, c3 = st.columns(3)
    c1.metric(TEXT["train_images"], f"{len(data.train_images):,}")
    c2.metric(TEXT["test_images"], f"{len(data.test_images):,}")
    c3.metric(TEXT["per_class_count"], f"{counts[0]:,}")
    st.caption(TEXT["read_from"].format(source=data.source))
