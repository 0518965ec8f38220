"""Ablation lab (d2l 7.6, 8.2, 8.6): the seed's experiments as paired runs, side by side.

Teaches what an ablation is — change one ingredient, keep everything else — with one click per
experiment: LeNet sigmoid vs ReLU, VGG at 224 vs 56 vs an adjusted VGG, ResNet-18 without batch
norm or skip connections. Curves stream in while the variants train; the final metrics, the
first-layer kernels and feature maps are compared; the URL restores the comparison.
"""

import streamlit as st

from ui import page_header, settings, state
from ui.ablation import (
    TEXT,
    comparison_ui,
    confusion_ui,
    controls_ui,
    learned_ui,
    restore_from_url,
    shown_runs,
)
from ui.board import lab_setup_ui
from ui.common import md_escape
from ui.runs import manager_or_message

s = settings()
page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])
mgr = manager_or_message()
if mgr is not None:
    restore_from_url(mgr)
    if s["presenter_mode"]:  # controls out of the way on a projector
        with st.expander(TEXT["controls"], expanded=False, icon=":material/tune:"):
            controls_ui(mgr)
    else:
        with st.container(border=True):
            controls_ui(mgr)
    lab_setup_ui(mgr)  # the teacher's: this setup as the class's experiment
    run_ids = shown_runs(mgr)  # only those this user may see
    if missing := state.ABL_MISSING.pop():
        ids = md_escape(", ".join(missing))  # from the address: anyone's text
        st.warning(TEXT["missing"].format(ids=ids), icon=":material/link_off:")
    if run_ids:
        comparison_ui(mgr, run_ids)
        confusion_ui(mgr, run_ids)
        learned_ui(mgr, run_ids)
    else:
        store = st.session_state.get("abl_source") == "store"  # its button is Compare
        st.info(TEXT["empty_store" if store else "empty"], icon=":material/compare:")
