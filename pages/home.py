"""Home: what the app teaches and where to start."""

import streamlit as st

from ui.boot import run_under_app
from ui.lessons import lesson_path

run_under_app()

st.title("See how a computer looks at pictures")
st.markdown(
    """
A **convolutional neural network** (CNN) looks at a picture through many small windows.
In each window it multiplies the pixels by a small grid of numbers, the **kernel**, and adds
the results up. Slide the window across the whole picture and you get a new picture, a
**feature map**, that is bright wherever the picture looks like the kernel.

This app lets you do that yourself, on your own photos, one step at a time. New words are
explained in the [glossary](/glossary).
"""
)

st.subheader("The lessons, in order")
lesson_path()

st.caption(
    "For teachers: every setting lives in the page address, so you can share a link that "
    "opens the same view for the whole class."
)
