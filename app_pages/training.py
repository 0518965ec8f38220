"""Training runs (d2l 6.6 train_ch6, used in 7.6, 8.2, 8.6): train LeNet, VGG or ResNet on
Fashion-MNIST and watch loss and accuracy curves arrive live.

Runs train in the background and are kept in a store on disk, so they go on across reruns,
page switches and reloads, and stay for later comparison. cnnviz goes further than the book
in speed (the data stays one tensor on the device) but keeps its defaults: SGD, batch 128,
Xavier init, d2l's lr per model, 10 epochs.
"""

import streamlit as st

from cnnviz.runs.threads import thread_plan
from ui import page_header, settings
from ui.board import training_setup_ui
from ui.runs import manager_or_message
from ui.training import (
    TEXT,
    current_run_id,
    downloads_ui,
    import_ui,
    learned_ui,
    readable_run,
    run_actions_ui,
    run_form_ui,
    run_view_ui,
    runs_table_ui,
)

page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])
s = settings()
mgr = manager_or_message()
if mgr is not None:
    with st.container(border=True):
        run_form_ui(mgr, s["device_choice"])
        with st.expander(TEXT["practical"], icon=":material/speed:"):
            st.markdown(TEXT["practical_body"])
            plan = thread_plan(mgr.executor)  # how many threads a run gets here, and why
            st.markdown(TEXT["threads"][plan["why"]].format(**plan))
    training_setup_ui(mgr)  # the teacher's: this preset as the class's experiment

    st.subheader(TEXT["run_title"])
    run_id = current_run_id(mgr)
    if run_id is None:
        st.info(TEXT["no_runs"], icon=":material/monitoring:")
    elif readable_run(mgr, run_id):
        run_view_ui(mgr, run_id)
        with st.container(horizontal=True):
            downloads_ui(mgr, run_id)
            run_actions_ui(mgr, run_id)
        learned_ui(mgr, run_id)

    st.subheader(TEXT["all_runs"])
    runs_table_ui(mgr, run_id)
    import_ui(mgr)
