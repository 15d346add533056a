"""Four filters: four hand-set edge kernels on one picture, convolution -> ReLU -> pooling."""

import streamlit as st

from pages.four_filters import sections as four_filters
from ui import address, picker
from ui.boot import run_under_app
from ui.lessons import next_step
from ui.picker import picture_or_stop

run_under_app()

st.title("Four filters, side by side")
st.markdown(
    "A convolution layer does not use one kernel but many, and each makes its own "
    "[feature map](/glossary#feature-map). Here four are set by hand: a vertical edge, a "
    "horizontal edge, and each of them with every sign swapped (its *negative*). All four "
    "slide over the same grey picture, then each map goes through "
    "[ReLU](/glossary#relu) and [max pooling](/glossary#max-pooling): the block a CNN repeats."
)
address.gate(picker.PARAMS)
picked = picture_or_stop()
try:
    grey, stages = four_filters.maps(picked.key, picked.pixels)
except ValueError as why:  # a picture smaller than a filter and one pooling window
    st.warning(
        f"**This picture is too small for the four filters.** {why} Choose another picture "
        "or upload a larger one.",
        icon=":material/lightbulb:",
    )
    st.stop()

four_filters.grid(picked.key, grey, stages)
four_filters.shapes(grey, stages)
st.markdown(
    "**What to notice.** Each filter lights up a different edge: the vertical ones where the "
    "brightness changes from left to right, the horizontal ones where it changes from top to "
    "bottom. ReLU keeps only one sign, so each filter sees only one side of an edge: that is "
    "why the negatives are needed. Pooling keeps the strongest response in each window while "
    "leaving a quarter of the numbers."
)

st.subheader("The numbers behind the pictures")
four_filters.numbers(stages)
st.caption(
    "A filter and its negative give the same numbers with opposite signs after the "
    "convolution; after ReLU each keeps the part the other loses."
)

next_step("pages/four_filters.py")
