"""Placeholder for the builder page, replaced by its own issue's work."""

import streamlit as st

st.title("builder")
st.info("This lesson is being built.")
