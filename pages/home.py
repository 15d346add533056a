"""Home: what the app teaches and where to start."""

import streamlit as st

st.title("See how a computer looks at pictures")
st.markdown(
    """
A **convolutional neural network** (CNN) looks at a picture through many small windows.
In each window it multiplies the pixels by a small grid of numbers, the **kernel**, and adds
the results up. Slide the window across the whole picture and you get a new picture, a
**feature map**, that is bright wherever the picture looks like the kernel.

This app lets you do that yourself, on your own photos, one step at a time.
"""
)

st.subheader("The lessons, in order")
LESSONS = [
    (
        "pages/convolution.py",
        "1. Convolution",
        "Slide a kernel over a picture and see every multiplication behind one output pixel. "
        "Try padding, stride and dilation and watch the output size change.",
    ),
]
for page, title, text in LESSONS:
    with st.container(border=True):
        st.page_link(page, label=f"**{title}**", icon=":material/arrow_forward:")
        st.write(text)

st.caption(
    "For teachers: every setting lives in the page address, so you can share a link that "
    "opens the same view for the whole class."
)
