"""Placeholder for the ablation page, replaced by its own issue's work."""

import streamlit as st

st.title("ablation")
st.info("This lesson is being built.")
