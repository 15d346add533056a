"""The preset kernels."""

import numpy as np
import pytest

from cnnviz import KERNELS, correlate2d
from cnnviz.kernels import MAX_WEIGHT, weights_problem

REQUIRED = ["identity", "box_blur_3", "box_blur_5", "gaussian_3", "gaussian_5", "sharpen",
            "outline", "laplacian", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "scharr_x",
            "scharr_y", "emboss", "high_pass", "horizontal_lines", "vertical_lines",
            "motion_blur"]  # fmt: skip


def test_every_required_preset_is_there_with_an_explanation():
    """All presets the lessons use exist, each with a one-line explanation."""
    for key in REQUIRED:
        assert KERNELS[key].explanation.endswith(".")
        assert "\n" not in KERNELS[key].explanation


def test_presets_are_read_only():
    """Neither the mapping nor a kernel's weights can be changed by a page."""
    with pytest.raises(TypeError):
        KERNELS["new"] = KERNELS["identity"]  # type: ignore[index]
    with pytest.raises(ValueError):
        KERNELS["sobel_x"].weights[0, 0] = 5


@pytest.mark.parametrize("key", ["box_blur_3", "box_blur_5", "gaussian_3", "gaussian_5",
                                 "motion_blur", "identity", "sharpen"])  # fmt: skip
def test_blurs_keep_brightness(key):
    """Blurs, identity and sharpen sum to 1: a flat grey stays the same grey."""
    assert KERNELS[key].weights.sum() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("key", ["outline", "laplacian", "sobel_x", "sobel_y", "prewitt_x",
                                 "prewitt_y", "scharr_x", "scharr_y", "high_pass",
                                 "horizontal_lines", "vertical_lines", "vertical_edge",
                                 "vertical_edge_negative", "horizontal_edge",
                                 "horizontal_edge_negative"])  # fmt: skip
def test_edge_finders_are_zero_on_flat_areas(key):
    """Edge and detail kernels sum to 0: a flat image gives a zero output."""
    out = correlate2d(np.full((9, 9), 0.7, np.float32), KERNELS[key].weights)
    np.testing.assert_allclose(out, 0, atol=1e-5)


def test_sobel_x_is_positive_where_brighter_to_the_right():
    """A dark-to-bright vertical edge gives a positive Sobel x response, no Sobel y."""
    x = np.zeros((6, 6), np.float32)
    x[:, 3:] = 1
    assert correlate2d(x, KERNELS["sobel_x"].weights).max() == pytest.approx(4)
    np.testing.assert_allclose(correlate2d(x, KERNELS["sobel_y"].weights), 0)


def test_four_edge_filters_are_one_step_turned_and_negated():
    """The seed lesson's four filters: a dark-to-bright step, turned on its side, and both
    with every sign swapped; each answers its own edge with 8 (a 4 x 4 window, half of 1s)."""
    vertical, horizontal = KERNELS["vertical_edge"].weights, KERNELS["horizontal_edge"].weights
    np.testing.assert_array_equal(vertical[0], [-1, -1, 1, 1])
    np.testing.assert_array_equal(horizontal, vertical.T)
    np.testing.assert_array_equal(KERNELS["vertical_edge_negative"].weights, -vertical)
    np.testing.assert_array_equal(KERNELS["horizontal_edge_negative"].weights, -horizontal)
    x = np.zeros((8, 8), np.float32)
    x[:, 4:] = 1  # dark left half, bright right half
    assert correlate2d(x, vertical).max() == pytest.approx(8)
    assert correlate2d(x, KERNELS["vertical_edge_negative"].weights).max() == 0
    np.testing.assert_allclose(correlate2d(x, horizontal), 0)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (np.nan, "empty cell (row 1, column 2)"),
        (1e38, "row 1, column 2 holds 1e+38"),
        (-np.inf, "holds -inf"),
        (MAX_WEIGHT * 1.001, "between −1,000 and 1,000"),
    ],
)
def test_weights_problem_names_the_cell_and_the_range(value, words):
    """An empty, infinite or too large number is named with its place and the allowed range."""
    weights = np.ones((3, 3), np.float32)
    weights[1, 2] = value
    assert words in weights_problem(weights)


def test_weights_problem_accepts_the_range_and_every_preset():
    """Numbers up to MAX_WEIGHT and every preset are usable; a slice is named in colour."""
    assert weights_problem(np.full((15, 15), -MAX_WEIGHT)) is None
    assert all(weights_problem(k.weights) is None for k in KERNELS.values())
    three = np.zeros((3, 2, 2))
    three[2, 0, 1] = 5e3
    assert "of slice 3" in weights_problem(three)
