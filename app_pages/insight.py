"""What the network learned (beyond the book; it questions the networks d2l trains in 7.6, 8.2
and 8.6): a drawing, an upload or a test image classified live by a stored run, prepared as
its training data was; the confusion matrix and per-class accuracy on the test images; the
most confident mistakes, each one opened in the classifier; and where the network looked
(Grad-CAM and input gradients). Two runs side by side show where they disagree.
"""

import streamlit as st

from ui import data_or_message, page_header, settings
from ui.insight import TEXT, classifier_ui, evaluation_ui, mistakes_ui, pick_runs_ui
from ui.runs import manager_or_message

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])
settings()
mgr = manager_or_message()
data = data_or_message() if mgr is not None else None
runs = pick_runs_ui(mgr) if data is not None else []
if runs:
    st.subheader(TEXT["classify"])
    classifier_ui(mgr, data, runs)
    st.subheader(TEXT["confusion"])
    evaluations = evaluation_ui(mgr, data, runs)
    st.subheader(TEXT["mistakes"])
    mistakes_ui(data, runs, evaluations)
