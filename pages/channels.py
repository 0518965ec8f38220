"""Placeholder for the channels page, replaced by its own issue's work."""

import streamlit as st

st.title("channels")
st.info("This lesson is being built.")
