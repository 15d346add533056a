"""Figure and picture builders (AppTest cannot look inside images, so they are tested here)."""

import numpy as np
import pytest

from cnnviz.plotting import (
    colorize,
    enlarge,
    image_to_rgb,
    mark_box,
    percentile_limit,
)


def test_zero_is_white_and_signs_are_opposite_colours():
    """The diverging scale is centred at 0: 0 is white, +m red, -m blue."""
    rgb = colorize(np.array([[-2.0, 0.0, 2.0]]))
    assert rgb[0, 1].tolist() == pytest.approx([247, 247, 247], abs=8)
    assert rgb[0, 2, 0] > rgb[0, 2, 2] and rgb[0, 0, 2] > rgb[0, 0, 0]


def test_percentile_limit_ignores_a_few_strong_numbers():
    """The 99th percentile of the sizes, not one outlier; the largest size when that is 0."""
    values = np.concatenate([np.linspace(-1.0, 1.0, 999), [50.0]])
    assert percentile_limit(values) == pytest.approx(np.percentile(np.abs(values), 99), rel=1e-9)
    assert percentile_limit(values) < 2
    sparse = np.zeros(1000)
    sparse[0] = -3.0
    assert percentile_limit(sparse) == 3.0


def test_image_to_rgb_handles_grey_and_colour():
    """(H, W) and (3, H, W) in [0, 1] become (H, W, 3) uint8 with 1.0 -> 255."""
    assert image_to_rgb(np.ones((2, 3))).shape == (2, 3, 3)
    assert image_to_rgb(np.ones((3, 2, 3)))[0, 0].tolist() == [255, 255, 255]


def test_mark_box_outlines_only_the_border():
    """The box's border pixels change colour, its inside does not, and it clips at edges."""
    rgb = np.zeros((10, 10, 3), np.uint8)
    out = mark_box(rgb, 2, 2, 4, 4, color=(255, 0, 0))
    assert out[2, 2].tolist() == [255, 0, 0] and out[5, 5].tolist() == [255, 0, 0]
    assert out[3, 3].tolist() == [0, 0, 0]
    assert mark_box(rgb, -3, 8, 6, 6).shape == rgb.shape  # partly outside: no error


def test_enlarge_keeps_pixels_square():
    """A 4x4 map is blown up by whole factors so each pixel stays a sharp block."""
    big = enlarge(np.arange(16, dtype=np.uint8).reshape(4, 4, 1).repeat(3, -1), min_side=40)
    assert big.shape[:2] == (40, 40)
    assert (big[:10, :10] == 0).all()


@pytest.mark.parametrize(
    "values",
    [
        np.array([[3e38, -3e38], [1e38, 0]], np.float32),
        np.array([[np.inf, -np.inf], [np.nan, 0]], np.float32),
        np.array([[np.nan]], np.float32),
    ],
    ids=["near-float32-max", "infinities-and-nan", "all-nan"],
)
def test_colorize_survives_extreme_numbers(values):
    """Values near 3e38, infinities and NaN get colours (NaN the middle one), never an
    IndexError from a NaN turned into an index."""
    rgb = colorize(values)
    assert rgb.shape == (*values.shape, 3) and rgb.dtype == np.uint8
    middle = colorize(np.zeros((1, 1), np.float32))[0, 0]
    for where in zip(*np.nonzero(np.isnan(values)), strict=True):
        np.testing.assert_array_equal(rgb[where], middle)
