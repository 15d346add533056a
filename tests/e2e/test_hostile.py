"""Hostile input in a real browser: links the gate rewrites, extreme numbers in the linked
views, an upload over the limit, and no request to anyone but the app's own server."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from cnnviz import correlate2d, pool2d
from cnnviz.data import dataset_available
from cnnviz.images import MAX_BYTES, decode_image
from tests.e2e.conftest import pages_in_app, screenshot, wait_until_idle
from tests.e2e.test_browser import assert_clean
from tests.e2e.test_linked import point_at, shown
from tests.hostile.make_corpus import make_corpus

pytestmark = pytest.mark.e2e
EXTREME = {c.name: c for c in make_corpus() if c.name in ("float-huge.tif", "uint32.tif")}


class Requests:
    """Every request the tab makes, by URL."""

    def __init__(self, tab):
        self.urls: list[str] = []
        tab.on("request", lambda request: self.urls.append(request.url))

    def foreign(self, server: str) -> list[str]:
        """Requests to anything but the app's own origin (data: and blob: stay in the tab)."""
        own = urlsplit(server)
        return [
            url
            for url in self.urls
            if not url.startswith(("data:", "blob:"))
            and (urlsplit(url).scheme, urlsplit(url).netloc) != (own.scheme, own.netloc)
        ]


@pytest.mark.parametrize(("path", "title"), pages_in_app())
def test_no_page_asks_a_third_party_for_anything(server, page, path, title):
    """Fonts, icons, the favicon: every request of every page goes to the app's own server."""
    seen = Requests(page)
    page.goto(f"{server}/{path}")
    wait_until_idle(page)
    time.sleep(1)  # the favicon and late fonts
    assert seen.urls, "the recorder saw nothing"
    assert seen.foreign(server) == []
    icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert icon.startswith("data:") or icon.startswith(server) or icon.startswith("./")


def test_a_hostile_link_is_named_and_rewritten(server, page):
    """``?conv.stride_h=inf`` and a 1e38 kernel: the page opens, one line each, and the address
    keeps only the good parameter."""
    kernel = "1e38,0,0;0,1e38,0;0,0,-1e38"
    page.goto(f"{server}/convolution?conv.stride_h=inf&conv.kernel={kernel}&conv.dil_w=2")
    wait_until_idle(page)
    text = page.locator("[data-testid='stMain']").first.inner_text()
    assert "conv.stride_h" in text and "conv.kernel" in text and "was ignored" in text
    page.wait_for_function("() => !location.search.includes('stride_h')")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"conv.dil_w": ["2"]}, page.url
    page.reload()  # the rewritten address opens without notices
    wait_until_idle(page)
    assert "was ignored" not in page.locator("[data-testid='stMain']").first.inner_text()
    assert_clean(page)


def upload(tab, server: str, page_name: str, path, shape_words: str):
    tab.goto(f"{server}/{page_name}")
    wait_until_idle(tab)
    tab.get_by_text("Upload a picture").click()
    wait_until_idle(tab)
    tab.locator('input[type="file"]').set_input_files(str(path))
    tab.get_by_text(shape_words).first.wait_for()
    wait_until_idle(tab)
    root = tab.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    return root


def no_odd_numbers(root) -> None:
    words = root.inner_text()
    assert not re.search(r"NaN|Infinity|undefined|∞", words), words[:1500]


@pytest.mark.parametrize("name", list(EXTREME))
def test_extreme_tiffs_in_the_convolution_linked_view(server, page, tmp_path, name):
    """Float32 near ±3e38 and unsigned 32-bit TIFFs: the browser's sums equal the server's."""
    path = tmp_path / name
    path.write_bytes(EXTREME[name].data)
    root = upload(page, server, "convolution", path, "32 × 64")
    image = decode_image(EXTREME[name].data).pixels
    expected = correlate2d(image, np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32))
    for row, col in [(0, 0), (15, 30), (29, 61)]:
        page.mouse.move(*point_at(page, row, col, expected.shape))
        assert float(shown(root)["value"]) == pytest.approx(float(expected[row, col]), abs=1e-4)
    no_odd_numbers(root)
    screenshot(page, f"hostile-conv-{name}")
    assert_clean(page)


def test_the_largest_kernel_numbers_in_the_linked_view(server, page):
    """Kernel cells at ±1,000 and the largest bias: finite products and sums in the browser."""
    kernel = "1000,-1000,1000;-1000,1000,-1000;1000,-1000,1000"
    page.goto(f"{server}/convolution?conv.kernel={kernel}&conv.bias=10&input.size=32")
    wait_until_idle(page)
    root = page.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    for row, col in [(0, 0), (10, 10), (29, 29)]:
        page.mouse.move(*point_at(page, row, col, (30, 30)))
        assert np.isfinite(float(shown(root)["value"]))
    no_odd_numbers(root)
    assert_clean(page)


def test_an_extreme_tiff_in_the_pooling_linked_view(server, page, tmp_path):
    """The pooled cells the browser explains are pool2d's numbers."""
    path = tmp_path / "float-huge.tif"
    path.write_bytes(EXTREME["float-huge.tif"].data)
    root = upload(page, server, "pooling", path, "32 × 64")
    root.scroll_into_view_if_needed()
    expected = pool2d(decode_image(path.read_bytes()).pixels, 2, stride=2)
    for row, col in [(0, 0), (7, 20), (15, 31)]:
        page.mouse.move(*point_at(page, row, col, expected.shape))
        assert float(shown(root)["value"]) == pytest.approx(float(expected[row, col]), abs=1e-6)
    no_odd_numbers(root)
    assert_clean(page)


def test_an_extreme_tiff_inside_a_cnn(server, page, tmp_path):
    """The network's feature maps of a ±3e38 picture are numbers, and so is its answer."""
    if not dataset_available("fashion-mnist"):
        pytest.skip("needs the Fashion-MNIST test set (CNNVIZ_DATA_DIR, see README)")
    path = tmp_path / "float-huge.tif"
    path.write_bytes(EXTREME["float-huge.tif"].data)
    page.goto(f"{server}/inside_cnn")
    wait_until_idle(page)
    page.get_by_text("Upload a picture").click()
    wait_until_idle(page)
    assert page.locator(".lv-root").count() == 0  # no picture yet
    page.locator('input[type="file"]').set_input_files(str(path))
    root = page.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    wait_until_idle(page)
    no_odd_numbers(root)
    words = page.locator("[data-testid='stMain']").inner_text()
    assert not re.search(r"\bnan\b", words, re.I) and re.search(r"\d %", words)
    assert_clean(page)


def test_an_upload_over_the_limit_is_refused_and_the_page_says_so(server, page, tmp_path):
    """The browser refuses a file one byte over 25 MB, at the limit the decoder uses, and
    says so beside the earlier file, which stays the picture in use."""
    first = tmp_path / "first.png"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(first)
    upload(page, server, "convolution", first, "20 × 30")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES - 7))
    assert big.stat().st_size == MAX_BYTES + 1
    page.locator('input[type="file"]').set_input_files(str(big))
    uploader = page.locator("[data-testid='stFileUploader']").first
    uploader.get_by_text("File must be 25.0MB or smaller").wait_for()
    wait_until_idle(page)
    assert "first.png" in uploader.inner_text()
    assert "input 20 × 30" in page.locator("p", has_text="Shapes:").first.inner_text()
    screenshot(page, "hostile-upload-over-the-limit")
    assert_clean(page)
