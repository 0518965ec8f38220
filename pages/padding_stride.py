"""Placeholder for the padding_stride page, replaced by its own issue's work."""

import streamlit as st

st.title("padding_stride")
st.info("This lesson is being built.")
