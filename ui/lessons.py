"""The app's pages and the guided lesson path: app.py registers the pages, Home lists the
path, every lesson page ends with a link to the next."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st


class Page(NamedTuple):
    """One page of the app's menu."""

    file: str  # "pages/pooling.py"
    title: str  # its name in the menu
    icon: str  # a Material icon name (the browser draws it from Streamlit's own font)


HOME = "pages/home.py"
PAGES = (  # in menu order; app.py registers exactly these
    Page(HOME, "Home", ":material/home:"),
    Page("pages/convolution.py", "Convolution", ":material/blur_on:"),
    Page("pages/learn_kernel.py", "How a kernel learns", ":material/school:"),
    Page("pages/pooling.py", "Pooling", ":material/grid_view:"),
    Page("pages/four_filters.py", "Four filters", ":material/filter_4:"),
    Page("pages/inside_cnn.py", "Inside a CNN", ":material/hub:"),
    Page("pages/train.py", "Train", ":material/model_training:"),
    Page("pages/glossary.py", "Glossary", ":material/menu_book:"),
)

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


def registered() -> frozenset[str]:
    """The page files app.py registers."""
    return frozenset(page.file for page in PAGES)


def available() -> list[tuple[str, str, str]]:
    """The lessons, in order (each names a registered page; a test checks)."""
    return list(LESSONS)


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
        st.page_link(HOME, label="Back to the lesson list", icon=":material/home:")
