"""The guided lesson path: Home lists it, every lesson page ends with a link to the next."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]

# (page file, title, what the student does there)
LESSONS = [
    ("pages/convolution.py", "1. Convolution",
     "Slide a kernel over a picture and see every multiplication behind one output pixel."),
    ("pages/convolution.py", "2. Padding and stride",
     "On the same page: add padding, make the kernel jump, spread it out with dilation, and "
     "predict the output size with the formula."),
    ("pages/learn_kernel.py", "3. How a kernel learns",
     "Start a kernel from random numbers and watch gradient descent turn it into Sobel x, a "
     "blur or a hidden kernel, one small step at a time."),
    ("pages/pooling.py", "4. Pooling",
     "Shrink a feature map with max or average pooling, and see why a small shift hardly "
     "changes the result."),
    ("pages/four_filters.py", "5. Four filters side by side",
     "Four hand-set edge filters on one picture: convolution, ReLU and pooling for each, "
     "side by side, and why a layer needs the negatives too."),
    ("pages/inside_cnn.py", "6. Inside a CNN",
     "Feed a picture to a trained network and watch every layer's feature maps, shapes and "
     "the final probabilities."),
    ("pages/train.py", "7. Train your own",
     "Train a CNN and a plain dense network side by side and see which learns faster."),
]  # fmt: skip


@functools.cache
def registered() -> frozenset[str]:
    """Page files app.py registers (app.py is the one registry; this only reads it)."""
    return frozenset(re.findall(r'st\.Page\(\s*"(pages/\w+\.py)"', (ROOT / "app.py").read_text()))


def available() -> list[tuple[str, str, str]]:
    """The lessons whose page this installation registers."""
    return [lesson for lesson in LESSONS if lesson[0] in registered()]


def lesson_path() -> None:
    """The numbered path, one bordered box per lesson, for Home."""
    for page, title, text in available():
        with st.container(border=True):
            st.page_link(page, label=f"**{title}**", icon=":material/arrow_forward:")
            st.write(text)


def next_step(current: str) -> None:
    """A 'Next' link to the first lesson after ``current`` on another page."""
    pages = [lesson for lesson in available() if lesson[0] != current]
    order = [lesson[0] for lesson in available()]
    later = (
        [p for p in pages if order.index(p[0]) > order.index(current)] if current in order else []
    )
    st.divider()
    if later:
        page, title, text = later[0]
        st.page_link(page, label=f"Next: {title}", icon=":material/arrow_forward:")
        st.caption(text)
    else:
        st.page_link("pages/home.py", label="Back to the lesson list", icon=":material/home:")
