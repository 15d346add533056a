"""Serving a class: users never see each other's pictures, and uploads never touch the disk."""

import sys

import numpy as np
import pytest

from tests.app.conftest import open_page, shape_after

WRITING = {"w", "a", "x", "+"}


class WriteWatch:
    """An audit hook (they cannot be removed) that records file writes while switched on."""

    def __init__(self):
        self.on = False
        self.writes: list[str] = []
        sys.addaudithook(self)

    def __call__(self, event, args):
        mode = args[1] if event == "open" and len(args) > 1 else None
        writing = isinstance(mode, str) and bool(WRITING & set(mode))
        if self.on and writing and not str(args[0]).startswith("/dev/"):
            self.writes.append(f"{args[0]} ({mode})")


@pytest.fixture(scope="module")
def watch():
    return WriteWatch()


def test_uploads_are_never_written_to_disk(watch, upload):
    """Uploading and filtering a photo opens no file for writing."""
    at = open_page("pages/convolution.py")  # warm-up: imports and font caches may write once
    photo = (np.random.default_rng(0).random((40, 30, 3)) * 255).astype(np.uint8)
    watch.on = True
    try:
        upload(at, photo, "secret-photo.png")
        at.number_input(key="conv.stride_h").set_value(2).run()
    finally:
        watch.on = False
    assert shape_after(at, "input") == (3, 40, 30)
    assert watch.writes == []


def test_a_second_student_never_sees_the_first_ones_image(upload):
    """Two sessions: one uploads and changes settings, the other still has the defaults."""
    first = open_page("pages/convolution.py")
    second = open_page("pages/convolution.py")
    upload(first, np.zeros((20, 20), np.uint8), "mine.png")
    first.number_input(key="conv.stride_h").set_value(3).run()
    second.run()
    assert shape_after(first, "input") == (20, 20)
    assert shape_after(second, "input") == (256, 256)
    assert second.number_input(key="conv.stride_h").value == 1
    assert "input.upload" not in second.session_state


def test_the_watch_sees_writes(watch, tmp_path):
    """The audit hook does record a write, so an empty list above means something."""
    watch.on = True
    try:
        (tmp_path / "probe.txt").write_text("x")
    finally:
        watch.on = False
    assert any("probe.txt" in w for w in watch.writes)
    watch.writes.clear()
