"""Browser tests: the real app served by `streamlit run`, driven by Playwright in Debian's chromium.

Skipped, with the reason, where /usr/bin/chromium or playwright is missing. Screenshots go to
``$CNNVIZ_SCREENSHOTS`` (default ``screenshots/`` in the checkout); the run prints the folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("CNNVIZ_SCREENSHOTS", ROOT / "screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pages_in_app() -> list[tuple[str, str]]:
    """``(url path, title)`` of every page app.py registers; the default page is ``""``."""
    from ui.lessons import HOME, PAGES  # app.py registers exactly these

    return [("" if page.file == HOME else Path(page.file).stem, page.title) for page in PAGES]


def start_server() -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` on a free loopback port and wait for its health check."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "CNNVIZ_WARM_UP": "on"},  # served as a teacher would serve it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    pytest.fail("the streamlit server did not answer /_stcore/health within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server and everything it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def server():
    """A server for the whole browser session; yields its base URL."""
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium (.ci/run installs it)"
        )
    pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")
    process, url = start_server()
    yield url
    stop_server(process)


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


def wait_until_idle(tab, seconds: float = 60) -> None:
    """Wait until Streamlit has finished the script run (its status widget is gone)."""
    tab.wait_for_selector("h1", timeout=seconds * 1000)
    tab.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=seconds * 1000,
    )
    time.sleep(0.5)


def screenshot(tab, name: str) -> Path:
    """Save a full-height screenshot as ``SHOTS/name.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = tab.evaluate(
        "() => Math.max(...[...document.querySelectorAll('section, div')].map(e => e.scrollHeight))"
    )
    tab.set_viewport_size({"width": 1600, "height": min(max(int(height), 1100), 8000)})
    time.sleep(0.5)
    path = SHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def pytest_terminal_summary(terminalreporter):
    if SHOTS.exists() and any(SHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SHOTS}")
