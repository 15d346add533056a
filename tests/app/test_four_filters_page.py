"""The Four filters page under AppTest: the grid renders, its kernels and shapes are printed,
and every printed number is what correlate2d, ReLU and pool2d make of the picture.

The kernels are written out here as numbers, not read from cnnviz.kernels, and the expected
maps are computed here from the uploaded pixels.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnviz import correlate2d, pool2d
from cnnviz.images import decode_image
from tests.app.conftest import open_page, png_bytes, text_of

PAGE = "pages/four_filters.py"
STEP = [[-1, -1, 1, 1]] * 4  # the seed lesson's first filter: dark left, bright right
WRITTEN = {  # title on the page -> its numbers
    "Vertical": np.array(STEP, np.float32),
    "Vertical, negative": -np.array(STEP, np.float32),
    "Horizontal": np.array(STEP, np.float32).T,
    "Horizontal, negative": -np.array(STEP, np.float32).T,
}


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A small grey uint8 picture with edges in both directions."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    smooth = np.sin(x / 3) * np.cos(y / 4) + 0.3 * rng.standard_normal((height, width))
    return np.clip(127 + 90 * smooth, 0, 255).astype(np.uint8)


def uploaded(upload, pixels: np.ndarray):
    at = open_page(PAGE)
    return upload(at, pixels)


def grids(at) -> list[np.ndarray]:
    """The number grids the page draws as HTML tables, in page order."""
    found = []
    for element in at.get("html"):
        body = element.proto.body
        if "<table" not in body:
            continue
        rows = re.findall(r"<tr>(.*?)</tr>", body)[1:]  # the first row numbers the columns
        found.append(
            np.array(
                [[float(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", r)] for r in rows],
                np.float32,
            )
        )
    return found


def table_rows(text: str) -> dict[str, list[float]]:
    """``| title | a | b | c % | d | e |`` rows of the numbers table, by title."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in {f"{t} edge 4x4" for t in ("Vertical", "Horizontal")} | {
            f"{t} edge 4x4, negative" for t in ("Vertical", "Horizontal")
        }:
            rows[cells[0]] = [float(c.rstrip("%")) for c in cells[1:]]
    return rows


def test_the_default_picture_renders_the_grid_with_its_shapes():
    """The gallery picture (256 x 256): four kernels, twelve maps, every shape as text."""
    at = open_page(PAGE)
    assert not at.warning, [w.value for w in at.warning]
    text = text_of(at)
    assert (
        "**Shapes:** grey picture `256 × 256` → each 4 × 4 filter, no padding → `253 × 253` → "
        "ReLU → `253 × 253` → max pooling 2 × 2, stride 2 → `126 × 126`: 15,876 of 64,009 "
        "numbers per map are left (24.8%)"
    ) in text
    for stage in ("1. After the convolution", "2. After ReLU", "3. After max pooling 2 × 2"):
        assert f"**{stage}**" in text
    captions = [i.caption for element in at.get("image") for i in element.proto.imgs]
    assert len(captions) == 13 and captions[0] == "Grey: 256 × 256"  # the picture, 12 maps
    for title in WRITTEN:
        assert f"{title}: 253 × 253" in captions and f"{title}: 126 × 126" in captions
    assert "why the negatives are needed" in text
    assert "a quarter of the numbers" in text
    assert any(link.label == "Next: 6. Inside a CNN" for link in at.get("page_link"))


def test_the_kernels_are_printed_as_numbers():
    """The four grids hold the seed lesson's numbers, in the order of the columns."""
    at = open_page(PAGE)
    shown = grids(at)
    assert len(shown) == 4
    for grid, (title, numbers) in zip(shown, WRITTEN.items(), strict=True):
        np.testing.assert_array_equal(grid, numbers, err_msg=title)
    text = text_of(at)
    assert "**Vertical**: dark on the left, bright on the right." in text
    assert "**Horizontal, negative**: bright above, dark below." in text


def test_printed_numbers_are_correlate2d_relu_and_pool2d_of_the_upload(upload):
    """An uploaded 24 x 20 picture: shapes and every number of the table, recomputed here."""
    pixels = photo(24, 20)
    at = uploaded(upload, pixels)
    assert not at.exception and not at.warning
    grey = decode_image(png_bytes(pixels)).pixels.astype(np.float32)  # (24, 20) in [0, 1]
    text = text_of(at)
    assert "grey picture `24 × 20`" in text and "`21 × 17` → ReLU → `21 × 17`" in text
    assert "→ `10 × 8`: 80 of 357 numbers per map are left (22.4%)" in text
    assert "`4 × 10 × 8` in all" in text
    rows = table_rows(text)
    assert len(rows) == 4
    for (short, kernel), title in zip(WRITTEN.items(), rows, strict=True):
        conv = correlate2d(grey, kernel)  # (21, 17)
        relu = np.maximum(conv, 0)
        pooled = pool2d(relu, 2)  # (10, 8)
        assert title.startswith(short.split(",")[0]), (short, title)
        low, high, kept, top, mean = rows[title]
        assert low == pytest.approx(conv.min(), abs=5e-5)
        assert high == pytest.approx(conv.max(), abs=5e-5)
        assert kept == pytest.approx(100 * (relu > 0).mean(), abs=0.05)
        assert top == pytest.approx(pooled.max(), abs=5e-5)
        assert mean == pytest.approx(pooled.mean(), abs=5e-5)


def test_a_negative_filter_mirrors_its_partner_in_the_table(upload):
    """A filter and its negative: smallest and largest swap with the sign."""
    rows = table_rows(text_of(uploaded(upload, photo(16, 16, seed=3))))
    for direction in ("Vertical", "Horizontal"):
        plain, negative = rows[f"{direction} edge 4x4"], rows[f"{direction} edge 4x4, negative"]
        assert plain[0] == pytest.approx(-negative[1], abs=1e-4)
        assert plain[1] == pytest.approx(-negative[0], abs=1e-4)


@pytest.mark.parametrize("shape", [(3, 3), (4, 12), (12, 4)])
def test_a_tiny_upload_gets_a_message_not_a_traceback(upload, shape):
    """Smaller than a filter plus one pooling window: a sentence with the size it needs."""
    at = uploaded(upload, photo(*shape))
    assert not at.exception
    (warning,) = at.warning
    assert "too small for the four filters" in warning.value
    assert f"The picture is {shape[0]} × {shape[1]} pixels" in warning.value
    assert "at least 5 × 5 pixels" in warning.value
    assert not grids(at)  # nothing drawn below the message
