"""Augmentation: seeded random shifts, flips and small rotations of (N, 1, H, W) images."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.augmentation import (
    NO_AUGMENTATION,
    AugmentConfig,
    augment,
    augment_images,
    preview,
)


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_images(n: int = 16, height: int = 9, width: int = 11, seed: int = 0) -> torch.Tensor:
    """float ``(n, 1, height, width)`` in [0, 1]."""
    return torch.rand(n, 1, height, width, generator=generator(seed))


def shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``(H, W)`` moved down by ``dy`` and right by ``dx``, zeros coming in."""
    h, w = image.shape
    out = torch.zeros_like(image)
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def test_no_augmentation_returns_an_equal_copy():
    """With every move off the images come back unchanged, in a new tensor."""
    x = random_images()
    out = augment(x, NO_AUGMENTATION, generator())
    torch.testing.assert_close(out, x, rtol=0, atol=0)
    assert out.data_ptr() != x.data_ptr()
    assert not NO_AUGMENTATION.active and NO_AUGMENTATION.describe() == "none"


@pytest.mark.parametrize("shift", [1, 2, 3])
def test_a_shift_moves_whole_pixels_and_fills_zeros(shift):
    """Shift only: each output is its input moved by whole pixels within the limit."""
    x = random_images(n=40)
    out = augment(x, AugmentConfig(shift=shift), generator(shift))
    moves = set()
    for image, moved in zip(x[:, 0], out[:, 0], strict=True):
        candidates = [
            (dy, dx)
            for dy in range(-shift, shift + 1)
            for dx in range(-shift, shift + 1)
            if torch.allclose(moved, shifted(image, dy, dx), atol=1e-5)
        ]
        assert candidates, "output is not a whole-pixel shift of the input"
        moves.add(candidates[0])
    assert len(moves) > 5, "forty images should not all move the same way"


def test_a_single_dot_moves_the_way_the_shift_says():
    """A bright pixel stays one bright pixel of the same value, at most ``shift`` away."""
    x = torch.zeros(50, 1, 7, 7)
    x[:, 0, 3, 3] = 1.0
    out = augment(x, AugmentConfig(shift=2), generator(4))
    for moved in out[:, 0]:
        (row, col), *_ = torch.nonzero(moved > 0.5).tolist()
        assert abs(row - 3) <= 2 and abs(col - 3) <= 2
        assert moved.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_flip_mirrors_about_half_and_leaves_the_rest():
    """Flip only: every image is itself or its mirror, and both happen."""
    x = random_images(n=200)
    out = augment(x, AugmentConfig(flip=True), generator())
    same = torch.isclose(out, x, atol=1e-5).flatten(1).all(1)
    mirrored = torch.isclose(out, x.flip(-1), atol=1e-5).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 70 < int(mirrored.sum()) < 130


def test_a_rotation_turns_a_bar_about_the_centre():
    """A horizontal bar rotated by up to 90 degrees keeps its centre and tilts to match."""
    x = torch.zeros(1, 1, 21, 21)
    x[0, 0, 10, 3:18] = 1.0
    config = AugmentConfig(rotation=90)
    out = augment(x.repeat(30, 1, 1, 1), config, generator(2))
    angles = (torch.rand(30, generator=generator(2)) * 2 - 1) * math.pi / 2  # the same draws
    ys, xs = torch.meshgrid(torch.arange(21.0), torch.arange(21.0), indexing="ij")
    for moved, angle in zip(out[:, 0], angles, strict=True):
        mass = moved.sum()
        assert float(moved[10, 10]) == pytest.approx(1.0, abs=0.05)  # the centre stays put
        cy, cx = (moved * ys).sum() / mass, (moved * xs).sum() / mass
        assert float(cy) == pytest.approx(10, abs=0.3) and float(cx) == pytest.approx(10, abs=0.3)
        # The second moment along the rotated direction is the largest.
        direction = torch.tensor([math.sin(angle), math.cos(angle)])  # (dy, dx) of the bar
        along = ((ys - cy) * direction[0] + (xs - cx) * direction[1]) ** 2
        across = ((ys - cy) * direction[1] - (xs - cx) * direction[0]) ** 2
        assert (moved * along).sum() > 10 * (moved * across).sum()


