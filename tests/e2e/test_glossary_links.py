"""Glossary links open in the same tab and keep the student's session (settings, picture)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import wait_until_idle

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect


def _set_stride(page, value: str) -> None:
    stride = page.get_by_role("spinbutton", name="Stride down")
    stride.fill(value)
    stride.press("Enter")
    page.wait_for_url(re.compile(rf"conv\.stride_h={value}"))
    wait_until_idle(page)


def _follow_kernel_link(page) -> None:
    before = len(page.context.pages)
    page.locator("a[href='/glossary#kernel-filter']").first.click()
    page.wait_for_url(re.compile(r"/glossary#kernel-filter$"))
    page.get_by_role("heading", name="Glossary").wait_for()
    wait_until_idle(page)
    assert len(page.context.pages) == before  # no new tab
    expect(page.locator("#kernel-filter").first).to_be_in_viewport()  # scrolled to the word


def test_glossary_link_and_back_keep_the_setting(server, page):
    """Convolution, stride 3, a glossary link, then Back: same tab, stride still 3."""
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    _set_stride(page, "3")
    _follow_kernel_link(page)
    page.go_back()
    page.wait_for_url(re.compile(r"/convolution"))
    wait_until_idle(page)
    expect(page.get_by_role("spinbutton", name="Stride down")).to_have_value("3")


def test_glossary_link_then_sidebar_keep_the_setting(server, page):
    """Convolution, stride 3, a glossary link, then the sidebar's Convolution: stride still 3."""
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    _set_stride(page, "3")
    _follow_kernel_link(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Convolution").click()
    page.wait_for_url(re.compile(r"/convolution"))
    wait_until_idle(page)
    expect(page.get_by_role("spinbutton", name="Stride down")).to_have_value("3")


def test_glossary_link_on_a_phone_stays_in_the_tab(server, page):
    """At 390 x 844, sidebar folded away, a glossary link still keeps tab and setting."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    _set_stride(page, "3")
    _follow_kernel_link(page)
    page.go_back()
    page.wait_for_url(re.compile(r"/convolution"))
    wait_until_idle(page)
    expect(page.get_by_role("spinbutton", name="Stride down")).to_have_value("3")
