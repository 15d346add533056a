"""Shifting the input: crops that move, the change measure, and what pooling forgives."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import KERNELS
from cnnviz.invariance import (
    DIRECTIONS,
    feature_map,
    relative_change,
    shift_effects,
    shifted_pair,
)
from tests.strategies import images


@settings(max_examples=100, deadline=None)
@given(
    x=images(max_side=10),
    k=st.integers(0, 3),
    extra=st.integers(0, 2),
    direction=st.sampled_from(list(DIRECTIONS)),
)
def test_shifted_crop_is_the_original_moved_by_k(x, k, extra, direction):
    """Both crops share a shape, and the shifted one shows the original moved k pixels."""
    margin = k + extra
    dy, dx = DIRECTIONS[direction]
    if margin * dy >= x.shape[-2] or margin * dx >= x.shape[-1]:
        with pytest.raises(ValueError, match="too small to shift"):
            shifted_pair(x, k, direction=direction, margin=margin)
        return
    original, shifted = shifted_pair(x, k, direction=direction, margin=margin)
    rows, cols = x.shape[-2] - margin * dy, x.shape[-1] - margin * dx
    assert original.shape == shifted.shape == (*x.shape[:-2], rows, cols)
    # shifted[i, j] == original[i - k*dy, j - k*dx] wherever both exist
    np.testing.assert_array_equal(
        shifted[..., k * dy :, k * dx :],
        original[..., : max(rows - k * dy, 0), : max(cols - k * dx, 0)],
    )


def test_no_shift_changes_nothing():
    """k = 0 gives the same crop twice, so both changes are 0."""
    image = np.random.default_rng(0).random((12, 12)).astype(np.float32)
    original, shifted = shifted_pair(image, 0, margin=3)
    np.testing.assert_array_equal(original, shifted)
    assert relative_change(original, shifted) == 0.0


def test_relative_change_golden():
    """mean|after - before| / mean|before|: [1, 1] -> [1, 3] changed by 1 (100 %)."""
    assert relative_change(np.array([1.0, 1.0]), np.array([1.0, 3.0])) == pytest.approx(1.0)
    assert relative_change(np.array([2.0, -2.0]), np.array([2.0, -1.0])) == pytest.approx(0.25)


@given(scale=st.floats(0.01, 100))
def test_relative_change_ignores_units(scale):
    """Multiplying both maps by the same positive number leaves the relative change alone."""
    before, after = np.array([[1.0, 2.0], [0.5, 0.0]]), np.array([[1.5, 2.0], [0.0, 1.0]])
    assert relative_change(before * scale, after * scale) == pytest.approx(
        relative_change(before, after), rel=1e-9
    )


def test_relative_change_of_empty_maps():
    """An all-zero map: 0 when it stays zero, infinity when anything appears."""
    zeros = np.zeros((3, 3))
    assert relative_change(zeros, zeros) == 0.0
    assert relative_change(zeros, np.eye(3)) == float("inf")


def test_relative_change_needs_equal_shapes():
    """Maps of different shapes cannot be compared cell by cell."""
    with pytest.raises(ValueError, match="different shapes"):
        relative_change(np.zeros((2, 2)), np.zeros((2, 3)))


def test_max_pooling_forgives_a_shift_inside_its_window():
    """A dot moving 1 pixel inside a 2x2 window: the feature map changes by 200 %, the pool 0."""
    image = np.zeros((8, 10), np.float32)
    image[4, 4] = 1.0  # crop column 3, feature-map column 2: the first column of a window
    (effect,) = shift_effects(image, KERNELS["identity"].weights, 1, size=2, mode="max")
    assert effect.feature_change == pytest.approx(2.0)
    assert effect.pooled_change == 0.0
    assert effect.feature_difference.max() == 1.0 and effect.pooled_difference.max() == 0.0


def test_average_pooling_forgives_a_shift_inside_its_window():
    """The same dot under average pooling: the window mean stays 1/4, so nothing changes."""
    image = np.zeros((8, 10), np.float32)
    image[4, 4] = 1.0
    (effect,) = shift_effects(image, KERNELS["identity"].weights, 1, size=2, mode="avg")
    assert effect.pooled_change == 0.0


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_shift_effects_match_torch(mode, direction):
    """Both changes equal the same measure computed with torch conv2d, relu and pooling."""
    rng = np.random.default_rng(3)
    image = rng.random((20, 17)).astype(np.float32)
    kernel = KERNELS["sobel_x"].weights
    effects = shift_effects(
        image, kernel, 3, direction=direction, size=(2, 3), stride=(2, 2), padding=(1, 0), mode=mode
    )
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d

    def torch_maps(crop):
        x = torch.from_numpy(np.ascontiguousarray(crop))[None, None]
        feature = F.relu(F.conv2d(x, torch.from_numpy(kernel.copy())[None, None]))
        return feature[0, 0].numpy(), pool(feature, (2, 3), (2, 2), (1, 0))[0, 0].numpy()

    for effect in effects:
        before, after = shifted_pair(image, effect.shift, direction=direction, margin=3)
        (f0, p0), (f1, p1) = torch_maps(before), torch_maps(after)
        assert effect.feature_change == pytest.approx(relative_change(f0, f1), rel=1e-5)
        assert effect.pooled_change == pytest.approx(relative_change(p0, p1), rel=1e-5)
        assert effect.feature_difference.shape == f0.shape
        assert effect.pooled_difference.shape == p0.shape
    assert [e.shift for e in effects] == [1, 2, 3]


def test_pooling_forgives_small_shifts_of_a_smooth_picture():
    """On a smooth picture with an edge kernel, a 1-pixel shift changes the pooled map less."""
    rng = np.random.default_rng(0)
    noise = torch.from_numpy(rng.random((1, 1, 80, 80)).astype(np.float32))
    smooth = F.avg_pool2d(noise, 5, stride=1)[0, 0].numpy()  # 76 x 76, blobs ~5 px wide
    (effect,) = shift_effects(smooth, KERNELS["sobel_x"].weights, 1, size=2, mode="max")
    assert effect.pooled_change < effect.feature_change


def test_feature_map_without_relu_keeps_negatives():
    """relu=False returns the plain valid convolution, negatives included."""
    image = np.tile(np.array([1.0, 0.0, 0.0, 1.0], np.float32), (4, 1))  # (4, 4)
    plain = feature_map(image, KERNELS["sobel_x"].weights, relu=False)
    assert plain.shape == (2, 2) and plain.min() < 0
    assert feature_map(image, KERNELS["sobel_x"].weights).min() == 0


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda x: shifted_pair(x, 1, direction="up"), "direction must be one of"),
        (lambda x: shifted_pair(x, 3, margin=2), "k <= margin"),
        (lambda x: shifted_pair(x, 6), "too small to shift"),
        (lambda x: shift_effects(x, np.ones((1, 1)), 0), "at least 1"),
    ],
)
def test_bad_requests_explain(call, words):
    """Impossible shifts raise ValueError with a plain reason."""
    with pytest.raises(ValueError, match=words):
        call(np.zeros((6, 6), np.float32))
