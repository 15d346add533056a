"""cnnviz.preprocess: any picture becomes a 28 x 28 input made like the datasets' pictures."""

import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cnnviz.preprocess import (
    CONTENT,
    STYLES,
    WORKING_SIDE,
    centre_of_mass_shift,
    pad_to_square,
    shift,
    to_dataset_style,
)
from tests.strategies import images


def paper_digit(height=300, width=400, *, speck=False, colour=False) -> np.ndarray:
    """A dark '3' written on shaded, noisy paper: (H, W) or (3, H, W) floats in [0, 1]."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:height, :width]
    paper = 0.9 - 0.1 * x / width - 0.05 * y / height + rng.normal(0, 0.015, (height, width))
    ink = np.zeros((height, width), np.uint8)  # cv2 draws text on 8-bit pictures only
    cv2.putText(ink, "3", (width // 2 - 60, height - 70), cv2.FONT_HERSHEY_SIMPLEX, 6, 255, 14)
    if speck:
        cv2.circle(ink, (15, 15), 2, 255, -1)  # a speck of dust in a corner
    picture = np.where(ink > 0, 0.15, np.clip(paper, 0, 1)).astype(np.float32)
    return np.stack([picture, picture * 0.98, picture * 0.95]) if colour else picture


def content_size(image: np.ndarray, level: float = 0.5) -> tuple[int, int]:
    """(height, width) of the box around the pixels brighter than ``level`` (half-covered
    edge pixels count, fainter anti-aliasing does not)."""
    rows, cols = np.nonzero(image > level)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_result_is_28_by_28_white_on_black():
    """A dark digit on light paper becomes a float32 28 x 28 white digit on a black field."""
    done = to_dataset_style(paper_digit())
    assert done.image.shape == (28, 28) and done.image.dtype == np.float32
    assert done.inverted and done.found_content
    assert done.image.min() == 0.0 and done.image.max() == 1.0
    assert np.all(done.image[0] == 0) and np.all(done.image[:, -1] == 0)  # black border


def test_every_step_is_kept_in_order():
    """Steps: picture, grey, invert, black background, crop, pad, resize, centre (MNIST)."""
    done = to_dataset_style(paper_digit(colour=True))
    titles = [title for title, _ in done.steps]
    assert titles[0].startswith("Your picture") and titles[1] == "Grey"
    assert titles[2].startswith("Inverted")
    assert titles[3] == "Background set to black"
    assert titles[4].startswith("Cropped") and titles[5].startswith("Padded")
    assert titles[6].startswith("Resized to 28 × 28") and titles[7].startswith("Centre of mass")
    assert done.steps[0][1].shape[0] == 3  # the colour picture as given
    assert done.steps[-1][1] is done.image


def test_a_dark_background_is_not_inverted():
    """White on black (a drawing, a dataset picture) keeps its colours."""
    done = to_dataset_style(1 - paper_digit())
    assert not done.inverted
    assert done.steps[2][0].startswith("Not inverted")
    assert_allclose(to_dataset_style(paper_digit()).image, done.image, atol=0.15)


def test_mnist_style_puts_the_content_in_a_20_pixel_box_centred_by_mass():
    """MNIST: the longer side of the content spans about 20 of 28 pixels; mass in the middle."""
    image = to_dataset_style(paper_digit(), style="mnist").image
    assert max(content_size(image)) in range(CONTENT["mnist"] - 1, CONTENT["mnist"] + 2)
    rows, cols = np.indices(image.shape)
    centre = np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()
    assert_allclose(centre, [14, 14], atol=0.6)


def test_fashion_style_fills_the_28_pixels():
    """Fashion-MNIST: the longer side of the content spans the whole 28 pixels."""
    image = to_dataset_style(paper_digit(), style="fashion-mnist").image
    assert max(content_size(image)) >= 27
    assert len(to_dataset_style(paper_digit(), style="fashion-mnist").steps) == 7  # no centring


def test_a_speck_of_dust_does_not_move_the_crop():
    """Tiny blobs far from the drawing are ignored when cropping."""
    clean = to_dataset_style(paper_digit()).image
    dusty = to_dataset_style(paper_digit(speck=True)).image
    assert_allclose(dusty, clean, atol=0.05)


def test_large_pictures_are_shrunk_first():
    """A 2000-pixel photo is worked on at WORKING_SIDE pixels, and the title says so."""
    done = to_dataset_style(paper_digit(1500, 2000))
    assert max(done.steps[0][1].shape) == WORKING_SIDE
    assert "shrunk to 384 × 512" in done.steps[0][0]


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_a_blank_picture_gives_a_black_input(value):
    """An empty canvas or a flat grey page: no content found, an all-black input, no error."""
    done = to_dataset_style(np.full((40, 30), value, np.float32))
    assert not done.found_content
    assert done.image.shape == (28, 28) and not done.image.any()


PICTURES = st.one_of(
    images(max_side=40, channels=False), images(max_side=40, channels=True)
).filter(lambda a: a.ndim == 2 or a.shape[0] == 3)


@settings(max_examples=60, deadline=None)
@given(PICTURES)
def test_any_picture_gives_a_valid_input(picture):
    """Any shape (1 x 1, thin strips, colour) and any values -> finite 28 x 28 in [0, 1]."""
    done = to_dataset_style(np.clip(np.abs(picture) / 4, 0, 1))
    assert done.image.shape == (28, 28)
    assert np.isfinite(done.image).all()
    assert done.image.min() >= 0 and done.image.max() <= 1


def test_unknown_style_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="mnist, fashion-mnist"):
        to_dataset_style(paper_digit(), style="cifar")


def test_pad_to_square_centres_and_leaves_room():
    """A 10 x 4 block padded for 20-of-28 content: a 14 x 14 square, the block in the middle."""
    square = pad_to_square(np.ones((10, 4), np.float32), content=20)
    assert square.shape == (14, 14)
    assert square.sum() == 40
    assert_allclose(np.argwhere(square).mean(0), [6.5, 6.5])


def test_centre_of_mass_shift_moves_a_dot_to_the_middle():
    image = np.zeros((28, 28), np.float32)
    image[3, 20] = 1
    dy, dx = centre_of_mass_shift(image)
    assert (dy, dx) == (11, -6)
    assert shift(image, dy, dx)[14, 14] == 1


@pytest.mark.parametrize(("rows", "cols"), [(0, 0), (2, -3), (-5, 4), (30, 0)])
def test_shift_matches_rolling_with_black_edges(rows, cols):
    """Shifting equals np.roll with the wrapped-around part blacked out."""
    image = np.arange(1, 49, dtype=np.float32).reshape(6, 8)
    moved = shift(image, rows, cols)
    expected = np.roll(image, (rows, cols), (0, 1)) if abs(rows) < 6 else np.zeros_like(image)
    if abs(rows) < 6:
        expected[: max(rows, 0)] = 0
        expected[image.shape[0] + min(rows, 0) :] = 0
        expected[:, : max(cols, 0)] = 0
        expected[:, image.shape[1] + min(cols, 0) :] = 0
    assert_allclose(moved, expected)


@pytest.mark.data
@pytest.mark.parametrize("name", STYLES)
def test_dataset_pictures_survive_the_pipeline(name, data_dir):
    """A dataset's own pictures, preprocessed, are still recognised by the shipped model."""
    from cnnviz.data import load_dataset
    from cnnviz.weights import load_model

    pixels, labels = load_dataset(name, "test", root=data_dir)
    pixels, labels = pixels[:300], labels[:300]
    done = np.stack([to_dataset_style(p / np.float32(255), style=name).image for p in pixels])
    model = load_model(name)

    def accuracy(batch: np.ndarray) -> float:
        with torch.inference_mode():
            return float(
                (model(torch.from_numpy(batch)[:, None]).argmax(1).numpy() == labels).mean()
            )

    assert accuracy(done) >= accuracy(pixels / np.float32(255)) - 0.02


def test_the_module_does_not_import_streamlit():
    """cnnviz.preprocess is usable from a notebook."""
    code = "import sys, cnnviz.preprocess; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=30, deadline=None)
@given(st.integers(8, 200), st.integers(1, 200))
def test_content_of_any_box_ends_in_the_20_pixel_box(height, width):
    """A white rectangle of any proportions (one side at least 8 px) on black: its longer
    side becomes about 20 px (smaller ones are placed on whole source pixels, so coarser)."""
    picture = np.zeros((height + 20, width + 20), np.float32)
    picture[10 : 10 + height, 10 : 10 + width] = 1
    image = to_dataset_style(picture).image
    assert max(content_size(image)) in range(19, 22)
