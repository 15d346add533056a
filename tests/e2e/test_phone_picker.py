"""On a phone (390 x 844) the sidebar is folded away: every lesson that picks a picture offers
the choice on the page itself, and a student changes the picture without opening the sidebar.
At 1600 px with the sidebar open the button is hidden: the sidebar holds the same choice."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import SHOTS, wait_until_idle

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
PICKING = ["convolution", "learn_kernel", "pooling", "four_filters"]


def _button(page, name: str):
    return page.get_by_role("button", name=re.compile(rf"^(image\s*)?Picture: {name} — change"))


def _sidebar_folded(page) -> bool:
    return page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true"


def _open_on_a_phone(page, server, path: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/{path}")
    wait_until_idle(page)
    assert _sidebar_folded(page), "on a phone the sidebar starts folded away"


@pytest.mark.parametrize("path", PICKING)
def test_a_phone_changes_the_gallery_picture_from_the_page(server, page, path):
    """The Picture button sits on the first screen; choosing Coins there changes the picture,
    the address and the button, and the sidebar stays folded."""
    _open_on_a_phone(page, server, path)
    button = _button(page, "Camera")
    expect(button).to_be_visible()
    assert button.bounding_box()["y"] + button.bounding_box()["height"] <= PHONE["height"]
    button.click()
    body = page.get_by_test_id("stPopoverBody")
    body.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Coins").click()
    page.wait_for_url(re.compile(r"input\.sample=Coins"))
    wait_until_idle(page)
    expect(_button(page, "Coins")).to_be_visible()
    assert _sidebar_folded(page), "the student never opened the sidebar"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"phone-picker-{path}.png"))


def test_a_phone_uploads_a_photo_from_the_page(server, page, tmp_path):
    """An upload through the page's button becomes the lesson's picture: its shape is printed
    and the sidebar says where it came from."""
    rng = np.random.default_rng(0)
    photo = tmp_path / "my photo.png"
    Image.fromarray(rng.integers(0, 256, (40, 60), np.uint8)).save(photo)
    _open_on_a_phone(page, server, "convolution")
    _button(page, "Camera").click()
    page.get_by_test_id("stPopoverBody").locator('input[type="file"]').set_input_files(photo)
    page.wait_for_url(re.compile(r"input\.source=Upload"))
    wait_until_idle(page)
    expect(_button(page, "my photo.png")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Shapes: input 40 × 60"))).to_be_visible()
    assert _sidebar_folded(page)


def test_on_a_wide_screen_the_sidebar_holds_the_choice(server, page):
    """At 1600 x 1000 with the sidebar open the page's button is hidden (the first screen is
    as before); folding the sidebar away brings it back."""
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    assert not _sidebar_folded(page)
    expect(_button(page, "Camera")).to_be_hidden()
    page.get_by_test_id("stSidebar").hover()
    page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    expect(_button(page, "Camera")).to_be_visible()
