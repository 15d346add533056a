"""Warm the class server's shared caches in the background, once, at its first visit.

Without it the first students to open a page wait for what is then kept for everybody:
importing torch and matplotlib, loading the networks and the test pictures, drawing each
page's default figures. The teacher usually opens the app before the class arrives; this
uses that minute: a thread visits every lesson page once over the app's own websocket, as a
browser would, so whatever a page computes and draws by default is ready, then picks each
gallery picture in turn (what every student does first).

A server does nothing before its first visit, so a replica nobody opens stays cold:

    python -m ui.warm http://127.0.0.1:8501 [http://127.0.0.1:8502 ...]

waits until each server answers and opens its Home page once, which starts that server's
own warm-up (the Docker image runs it beside the server).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

import streamlit as st

from ui import cache

LOG = logging.getLogger(__name__)
SWITCH = "CNNVIZ_WARM_UP"  # "off": no warm-up (the page tests run many apps in one process)
VISIT_TIMEOUT = 300  # seconds for the whole visit; a slow machine just warms less
START_TIMEOUT = 120  # seconds a server may take to answer its health check (torch is big)


def start() -> threading.Thread | None:
    """Start the warm-up thread, once per server process; returns it (None when off)."""
    return None if os.environ.get(SWITCH) == "off" else _start()


@cache.resource()
def _start() -> threading.Thread:
    thread = threading.Thread(target=warm, args=(own_url(),), name="cnnviz-warm-up", daemon=True)
    thread.start()
    return thread


def warm(url: str) -> None:
    """Visit every lesson page of the server at ``url`` once; log, never raise."""
    try:
        pages = asyncio.run(asyncio.wait_for(visit(url), VISIT_TIMEOUT))
    except Exception as error:  # noqa: BLE001  (a warm-up that fails only costs speed)
        LOG.warning("warm-up could not visit the pages at %s: %r", url, error)
    else:
        LOG.info("warm-up visited %s", ", ".join(pages))


async def visit(url: str) -> list[str]:
    """Open every registered page once with its defaults, like a new student, the lessons
    first and in their order; then show each gallery picture on the Convolution page.
    Returns the pages opened. Raises ``RuntimeError`` if a page showed an error.
    """
    from cnnviz import samples
    from ui.lessons import available, registered
    from ui.visitor import Visitor

    in_lesson_order = dict.fromkeys(page for page, _, _ in available())  # what students open first
    rest = sorted(registered() - in_lesson_order.keys())
    pages = [Path(page).stem for page in [*in_lesson_order, *rest]]
    async with Visitor(url) as visitor:
        for page in pages:
            await visitor.open(page)
            if visitor.exceptions:
                raise RuntimeError(f"the {page} page showed an error")
        if "convolution" in pages:  # a student's first move: pick a picture from the gallery
            await visitor.open("convolution")
            for name in samples.SAMPLES:
                await visitor.set("input.sample", "string_value", name)
            if visitor.exceptions:
                raise RuntimeError("a sample picture showed an error")
    return pages


def own_url() -> str:
    """This server's address as seen from the machine itself."""
    address = st.get_option("server.address") or "127.0.0.1"
    if address in ("0.0.0.0", "::"):  # listening everywhere: loopback is one of them
        address = "127.0.0.1"
    if ":" in address:
        address = f"[{address}]"
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{address}:{st.get_option('server.port')}" + (f"/{base}" if base else "")


def wait_until_up(url: str, timeout: float) -> bool:
    """True once ``url``/_stcore/health answers 200, False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


async def open_home(url: str) -> None:
    """Open the app's Home page once, as a first visitor: the server starts its warm-up."""
    from ui.visitor import Visitor

    async with Visitor(url) as visitor:
        await visitor.open("")
        if visitor.exceptions:
            raise RuntimeError("the Home page showed an error")


def main(urls: list[str]) -> int:
    """Start the warm-up of each server at ``urls``; 0 when all answered, 1 otherwise."""
    failed = 0
    for url in (u.rstrip("/") for u in urls):
        try:
            if not wait_until_up(url, START_TIMEOUT):
                raise TimeoutError(f"no answer within {START_TIMEOUT} s")
            asyncio.run(open_home(url))
        except Exception as error:  # noqa: BLE001  (report every server, then fail)
            print(f"{url}: not warmed: {error!r}", file=sys.stderr)
            failed += 1
        else:
            print(f"{url}: warm-up started")
    return 1 if failed or not urls else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
