"""Placeholder for the training page, replaced by its own issue's work."""

import streamlit as st

st.title("training")
st.info("This lesson is being built.")
