"""Warm the class server's shared caches in the background, once, at its first visit.

Without it the first students to open a page wait for what is then kept for everybody:
importing torch and matplotlib, loading the networks and the test pictures, drawing each
page's default figures. The teacher usually opens the app before the class arrives; this
uses that minute: a thread visits every lesson page once over the app's own websocket, as a
browser would, so whatever a page computes and draws by default is ready, then picks each
gallery picture in turn (what every student does first).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

import streamlit as st

LOG = logging.getLogger(__name__)
SWITCH = "CNNVIZ_WARM_UP"  # "off": no warm-up (the page tests run many apps in one process)
VISIT_TIMEOUT = 300  # seconds for the whole visit; a slow machine just warms less


def start() -> threading.Thread | None:
    """Start the warm-up thread, once per server process; returns it (None when off)."""
    return None if os.environ.get(SWITCH) == "off" else _start()


@st.cache_resource(show_spinner=False)
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
