"""Placeholder for the cross_correlation page, replaced by its own issue's work."""

import streamlit as st

st.title("cross_correlation")
st.info("This lesson is being built.")
