"""Placeholder for the learn_kernel page, replaced by its own issue's work."""

import streamlit as st

st.title("learn_kernel")
st.info("This lesson is being built.")
