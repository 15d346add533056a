"""Page tests: AppTest from the entry point, with helpers to read the numbers pages print."""

import io
import json
import os
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

APP = "../../app.py"  # AppTest resolves paths relative to this folder

# A served app warms its caches in a background thread (ui/warm.py). Here many apps share
# one process and a test may watch its file writes: the warm-up has its own test instead.
os.environ["CNNVIZ_WARM_UP"] = "off"


def open_page(page: str, query: dict | None = None) -> AppTest:
    """Run the app, switch to ``page`` (e.g. "pages/convolution.py") and return it."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def png_bytes(pixels: np.ndarray) -> bytes:
    """A real PNG file of a uint8 (H, W) or (H, W, 3) array."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def text_of(at: AppTest) -> str:
    """Everything the page printed as markdown, captions, alerts and code, one string."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "success", "error")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def quiz_of(at: AppTest, p: str) -> dict:
    """The data the page sent its quiz ``p`` (the browser component of ``ui.quiz``): intro,
    showAll and each question's name, choices, answer and rendered text."""
    found = []
    for element in at.get("bidi_component"):
        data = json.loads(element.proto.json or "{}")  # the glossary links send no data
        names = [q["name"] for q in data.get("questions", [])]
        if any(name == p or name.startswith(f"{p}.") for name in names):
            found.append(data)
    assert len(found) == 1, f"{len(found)} quizzes named {p} on the page"
    return found[0]


def shape_after(at: AppTest, label: str) -> tuple[int, ...]:
    """The shape printed as ``label `a × b × c```, e.g. ``shape_after(at, "output")``."""
    found = re.search(rf"{label} `([0-9 ×]+)`", text_of(at))
    assert found, f"no '{label} `...`' in the page text"
    return tuple(int(n) for n in found.group(1).split("×"))


@pytest.fixture
def upload():
    """Switch the picker to upload and send ``pixels`` as a PNG named ``name``."""

    def send(at: AppTest, pixels: np.ndarray, name: str = "photo.png") -> AppTest:
        at.sidebar.radio(key="input.source").set_value("upload").run()
        at.file_uploader(key="uploader.input").set_value((name, png_bytes(pixels), "image/png"))
        return at.run()

    return send
