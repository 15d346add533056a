"""Extreme numbers never reach a page: kernels near 1e38 (typed or in a link), float32 TIFFs
from -3e38 to 3e38, unsigned 32-bit TIFFs, NaN. Every number a linked view is sent is finite.
"""

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ui.linked
from tests.app.conftest import open_page, shape_after, text_of
from tests.app.forged import edit_kernel
from tests.hostile.make_corpus import make_corpus

EXTREME = [c for c in make_corpus() if c.name in ("float-huge.tif", "uint32.tif")]


@pytest.fixture
def sent(monkeypatch):
    """Everything the pages hand the linked views in a test: settings, and files by URL."""
    record = {"data": [], "files": {}}
    mount, url = ui.linked._mount, ui.linked._url

    def mount_and_keep(key, data, label):
        record["data"].append(data)
        return mount(key, data, label)

    def url_and_keep(data, mimetype, digest, slot):
        address = url(data, mimetype, digest, slot)
        record["files"][address] = data
        return address

    monkeypatch.setattr(ui.linked, "_mount", mount_and_keep)
    monkeypatch.setattr(ui.linked, "_url", url_and_keep)
    return record


def float_specs(data):
    """Every ``{"url", "dtype"}`` of a view's settings: where its exact numbers are."""
    if isinstance(data, dict):
        if "dtype" in data and "url" in data:
            yield data
        for value in data.values():
            yield from float_specs(value)
    elif isinstance(data, list):
        for value in data:
            yield from float_specs(value)


def assert_all_finite(record) -> None:
    """The settings are strict JSON (no NaN or Infinity) and every float32 file is finite."""
    assert record["data"], "no linked view was drawn"
    for data in record["data"]:
        json.dumps(data, allow_nan=False)
        for spec in float_specs(data):
            if spec["dtype"] == "f4":
                assert np.isfinite(np.frombuffer(record["files"][spec["url"]], "<f4")).all()


def no_nan_text(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not re.search(r"\bnan\b|\binf\b", text_of(at), re.I), text_of(at)[:2000]


def test_a_link_with_a_1e38_kernel_is_ignored_and_named(sent):
    """``?conv.kernel=1e38,...``: the preset is used, one line says why, numbers stay finite."""
    at = open_page("pages/convolution.py", {"conv.kernel": "1e38,0,0;0,1e38,0;0,0,-1e38"})
    assert any("`conv.kernel`" in c.value for c in at.caption)
    assert shape_after(at, "output") == (254, 254)
    no_nan_text(at)
    assert_all_finite(sent)


def test_the_largest_allowed_kernel_everywhere_stays_finite(sent):
    """15 x 15 cells of 1,000, summed over three colours, plus the largest bias."""
    kernel = "|".join([";".join([",".join(["1000"] * 15)] * 15)] * 3)
    query = {
        "input.sample": "Astronaut",
        "conv.colour_mode": "One kernel per colour, summed (a CNN layer)",
        "conv.kernel": kernel,
        "conv.bias": "10",
    }
    at = open_page("pages/convolution.py", query)
    assert shape_after(at, "Kernel") == (3, 15, 15)
    no_nan_text(at)
    assert_all_finite(sent)


@pytest.mark.parametrize("value", [1e38, -3.4e38, 1001.0])
def test_a_typed_kernel_number_beyond_the_range_is_explained(value, sent):
    """A cell typed as 1e38 (or just over 1,000): the page names the cell and the range and
    draws nothing from it."""
    at = open_page("pages/convolution.py")
    sent["data"].clear()
    at = edit_kernel(at, {"edited_rows": {1: {"2": value}}})
    assert not at.exception
    assert any("row 1, column 2" in w.value and "1,000" in w.value for w in at.warning)
    assert not sent["data"]  # no linked view was drawn from it


@pytest.mark.parametrize("case", EXTREME, ids=[c.name for c in EXTREME])
@pytest.mark.parametrize("page", ["pages/convolution.py", "pages/pooling.py"])
def test_extreme_tiffs_on_the_lessons(page, case, sent):
    """Float32 near ±3e38 and unsigned 32-bit TIFFs: stretched, finite, explained."""
    at = open_page(page)
    at.sidebar.radio(key="input.source").set_value("upload").run()
    at.file_uploader(key="uploader.input").set_value((case.name, case.data, "image/tiff"))
    at.run()
    no_nan_text(at)
    assert "stretched to 0..1" in text_of(at)
    assert_all_finite(sent)


@pytest.mark.parametrize("case", EXTREME, ids=[c.name for c in EXTREME])
def test_extreme_tiffs_inside_a_cnn(case, sent, monkeypatch, data_dir):
    """The network gets finite pixels: a class with a real percentage, never "nan %"."""
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(data_dir))
    at = open_page("pages/inside_cnn.py")
    at.radio(key="inside.source").set_value("upload").run()
    at.file_uploader(key="inside.upload").set_value((case.name, case.data, "image/tiff"))
    at.run()
    no_nan_text(at)
    assert re.search(r"\d+(\.\d+)? ?%", text_of(at))
    assert_all_finite(sent)


def test_normalise_never_makes_numbers_too_large():
    """A kernel whose numbers add up to almost 0 is left as it is, and the page says why."""
    at = open_page("pages/convolution.py")
    at.selectbox(key="conv.preset").set_value("identity").run()
    at = edit_kernel(at, {"edited_rows": {0: {"0": -0.999999}}})  # sum 1e-6: divided, 1e6
    at.button(key="conv.button_normalise").click().run()
    assert not at.exception
    assert any("Normalise left the kernel as it was" in c.value for c in at.caption)
    assert not any("must be between" in w.value for w in at.warning)
