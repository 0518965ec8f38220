"""Placeholder for the why_conv page, replaced by its own issue's work."""

import streamlit as st

st.title("why_conv")
st.info("This lesson is being built.")
