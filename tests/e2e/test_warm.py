"""The warm-up, against the real server: its visit opens every page without an error, and the
command that starts a replica's warm-up succeeds."""

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT
from ui import warm
from ui.lessons import registered

pytestmark = pytest.mark.e2e


def test_the_warm_up_visits_every_registered_page(server):
    """warm.visit opens each page app.py registers, over the websocket, with no error shown."""
    with ThreadPoolExecutor(1) as thread:  # as in the server: its own thread and event loop
        pages = thread.submit(lambda: asyncio.run(warm.visit(server))).result(timeout=300)
    assert sorted(pages) == sorted(Path(page).stem for page in registered())
    lessons = ["convolution", "learn_kernel", "pooling", "four_filters", "inside_cnn", "train"]
    assert pages[:6] == lessons


def test_the_command_starts_a_servers_warm_up(server):
    """`python -m ui.warm URL` (the Docker image runs it beside the server): exit status 0."""
    run = subprocess.run(
        [sys.executable, "-m", "ui.warm", server],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert f"{server}: warm-up started" in run.stdout
