"""Class load test: N students use the app at once.

    python bench/classroom.py [--sessions 50] [--think 2 5] [--browser] [--url URL]

Starts `streamlit run app.py` on a free loopback port (unless --url is given) and walks N
students through the classroom script with 2 to 5 s of thinking between steps. Prints
sessions completed, p50/p95 interaction latency (from the action until Streamlit reports the
script run finished), errors, and the server's peak memory. Not a CI gate.

Default: each student is a websocket speaking Streamlit's protocol (ui/visitor.py):
open the Convolution page, pick a photo, change the kernel and the stride, open Pooling and
change the window, open Inside a CNN, open the Glossary. With --browser each student is a
Playwright context in Debian's chromium and uploads a real photo instead of picking one;
the browsers then share the server's cores, so use it with a handful of students (CI: 5).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server  # noqa: E402

IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)  # seconds per interaction
    completed: int = 0
    by_step: dict[str, list[float]] = field(default_factory=dict)  # protocol mode: per step
    errors: list[str] = field(default_factory=list)


def photo(path: Path) -> Path:
    """A 640 x 480 colour 'photo' with edges and texture, saved as JPEG."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:480, 0:640]
    base = np.stack([(x / 640), (y / 480), ((x // 80 + y // 80) % 2) * 0.8], axis=-1)
    pixels = (np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=88)
    return path


async def step(tab, results: Results, action) -> None:
    """Do ``action``, then wait until the app has rerun; record the latency."""
    start = time.perf_counter()
    await action()
    await tab.wait_for_timeout(150)  # let the rerun start before waiting for it to end
    await tab.wait_for_function(IDLE, timeout=120_000)
    results.latencies.append(time.perf_counter() - start)


async def type_number(tab, label: str, value: int) -> None:
    """Type ``value`` into the number box labelled ``label`` and press Enter, as a student."""
    box = tab.get_by_role("spinbutton", name=label)
    await box.fill(str(value))
    await box.press("Enter")


async def student(browser, url: str, picture: Path, think, results: Results, n: int) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = await context.new_page()
    tab.set_default_timeout(120_000)
    pause = lambda: tab.wait_for_timeout(random.uniform(*think) * 1000)  # noqa: E731
    try:
        await step(tab, results, lambda: tab.goto(f"{url}/convolution"))
        await tab.wait_for_selector("h1")
        await pause()
        await step(tab, results, lambda: tab.get_by_text("Upload a picture").click())
        await pause()
        await step(
            tab, results, lambda: tab.locator('input[type="file"]').set_input_files(str(picture))
        )
        # the photo is worked on at the default 256 px: 480 x 640 -> 192 x 256
        await tab.get_by_text(re.compile(r"input 3 × 192 × 256")).first.wait_for()
        await pause()

        async def kernel():
            await tab.get_by_label("Kernel preset").click()
            await tab.get_by_role("option", name="Gaussian blur 5x5").click()

        await step(tab, results, kernel)
        await pause()
        await step(tab, results, lambda: type_number(tab, "Stride down", 2))
        await pause()
        await step(tab, results, lambda: tab.goto(f"{url}/pooling"))
        await tab.wait_for_selector("h1")
        await pause()
        await step(tab, results, lambda: type_number(tab, "Window height", 3))
        await pause()
        await step(tab, results, lambda: tab.goto(f"{url}/glossary"))
        text = await tab.locator("[data-testid='stMain']").inner_text()
        if "Traceback" in text or "encountered an error" in text:
            raise RuntimeError("error text on the page")
        results.completed += 1
    except Exception as error:  # a load test reports failures, it does not stop at one
        results.errors.append(f"student {n}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await context.close()


def watch_memory(pid: int, peak: list[int], stop: threading.Event, slot: int = 0) -> None:
    """Sample the server's resident memory (VmRSS of it and its children) every 0.5 s."""
    while not stop.is_set():
        try:
            kb = int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
            peak[slot] = max(peak[slot], kb)
        except (OSError, IndexError, ValueError):
            pass
        stop.wait(0.5)


async def protocol_student(url: str, think, results: Results, n: int) -> None:
    from ui.visitor import Visitor

    async def step(action, name: str) -> None:
        seconds = await action
        results.latencies.append(seconds)
        results.by_step.setdefault(name, []).append(seconds)
        await asyncio.sleep(random.uniform(*think))

    try:
        async with Visitor(url) as s:
            await step(s.open("convolution"), "open Convolution")
            await step(s.set("input.sample", "string_value", "coins"), "pick a photo")
            await step(s.set("conv.preset", "string_value", "gaussian_5"), "change kernel")
            await step(s.set("conv.stride_h", "int_value", 2), "change stride")
            await step(s.open("pooling"), "open Pooling")
            await step(s.set("pool.kh", "int_value", 3), "change window")
            await step(s.open("inside_cnn"), "open Inside a CNN")
            if not any(t.startswith("### Prediction:") for t in s.texts):
                raise RuntimeError("Inside a CNN showed no prediction")
            await step(s.open("glossary"), "open Glossary")
            if s.exceptions:
                raise RuntimeError(f"{s.exceptions} exception(s) shown")
        results.completed += 1
    except Exception as error:  # a load test reports failures, it does not stop at one
        results.errors.append(f"student {n}: {type(error).__name__}: {str(error)[:200]}")


async def protocol_classroom(urls: list[str], sessions: int, think) -> Results:
    """Students go to the servers in turn, as a sticky-session proxy would send them."""
    results = Results()
    tasks = []
    for n in range(sessions):
        url = urls[n % len(urls)]
        tasks.append(asyncio.create_task(protocol_student(url, think, results, n)))
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)
    return results


async def classroom(url: str, sessions: int, think, picture: Path) -> Results:
    from playwright.async_api import async_playwright

    results = Results()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tasks = []
        for n in range(sessions):
            tasks.append(asyncio.create_task(student(browser, url, picture, think, results, n)))
            await asyncio.sleep(0.2)  # students do not all press Enter in the same millisecond
        await asyncio.gather(*tasks)
        await browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0))
    parser.add_argument("--url", help="an already running server; default: start one")
    parser.add_argument("--browser", action="store_true", help="real chromium tabs")
    parser.add_argument(
        "--replicas", type=int, default=1, help="servers to start; students split among them"
    )
    args = parser.parse_args()
    servers = [] if args.url else [start_server() for _ in range(args.replicas)]
    urls = [args.url] if args.url else [url for _, url in servers]
    url = urls[0]
    peak, stop = [0] * len(servers), threading.Event()
    for i, (process, _) in enumerate(servers):
        threading.Thread(
            target=watch_memory, args=(process.pid, peak, stop, i), daemon=True
        ).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            if args.browser:
                picture = photo(Path(folder) / "photo.jpg")
                results = asyncio.run(classroom(url, args.sessions, args.think, picture))
            else:
                results = asyncio.run(protocol_classroom(urls, args.sessions, args.think))
            wall = time.perf_counter() - started
    finally:
        stop.set()
        for process, _ in servers:
            stop_server(process)
    lat = sorted(results.latencies)
    p95 = lat[max(0, int(round(0.95 * len(lat))) - 1)] if lat else float("nan")
    print(f"sessions completed: {results.completed} of {args.sessions} in {wall:.0f} s")
    p50 = statistics.median(lat) if lat else float("nan")
    print(f"interactions: {len(lat)}; latency p50 {p50:.2f} s, p95 {p95:.2f} s")
    for name, seconds in results.by_step.items():
        print(f"  {name:<20} p50 {statistics.median(seconds):5.2f} s  max {max(seconds):5.2f} s")
    print(f"errors: {len(results.errors)}")
    for error in results.errors[:10]:
        print(f"  {error}")
    for i, kb in enumerate(peak):
        print(f"server {i + 1} of {len(peak)} peak memory: {kb / 1024:.0f} MB")
    return 0 if results.completed == args.sessions and not results.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