@settings(max_examples=25, deadline=None)
@given(
    shift=st.integers(0, 4),
    rotation=st.floats(0, 30),
    flip=st.booleans(),
    height=st.integers(1, 16),
    width=st.integers(1, 16),
    seed=st.integers(0, 2**31),
)
def test_any_move_keeps_the_shape_and_the_pixel_range(shift, rotation, flip, height, width, seed):
    """Output shape and dtype equal the input's; values stay within the input's range."""
    x = torch.rand(5, 1, height, width, generator=generator(seed))
    out = augment(x, AugmentConfig(shift, rotation, flip), generator(seed))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert float(out.min()) >= -1e-6 and float(out.max()) <= 1 + 1e-6


def test_the_same_seed_gives_the_same_moves():
    """Seeded: equal seeds agree exactly, another seed differs."""
    x = random_images()
    config = AugmentConfig(shift=2, rotation=15, flip=True)
    first = augment(x, config, generator(7))
    torch.testing.assert_close(first, augment(x, config, generator(7)), rtol=0, atol=0)
    assert not torch.allclose(first, augment(x, config, generator(8)))


def test_channels_move_together():
    """A (N, 3, H, W) batch moves each image's channels by the same move."""
    one = random_images(n=8)
    x = one.repeat(1, 3, 1, 1)
    out = augment(x, AugmentConfig(shift=2, rotation=10, flip=True), generator())
    torch.testing.assert_close(out[:, 0], out[:, 2])


def test_uint8_copies_round_trip_and_are_seeded():
    """augment_images: uint8 in, uint8 out, same shape; shift-only keeps the pixel values."""
    images = (random_images(n=20, height=28, width=28)[:, 0] * 255).to(torch.uint8).numpy()
    copy = augment_images(images, AugmentConfig(shift=2), seed=1, chunk=7)
    assert copy.dtype == np.uint8 and copy.shape == images.shape
    assert set(np.unique(copy)) <= set(np.unique(images)) | {0}
    np.testing.assert_array_equal(copy, augment_images(images, AugmentConfig(shift=2), seed=1))
    np.testing.assert_array_equal(augment_images(images, NO_AUGMENTATION), images)


def test_preview_puts_the_original_first():
    """preview: (N, 1 + variants, H, W), column 0 the untouched original."""
    images = (random_images(n=4, height=28, width=28)[:, 0] * 255).to(torch.uint8).numpy()
    grid = preview(images, AugmentConfig(shift=2, rotation=10), variants=3, seed=5)
    assert grid.shape == (4, 4, 28, 28) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[:, 0], images)
    assert not np.array_equal(grid[:, 1], grid[:, 2])


@pytest.mark.parametrize(
    "options",
    [{"shift": -1}, {"shift": 1.5}, {"rotation": -5.0}, {"rotation": 200.0}],
)
def test_impossible_settings_fail_loudly(options):
    """Negative or fractional shifts and rotations outside 0..180 degrees raise ValueError."""
    with pytest.raises(ValueError):
        AugmentConfig(**options)


def test_wrong_input_shapes_fail_loudly():
    """augment needs float (N, C, H, W); augment_images needs uint8 (N, H, W)."""
    with pytest.raises(ValueError, match="N, C, H, W"):
        augment(torch.rand(28, 28), AugmentConfig(shift=1), generator())
    with pytest.raises(ValueError, match="uint8"):
        augment_images(np.zeros((2, 28, 28), np.float32), AugmentConfig(shift=1))


def test_describe_names_every_move():
    """describe() says each move in plain words."""
    text = AugmentConfig(shift=2, rotation=10, flip=True).describe()
    assert text == "shifts up to 2 px, rotations up to 10°, left-right flips"
