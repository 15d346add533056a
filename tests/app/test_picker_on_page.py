"""The picture choice on the page itself (for a phone, where the sidebar is folded away): it
drives the sidebar's own widgets, so the address, the sidebar and every page follow.

tests/e2e/test_phone_picker.py checks the same at 390 x 844 in chromium.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import samples
from tests.app.conftest import open_page, png_bytes, text_of

PICKING = ["pages/convolution.py", "pages/learn_kernel.py", "pages/pooling.py",
           "pages/four_filters.py"]  # fmt: skip


def page_choice_label(at) -> str:
    """The label of the page's Picture button."""
    found = [p.label for p in _popovers(at._tree) if p.label.startswith("Picture: ")]
    assert len(found) == 1, found
    return found[0]


def _popovers(node):
    if getattr(node, "type", None) == "popover":
        yield node.proto.popover
    for child in getattr(node, "children", {}).values():
        yield from _popovers(child)


@pytest.mark.parametrize("page", PICKING)
def test_every_picking_lesson_offers_the_choice_on_the_page(page):
    """The button names the picture and holds the gallery and an upload."""
    at = open_page(page)
    assert page_choice_label(at) == "Picture: Camera — change"
    assert at.selectbox(key="input.page_sample").value == "camera"
    assert at.file_uploader(key="uploader.page") is not None
    at.selectbox(key="input.page_sample").set_value("coins").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="input.sample").value == "coins"
    assert page_choice_label(at) == "Picture: Coins — change"
    assert samples.SAMPLES["coins"].description in text_of(at)


def test_the_page_choice_follows_the_sidebar_and_leaves_upload_mode():
    """A sample chosen in the sidebar shows on the button; from "upload" with no file yet, a
    gallery picture on the page switches the sidebar back to the gallery."""
    at = open_page("pages/convolution.py")
    at.sidebar.selectbox(key="input.sample").set_value("rocket").run()
    assert at.selectbox(key="input.page_sample").value == "rocket"
    at.sidebar.radio(key="input.source").set_value("upload").run()
    assert page_choice_label(at) == "Picture: none yet — change"
    assert any("Choose a picture to begin" in i.value for i in at.info)
    at.selectbox(key="input.page_sample").set_value("brick").run()
    assert at.sidebar.radio(key="input.source").value == "sample"
    assert at.sidebar.selectbox(key="input.sample").value == "brick"
    assert not at.info or not any("Choose a picture" in i.value for i in at.info)


def test_an_upload_on_the_page_becomes_the_lessons_picture():
    """A 30 x 45 upload through the button: the sidebar switches to it and says where it
    came from, the page computes on it, and the next page keeps it."""
    pixels = np.random.default_rng(0).integers(0, 256, (30, 45), np.uint8)
    at = open_page("pages/convolution.py")
    upload = ("my_photo.png", png_bytes(pixels), "image/png")
    at.file_uploader(key="uploader.page").set_value(upload)
    at.run()
    assert not at.exception
    assert at.sidebar.radio(key="input.source").value == "upload"
    text = text_of(at)
    assert "Shapes:** input `30 × 45`" in text
    assert "uploaded on the page" in text
    assert page_choice_label(at) == r"Picture: my\_photo\.png — change"
    at.switch_page("pages/pooling.py").run()
    assert "before `30 × 45`" in text_of(at)


def test_a_drawing_waits_and_the_page_button_still_offers_a_picture():
    """Draw your own, nothing drawn yet: the page asks for a picture and its button works."""
    at = open_page("pages/pooling.py")
    at.sidebar.radio(key="input.source").set_value("draw").run()
    assert any("Choose a picture to begin" in i.value for i in at.info)
    at.selectbox(key="input.page_sample").set_value("checkerboard").run()
    assert not at.exception
    assert at.sidebar.radio(key="input.source").value == "sample"
    assert "max pooling `" in text_of(at)
