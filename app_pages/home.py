"""Home: what cnnviz is and what each page teaches."""

import streamlit as st

from cnnviz.data import dataset_status
from ui import page_header
from ui.common import how_to
from ui.i18n import texts

TEXT = texts("home")
NAV = texts("nav")  # the page titles, as the sidebar shows them
SECTIONS = {
    "sec_conv": ("why_conv", "xcorr", "learn_kernel", "padding", "channels", "pooling"),
    "sec_arch": ("builder", "batch_norm"),
    "sec_train": ("data", "training", "insight", "ablation"),
}

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])

found, where = dataset_status()
if not found:
    st.warning(how_to(), icon=":material/inventory_2:")

for section, pages in SECTIONS.items():
    st.subheader(NAV[section])
    for page in pages:
        st.markdown(f"**{NAV[page]}** — {TEXT[page]}")
