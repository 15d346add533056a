"""The warm-up visit, against the real server: every lesson page opens without an error."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ui import warm
from ui.lessons import registered

pytestmark = pytest.mark.e2e


def test_the_warm_up_visits_every_registered_page(server):
    """warm.visit opens each page app.py registers, over the websocket, with no error shown."""
    with ThreadPoolExecutor(1) as thread:  # as in the server: its own thread and event loop
        pages = thread.submit(lambda: asyncio.run(warm.visit(server))).result(timeout=300)
    assert sorted(pages) == sorted(Path(page).stem for page in registered())
    assert pages[:4] == ["convolution", "pooling", "inside_cnn", "train"]  # the lesson order
