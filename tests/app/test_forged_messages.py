"""Forged websocket messages: the server does no more work than a real widget could ask for.

A browser's fixed-size kernel table only ever sends edits of its own cells; a hand-made
message can add 10,000 rows (45 s of server time when Streamlit applied them), delete rows,
name columns the table lacks or put text in a number cell. The page keeps the cells the
kernel has and says the rest was ignored.
"""

import base64
import binascii
import sys
import time
import types

import numpy as np
import pytest

from tests.app.conftest import open_page, shape_after, text_of
from tests.app.forged import edit_kernel

PAGE = "pages/convolution.py"
NOTE = "they were ignored"


def kernel_numbers(at) -> str:
    """The kernel as the page's link writes it (custom kernels only)."""
    return at.query_params.get("conv.kernel", "")


def test_ten_thousand_added_rows_cost_no_more_than_a_rerun():
    """10,000 rows added to the 3 x 3 table: the kernel stays 3 x 3, the rerun stays quick."""
    at = open_page(PAGE)
    start = time.perf_counter()
    at.run()
    plain = time.perf_counter() - start
    rows = [{str(c): 1.0 for c in range(3)} for _ in range(10_000)]
    start = time.perf_counter()
    at = edit_kernel(at, {"edited_rows": {}, "added_rows": rows, "deleted_rows": []})
    forged = time.perf_counter() - start
    assert not at.exception
    assert shape_after(at, "Kernel") == (3, 3)
    assert NOTE in text_of(at)
    assert forged < 3 * plain + 2, (forged, plain)  # applying the rows took 45 s


@pytest.mark.parametrize(
    "state",
    [
        {"edited_rows": {99: {"0": 5.0}}},
        {"edited_rows": {0: {"7": 5.0}}},
        {"edited_rows": {0: {"_index": 5.0}}},
        {"edited_rows": {0: {"1": "five"}}},
        {"edited_rows": {0: {"1": [1, 2]}}},
        {"edited_rows": {0: {"1": True}}},
        {"deleted_rows": [0, 1, 2]},
        {"edited_rows": {str(r): {"0": 1.0} for r in range(5000)}},
        {"edited_rows": {0: {str(c): 1.0 for c in range(5000)}}},
        {"surprise": 1},
    ],
    ids=[
        "row-99",
        "column-7",
        "index",
        "text",
        "list",
        "boolean",
        "deleted",
        "5000-rows",
        "5000-columns",
        "unknown-field",
    ],
)
def test_edits_the_table_cannot_hold_are_ignored(state):
    """Rows, columns, index edits and values no 3 x 3 number table has: ignored, said once."""
    at = edit_kernel(open_page(PAGE), state)
    assert not at.exception
    assert shape_after(at, "Kernel") == (3, 3)
    assert NOTE in text_of(at)
    at.run()
    assert NOTE not in text_of(at) and not at.exception


def test_a_real_edit_next_to_a_forged_one_is_kept():
    """The cells the kernel has keep their new numbers; the rest is dropped."""
    at = edit_kernel(open_page(PAGE), {"edited_rows": {1: {"1": 2.5, "9": 7.0}}, "added_rows": []})
    assert NOTE in text_of(at)
    assert kernel_numbers(at) == "-1,0,1;-2,2.5,2;-1,0,1"


def test_an_ordinary_edit_works_without_a_note():
    """What a browser sends when a cell is typed in changes the kernel, and says nothing."""
    at = edit_kernel(open_page(PAGE), {"edited_rows": {0: {"0": 3.0}}})
    assert NOTE not in text_of(at)
    assert kernel_numbers(at) == "3,0,1;-2,0,2;-1,0,1"


class Pad:
    """What the drawing pad hands back: its data URL, decoded as the library does."""

    def __init__(self, url: str):
        self.url = url

    @property
    def image_bytes(self) -> bytes:
        _, encoded = self.url.split(";base64,", 1)  # the library's own two steps
        return base64.b64decode(encoded, validate=True)


def refuses(**options):
    raise TypeError("'list' object has no attribute 'get'")  # a state that is no drawing


@pytest.mark.parametrize(
    "canvas",
    [
        lambda **options: Pad("data:image/png,no-base64-here"),
        lambda **options: Pad("data:image/png;base64,@@@"),
        refuses,
    ],
    ids=["no-base64", "bad-base64", "state-not-a-drawing"],
)
def test_a_drawing_pad_message_that_is_no_drawing(canvas, monkeypatch):
    """A pad state no pad sends: a sentence, no traceback, no picture."""
    assert issubclass(binascii.Error, ValueError)
    fake = types.ModuleType("streamlit_drawable_canvas")
    fake.st_canvas = canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    at = open_page(PAGE)
    at.sidebar.radio(key="input.source").set_value("draw").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "not a drawing" in text_of(at)


def test_the_table_keeps_numbers_as_numbers():
    """Values arrive as float32: the kernel the page reports is the one that was typed."""
    at = edit_kernel(open_page(PAGE), {"edited_rows": {2: {"2": 0.125}}})
    numbers = [float(v) for v in kernel_numbers(at).replace(";", ",").split(",")]
    assert np.float32(numbers[-1]) == np.float32(0.125)
