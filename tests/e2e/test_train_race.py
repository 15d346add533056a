"""Two browsers on the Train page: the second student's Train joins the race the first one
started, and both watch the same curves grow while it runs."""

from __future__ import annotations

import re
import time

import pytest

from cnnviz.data import dataset_available
from tests.e2e.conftest import screenshot, wait_until_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not dataset_available("fashion-mnist"),
        reason="Fashion-MNIST not found: set CNNVIZ_DATA_DIR to the folder holding fashion-mnist/",
    ),
]
PASSES = re.compile(r"CNN loss [\d.]+, accuracy [\d.]+ % after ([\d.]+) passes")


def passes(tab) -> float | None:
    """The CNN's passes in the live curves' caption, None before the first point."""
    found = PASSES.search(tab.locator("[data-testid='stMain']").inner_text())
    return float(found[1]) if found else None


def grows(tab, seconds: float = 90) -> tuple[float, float]:
    """Two readings of the CNN's passes, the second larger; fails if it never grows."""
    deadline = time.monotonic() + seconds
    first = None
    while time.monotonic() < deadline:
        now = passes(tab)
        if first is None:
            first = now
        elif now is not None and now > first:
            return first, now
        time.sleep(0.5)
    pytest.fail(f"the curves did not grow (passes stayed at {first})")


def test_a_second_student_joins_and_watches_the_same_race(server, browser):
    """Student A presses Train; student B opens Train with the same settings and presses it:
    B joins A's race (two watching, one race running), and both see its curves grow."""
    tabs = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1600, "height": 1100})
        tab = context.new_page()
        tab.set_default_timeout(90_000)
        tabs.append(tab)
    a, b = tabs
    try:
        a.goto(f"{server}/train")
        wait_until_idle(a, 90)
        a.get_by_role("button", name="Train both networks").click()
        a.get_by_text(PASSES).wait_for()  # A's race has its first points
        b.goto(f"{server}/train")
        wait_until_idle(b, 90)
        b.get_by_role("button", name="Train both networks").click()
        b.get_by_text("2 students watching this race").wait_for()
        assert "(now 1 training, 0 waiting)" in b.locator("[data-testid='stMain']").inner_text()
        early, later = grows(b)
        assert passes(a) is not None and abs(passes(a) - later) < 0.5  # the same race
        grows(a)
        screenshot(a, "train-race-student-a")
        screenshot(b, "train-race-student-b-joined")
        print(f"student B saw the shared race's CNN go from {early} to {later} passes")
    finally:
        for tab in tabs:
            tab.context.close()
