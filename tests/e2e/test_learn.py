"""How a kernel learns, in a real browser: Play runs the learning without the server."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import screenshot, wait_until_idle
from tests.e2e.test_browser import assert_clean
from tests.e2e.test_linked import SentFrames

pytestmark = pytest.mark.e2e


def shown(root) -> dict:
    return root.evaluate("e => ({...e.dataset})")


def cells(root) -> list[str]:
    """The nine numbers of "Kernel now" as the student reads them."""
    return root.locator(".ln-kernel").first.locator("td").all_inner_texts()


def open_learn(tab, url: str, query: str = ""):
    tab.goto(f"{url}/learn_kernel{query}")
    wait_until_idle(tab)
    tab.locator(".ln-root[data-ready=true]").first.wait_for()
    return tab.locator(".ln-root").first


def test_play_moves_the_kernel_and_the_loss_without_the_server(server, page):
    """Play: the step, the kernel's cells and the loss on screen change at least 10 times a
    second, and the page sends the server nothing meanwhile (no rerun)."""
    root = open_learn(page, server, "?learn.steps=300")
    assert_clean(page)
    sent = SentFrames(page)
    before = shown(root)
    first_cells = cells(root)
    loss_text = root.locator(".ln-loss").inner_text()
    assert before["step"] == "0" and before["steps"] == "300"
    frames = sent.count
    page.get_by_role("button", name="▶ Play").click()
    start = time.monotonic()
    time.sleep(3)
    after = shown(root)
    elapsed = time.monotonic() - start
    rate = int(after["step"]) / elapsed
    print(f"Play: {after['step']} steps in {elapsed:.1f} s = {rate:.0f} steps/s on screen")
    assert rate >= 10
    assert cells(root) != first_cells
    assert root.locator(".ln-loss").inner_text() != loss_text
    assert float(after["loss"]) < float(before["loss"])
    assert sent.count == frames, "Play made the page talk to the server"
    page.get_by_role("button", name="⏸ Pause").click()
    paused = shown(root)["step"]
    time.sleep(0.5)
    assert shown(root)["step"] == paused and shown(root)["playing"] == "false"


def test_the_last_step_shows_the_servers_loss_and_the_target(server, page):
    """The scrubber's end shows the loss the page prints for the last step, and Sobel x's
    numbers in "Kernel now" (1,000 steps, the default: every one within 0.01)."""
    root = open_learn(page, server)
    printed = page.locator("p", has_text="at the start →").first.inner_text()
    root.locator("input[aria-label='Learning step']").evaluate(
        "e => { e.value = e.max; e.dispatchEvent(new Event('input')); }"
    )
    assert shown(root)["step"] == "1000"
    last = float(shown(root)["loss"])
    assert f"→ {last:.6f} after 1000 steps" in printed
    sobel = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
    on_screen = [float(c.replace("−", "-")) for c in cells(root)]  # two decimals
    assert all(abs(v - s) <= 0.015 for v, s in zip(on_screen, sobel, strict=True)), on_screen
    page.get_by_role("button", name="|◀").click()
    page.get_by_role("button", name="▶ Play").click()
    time.sleep(1.5)  # a picture of the lesson mid-run, as a class would see it
    page.get_by_role("button", name="⏸ Pause").click()
    screenshot(page, "learn-kernel")
