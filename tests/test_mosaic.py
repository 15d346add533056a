"""cnnviz.mosaic: feature maps as one labelled picture whose pixels map back to map cells."""

import subprocess
import sys

import cv2
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cnnviz.mosaic import (
    BAD,
    GAP_COLOUR,
    MARK,
    PAD,
    SHEET_PX,
    SIGNED_MAP,
    UNSIGNED_MAP,
    bars_html,
    close_up,
    colour_bar,
    default_scale,
    encode_png,
    feature_mosaic,
    kernel_sheet,
    patch_sheet,
    strip,
)
from cnnviz.plotting import colorize, colour_table

SHAPES = [(32, 26, 26), (64, 11, 11), (64, 5, 5), (5, 3, 7), (1, 1, 1), (17, 4, 4)]


def random_maps(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def ink(region: np.ndarray) -> bool:
    """Some pixel of ``region`` is dark: a number is written there."""
    return bool((region.min(axis=-1) < 128).any())


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("columns", [16, 3])
def test_cell_at_inverts_tile_origin_for_every_map(shape, columns):
    """The first and last pixel of every cell of every map lead back to (map, row, col)."""
    mosaic = feature_mosaic(random_maps(shape), columns=columns, signed=True)
    count, h, w = shape
    s = mosaic.scale
    for index in range(count):
        y, x = mosaic.tile_origin(index)
        for row in {0, h // 2, h - 1}:
            for col in {0, w // 2, w - 1}:
                top, left = y + row * s, x + col * s
                assert mosaic.cell_at(top, left) == (index, row, col)
                assert mosaic.cell_at(top + s - 1, left + s - 1) == (index, row, col)
                assert mosaic.cell_at(top + s - 0.5, left + 0.25) == (index, row, col)


def test_margins_gaps_empty_places_and_outside_are_no_cell():
    mosaic = feature_mosaic(random_maps((5, 3, 3)), columns=3, signed=True)
    y, x = mosaic.tile_origin(0)
    side = 3 * mosaic.scale
    assert mosaic.cell_at(y - 1, x) is None  # the top margin
    assert mosaic.cell_at(y, x - 1) is None  # the left margin
    assert mosaic.cell_at(y, x + side) is None  # the gap right of map 0
    assert mosaic.cell_at(y + side, x) is None  # the gap below it
    empty_y, empty_x = mosaic.tile_origin(4)[0], mosaic.tile_origin(2)[1]
    assert mosaic.cell_at(empty_y, empty_x) is None  # row 2, column 3: no sixth map
    height, width = mosaic.picture.shape[:2]
    assert mosaic.cell_at(height + 5, x) is None and mosaic.cell_at(y, width + 5) is None
    assert mosaic.cell_at(-3, -3) is None
    with pytest.raises(ValueError, match="0..4"):
        mosaic.tile_origin(5)


def test_geometry_matches_the_picture():
    """Tiles of ``tile_h * scale`` pixels sit ``gap`` apart after the margins; integer scale."""
    mosaic = feature_mosaic(random_maps((32, 26, 26)), signed=False)
    assert (mosaic.columns, mosaic.count, mosaic.tile_h, mosaic.tile_w) == (16, 32, 26, 26)
    assert mosaic.scale == 3 and isinstance(mosaic.scale, int)
    step = 26 * mosaic.scale + mosaic.gap
    assert mosaic.tile_origin(17) == (mosaic.margin_top + step, mosaic.margin_left + step)
    assert mosaic.picture.dtype == np.uint8 and mosaic.picture.ndim == 3
    assert mosaic.picture.shape[2] == 3
    assert mosaic.picture.shape[0] == mosaic.margin_top + 2 * step
    assert mosaic.picture.shape[1] == mosaic.margin_left + 16 * step
    y, x = mosaic.tile_origin(0)
    assert tuple(mosaic.picture[y, x + 26 * mosaic.scale]) == GAP_COLOUR


@pytest.mark.parametrize("signed", [True, False])
def test_every_cell_has_the_colour_of_its_value_on_the_shared_scale(signed):
    """One scale for the layer: the pixel of each cell is colorize(value, the layer's limits)."""
    maps = random_maps((12, 4, 5), seed=3)
    maps[7] *= 10  # one strong map sets the scale: the others look pale
    if not signed:
        maps = np.maximum(maps, 0)
    mosaic = feature_mosaic(maps, columns=5, signed=signed, scale=4)
    m = np.abs(maps).max()
    expected_limits = (-m, m) if signed else (0.0, m)
    assert mosaic.limits == pytest.approx(expected_limits)
    assert mosaic.cmap == (SIGNED_MAP if signed else UNSIGNED_MAP)
    expected = colorize(maps, cmap=mosaic.cmap, limits=mosaic.limits)  # (C, h, w, 3)
    for index in range(12):
        y, x = mosaic.tile_origin(index)
        for row in range(4):
            for col in range(5):
                pixel = mosaic.picture[y + row * 4 + 2, x + col * 4 + 1]
                assert_array_equal(pixel, expected[index, row, col])
    strongest = np.unravel_index(np.abs(maps).argmax(), maps.shape)
    y, x = mosaic.tile_origin(int(strongest[0]))
    end = colour_table(mosaic.cmap)[-1 if maps[strongest] > 0 else 0]
    assert_array_equal(mosaic.picture[y + strongest[1] * 4, x + strongest[2] * 4], end)


def test_given_limits_are_used_and_checked():
    maps = np.full((2, 2, 2), 0.5, np.float32)
    mosaic = feature_mosaic(maps, signed=False, limits=(0, 1), scale=2)
    y, x = mosaic.tile_origin(1)
    assert_array_equal(mosaic.picture[y, x], colorize(np.float32(0.5), cmap=UNSIGNED_MAP,
                                                      limits=(0, 1)))  # fmt: skip
    with pytest.raises(ValueError, match="low < high"):
        feature_mosaic(maps, signed=False, limits=(1, 1))


def test_numbers_are_written_in_the_margins():
    """Ink above every tile column and left of every tile row, none over the top-left corner
    or in the tiles' own region beyond the maps."""
    mosaic = feature_mosaic(random_maps((64, 11, 11)), signed=True)
    picture, s = mosaic.picture, mosaic.scale
    for col in range(16):
        x = mosaic.tile_origin(col)[1]
        assert ink(picture[: mosaic.margin_top, x : x + 11 * s]), f"no number over column {col}"
    for row in range(4):
        y = mosaic.tile_origin(16 * row)[0]
        assert ink(picture[y : y + 11 * s, : mosaic.margin_left]), f"no number left of row {row}"
    assert not ink(picture[: mosaic.margin_top, : mosaic.margin_left])
    assert mosaic.margin_top >= 20 and mosaic.margin_left >= 20  # digits at projector size


def test_crowded_labels_are_thinned_out():
    """64 narrow tiles: every column number would touch the next, so only some are written."""
    kernels = random_maps((64 * 4, 3, 3))
    mosaic = feature_mosaic(kernels, columns=64, signed=True, scale=4, gap=2)
    written = [
        ink(mosaic.picture[: mosaic.margin_top, x : x + 12])
        for x in (mosaic.tile_origin(c)[1] for c in range(64))
    ]
    assert written[0] and not all(written)
    assert not ink(mosaic.picture[:, -2:])  # no number runs off the right edge


def test_kernel_sheet_puts_each_filter_in_a_column():
    """Tile (row i, column o) is slice i of filter o, on one scale centred at 0; it fits."""
    weights = random_maps((64 * 32, 3, 3), seed=2).reshape(64, 32, 3, 3)
    sheet = kernel_sheet(weights)
    assert (sheet.columns, sheet.count, sheet.rows) == (64, 64 * 32, 32)
    assert sheet.picture.shape[1] <= SHEET_PX + sheet.margin_left + 20
    m = np.abs(weights).max()
    expected = colorize(weights, cmap=SIGNED_MAP, limits=(-m, m))  # (out, in, k, k, 3)
    for out, slice_ in [(0, 0), (63, 0), (5, 31), (40, 17)]:
        y, x = sheet.tile_origin(slice_ * 64 + out)
        assert_array_equal(sheet.picture[y, x], expected[out, slice_, 0, 0])
        assert sheet.cell_at(y, x) == (slice_ * 64 + out, 0, 0)
    small = kernel_sheet(random_maps((8 * 4, 5, 5)).reshape(8, 4, 5, 5))
    assert small.scale == default_scale(5, 5)  # few filters: each as large as a map
    with pytest.raises(ValueError, match="out, in, k, k"):
        kernel_sheet(np.zeros((3, 3, 3)))


def test_custom_labels_and_their_count():
    maps = random_maps((6, 3, 3))
    mosaic = feature_mosaic(maps, columns=3, signed=True, row_labels=["in 0", "in 1"],
                            column_labels=["a", "b", "c"])  # fmt: skip
    assert mosaic.margin_left > feature_mosaic(maps, columns=3, signed=True).margin_left
    with pytest.raises(ValueError, match="2 row labels"):
        feature_mosaic(maps, columns=3, signed=True, row_labels=["0"])


def test_values_that_are_not_numbers_are_grey_not_an_error():
    maps = random_maps((3, 4, 4))
    maps[1, 2, 3] = np.nan
    maps[2, 0, 0] = np.inf
    mosaic = feature_mosaic(maps, signed=True, scale=2)
    y, x = mosaic.tile_origin(1)
    assert tuple(mosaic.picture[y + 4, x + 6]) == BAD
    assert np.isfinite(mosaic.limits).all()


@pytest.mark.parametrize(
    ("shape", "options", "message"),
    [
        ((4, 4), {}, "non-empty"),
        ((0, 4, 4), {}, "non-empty"),
        ((2, 4, 4), {"columns": 0}, "columns"),
        ((2, 4, 4), {"scale": 0}, "scale"),
        ((2, 4, 4), {"scale": 1.5}, "scale"),
    ],
)
def test_bad_arguments_are_refused(shape, options, message):
    with pytest.raises(ValueError, match=message):
        feature_mosaic(np.zeros(shape, np.float32), signed=True, **options)


def test_close_up_outlines_the_mark_and_inverts():
    values = random_maps((1, 26, 26))[0]
    row, col = 5, 20
    shown = close_up(values, signed=True, mark=(row, col))
    assert shown.scale * 26 >= 300 and shown.count == 1
    assert shown.cell_at(*shown.tile_origin(0)) == (0, 0, 0)
    y, x = shown.tile_origin(0)
    assert shown.cell_at(y + row * shown.scale + 3, x + col * shown.scale + 3) == (0, row, col)
    assert tuple(shown.picture[y + row * shown.scale, x + col * shown.scale + 4]) == MARK
    assert ink(shown.picture[: shown.margin_top, x:]) and ink(
        shown.picture[y:, : shown.margin_left]
    )
    with pytest.raises(ValueError, match="outside"):
        close_up(values, signed=True, mark=(26, 0))


def test_colour_bar_runs_from_the_low_to_the_high_colour():
    bar = colour_bar("magma")
    assert bar.shape == (18, 256, 3) and bar.dtype == np.uint8
    assert_array_equal(bar[0], colour_table("magma"))
    assert colour_bar("RdBu_r", width=100, height=5).shape == (5, 100, 3)


def test_strip_gives_each_number_its_cells():
    shown = strip(np.array([0.0, 1.0, 2.0]), width=12, height=6)
    assert shown.shape == (6, 12, 3)
    assert_array_equal(shown[0, 0], colour_table(UNSIGNED_MAP)[0])
    assert_array_equal(shown[5, 11], colour_table(UNSIGNED_MAP)[-1])


def test_a_long_strip_wraps_onto_equal_lines():
    """1,600 numbers in at most 1,200 pixels: two lines of 800, one pixel each."""
    values = np.arange(1600, dtype=np.float32)
    shown = strip(values, width=1200, height=10)
    assert shown.shape[1] == 800 and shown.shape[0] == 2 * 10 + PAD
    table = colour_table(UNSIGNED_MAP)
    assert_array_equal(shown[0, 0], table[0])
    assert_array_equal(shown[-1, -1], table[-1])
    assert (shown[10 : 10 + PAD] == 255).all()


def test_patch_sheet_shows_patches_pictures_boxes_and_words():
    patches = np.ones((3, 8, 8), np.float32)
    pictures = np.zeros((3, 28, 28), np.uint8)
    boxes = np.array([[0, 0, 8, 8], [10, 10, 18, 18], [20, 20, 28, 28]])
    sheet = patch_sheet(patches, pictures, boxes, above=["9.1", "8.0", "7.5"],
                        below=[["#1", "Bag"], ["#2", "Coat"], ["#3", "Ankle boot"]])  # fmt: skip
    assert sheet.dtype == np.uint8 and sheet.shape[1] >= 3 * 112
    orange = (sheet == (255, 176, 0)).all(axis=-1)
    assert orange.sum() > 3 * 4 * 8 * 4  # three boxes outlined
    assert (sheet == 255).all(axis=-1).any() and ink(sheet)
    with pytest.raises(ValueError, match="one picture"):
        patch_sheet(patches, pictures[:2], boxes, above=["a"] * 3, below=[["b"]] * 3)


def test_png_is_lossless():
    mosaic = feature_mosaic(random_maps((32, 13, 13)), signed=False)
    data = encode_png(mosaic.picture)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert_array_equal(decoded, mosaic.picture)


def test_bars_print_every_number_and_mark_the_best():
    probabilities = np.array([10.0, 60.0, 30.0])
    html = bars_html(probabilities, ["T-shirt/top", "3 ✓", "<b>x</b>"], best=1, unit="%")
    assert html.count("<tr>") == 3
    assert "60.0 %" in html and "10.0 %" in html and "3 ✓" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html  # names are escaped
    assert "width:60.00%" in html  # a 100 % bar fills the row
    signed = bars_html([-2.0, 4.0], ["a", "b"], signed=True, decimals=2)
    assert "-2.00" in signed and "4.00" in signed and "left:25.00%" in signed
    with pytest.raises(ValueError, match="names"):
        bars_html([1.0], ["a", "b"])


def test_the_module_does_not_import_streamlit():
    """cnnviz.mosaic is usable from a notebook."""
    code = "import sys, cnnviz.mosaic; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
