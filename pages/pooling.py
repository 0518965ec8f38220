"""Placeholder for the pooling page, replaced by its own issue's work."""

import streamlit as st

st.title("pooling")
st.info("This lesson is being built.")
