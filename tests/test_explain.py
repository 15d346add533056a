"""cnnviz.explain: receptive fields from the layers, and the test patches a channel likes most."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from cnnviz.explain import (
    ReceptiveField,
    channel_peaks,
    conv_layers,
    cut_patch,
    favourites,
    receptive_field,
    tile,
    top_patches,
)
from cnnviz.model import CNN, LESSON_CNN, CNNConfig, feature_maps, to_tensor

CONFIGS = [
    LESSON_CNN,
    CNNConfig(channels=(4, 6), kernel_size=5, pool="avg"),
    CNNConfig(channels=(3, 4, 5), kernel_size=3, pool="none"),
    CNNConfig(channels=(2,), kernel_size=7, pool="max"),
]


def random_model(config: CNNConfig, seed: int = 0) -> CNN:
    torch.manual_seed(seed)
    return CNN(config, mean=0.2, std=0.3).eval().requires_grad_(False)


def random_images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def outputs(model: CNN, images: np.ndarray, layer: str) -> np.ndarray:
    """The full forward pass's output of ``layer``: the oracle."""
    return dict(feature_maps(model, to_tensor(images)))[layer].numpy()


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        ("conv1", ReceptiveField(3, 1, 0)),
        ("relu1", ReceptiveField(3, 1, 0)),
        ("pool1", ReceptiveField(4, 2, 0)),
        ("conv2", ReceptiveField(8, 2, 0)),
        ("pool2", ReceptiveField(10, 4, 0)),
    ],
)
def test_lesson_cnn_receptive_fields(layer, field):
    """Golden: conv1 sees 3 px, pool1 4, conv2 8, pool2 10 (jumps 1, 2, 2, 4)."""
    assert receptive_field(CNN(LESSON_CNN), layer) == field


def test_receptive_field_follows_the_config():
    """Kernel 5 without pooling: 5, then 9 pixels, neighbours one pixel apart."""
    model = CNN(CNNConfig(channels=(4, 8), kernel_size=5, pool="none"))
    assert receptive_field(model, "conv1") == ReceptiveField(5, 1, 0)
    assert receptive_field(model, "conv2") == ReceptiveField(9, 1, 0)


def test_receptive_field_counts_padding_and_stride():
    """A padded, strided conv (not in the lesson CNN) moves and spaces the fields."""
    model = CNN(LESSON_CNN)
    model.conv1 = torch.nn.Conv2d(1, 32, 3, stride=2, padding=1)
    assert receptive_field(model, "conv1") == ReceptiveField(3, 2, -1)
    assert receptive_field(model, "pool1") == ReceptiveField(5, 4, -1)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_pixels_outside_the_field_do_not_matter(config):
    """Changing every input pixel outside an output pixel's field leaves that pixel alone;
    changing the pixels inside changes it."""
    model = random_model(config)
    image = random_images(1)
    for layer in conv_layers(model):
        field = receptive_field(model, layer)
        maps = outputs(model, image, layer)
        row, col = maps.shape[-2] // 2, maps.shape[-1] // 2
        top, left, bottom, right = field.box(row, col)
        assert top >= 0 and left >= 0 and bottom <= 28 and right <= 28
        outside = random_images(1, seed=1)
        outside[0, top:bottom, left:right] = image[0, top:bottom, left:right]
        assert_allclose(
            outputs(model, outside, layer)[0, :, row, col], maps[0, :, row, col], atol=1e-5
        )
        inside = image.copy()
        inside[0, top:bottom, left:right] = 255 - inside[0, top:bottom, left:right]
        assert not np.allclose(outputs(model, inside, layer)[0, :, row, col], maps[0, :, row, col])


def test_unknown_or_dense_layers_are_refused():
    model = CNN(LESSON_CNN)
    with pytest.raises(ValueError, match="unknown layer 'conv9'"):
        receptive_field(model, "conv9")
    with pytest.raises(ValueError, match="no receptive field"):
        receptive_field(model, "dense1")
    with pytest.raises(ValueError, match="not a convolution layer"):
        channel_peaks(model, random_images(2), "pool1")
    with pytest.raises(ValueError, match="channels 0..31"):
        channel_peaks(model, random_images(2), "conv1", (32,))


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_channel_peaks_match_the_full_forward_pass(config):
    """Per picture and channel: the largest value and where it is, as the whole net computes."""
    model, images = random_model(config), random_images(23)
    for layer in conv_layers(model):
        peaks = channel_peaks(model, images, layer, batch=5)
        maps = outputs(model, images, layer)  # (N, C, H, W)
        flat = maps.reshape(*maps.shape[:2], -1)
        assert_allclose(peaks.values, flat.max(-1), rtol=1e-5, atol=1e-5)
        where = flat.argmax(-1)
        assert_array_equal(peaks.rows, where // maps.shape[-1])
        assert_array_equal(peaks.cols, where % maps.shape[-1])


def test_one_channel_equals_that_column_of_all_channels():
    model, images = random_model(LESSON_CNN), random_images(10)
    every = channel_peaks(model, images, "conv2")
    one = channel_peaks(model, images, "conv2", (7,))
    assert one.channels == (7,) and every.channels == tuple(range(64))
    assert_allclose(one.values[:, 0], every.values[:, 7], atol=1e-5)


def test_batch_size_does_not_change_the_answer():
    model, images = random_model(LESSON_CNN), random_images(17)
    a = channel_peaks(model, images, "conv2", batch=4)
    b = channel_peaks(model, images, "conv2", batch=1000)
    assert_allclose(a.values, b.values, atol=1e-5)
    assert_array_equal(a.rows, b.rows)


def test_top_patches_are_the_strongest_pictures_in_order():
    """The k pictures with the largest per-picture maximum, strongest first."""
    model, images = random_model(LESSON_CNN), random_images(40)
    found = top_patches(model, images, "conv2", 3, k=9)
    strongest = outputs(model, images, "conv2")[:, 3].reshape(40, -1).max(-1)
    assert_array_equal(found.indices, np.argsort(-strongest, kind="stable")[:9])
    assert_allclose(found.activations, strongest[found.indices], rtol=1e-5)
    assert np.all(np.diff(found.activations) <= 0)
    assert found.patches.shape == (9, 8, 8)


def test_each_patch_is_the_input_under_the_strongest_pixel():
    """For conv1 the patch alone gives the activation: sum(normalised patch * kernel) + bias."""
    model, images = random_model(LESSON_CNN), random_images(30)
    found = top_patches(model, images, "conv1", 5)
    kernel, bias = model.conv1.weight[5, 0].numpy(), float(model.conv1.bias[5])
    for i, patch in enumerate(found.patches):
        top, left, bottom, right = found.boxes[i]
        assert_allclose(patch, images[found.indices[i], top:bottom, left:right] / 255, rtol=1e-6)
        normalised = (patch - float(model.mean)) / float(model.std)
        assert_allclose((normalised * kernel).sum() + bias, found.activations[i], rtol=1e-4)


def test_ties_keep_the_lower_picture_number_first():
    model = random_model(LESSON_CNN)
    images = np.repeat(random_images(1), 5, axis=0)
    assert_array_equal(top_patches(model, images, "conv1", 0, k=3).indices, [0, 1, 2])


def test_fewer_pictures_than_k_gives_them_all():
    found = top_patches(random_model(LESSON_CNN), random_images(4), "conv1", 0, k=9)
    assert len(found.indices) == 4 and found.patches.shape == (4, 3, 3)


def test_given_peaks_must_fit_the_question():
    model, images = random_model(LESSON_CNN), random_images(5)
    peaks = channel_peaks(model, images, "conv1", (1, 2))
    assert_array_equal(
        top_patches(model, images, "conv1", 2, peaks=peaks).indices,
        top_patches(model, images, "conv1", 2).indices,
    )
    with pytest.raises(ValueError, match="not channel 3 of conv1"):
        top_patches(model, images, "conv1", 3, peaks=peaks)


def test_favourites_hold_each_channels_top_pictures():
    """One row per channel: the same pictures, values and places as asking channel by channel."""
    model, images = random_model(LESSON_CNN), random_images(30)
    peaks = channel_peaks(model, images, "conv2")
    found = favourites(peaks, k=5)
    assert found.indices.shape == found.values.shape == found.rows.shape == (64, 5)
    assert found.k == 5 and found.layer == "conv2"
    for channel in (0, 17, 63):
        one = top_patches(model, images, "conv2", channel, k=5, peaks=peaks)
        assert_array_equal(found.indices[channel], one.indices)
        assert_array_equal(found.values[channel], one.activations)
        assert_array_equal(np.stack([found.rows[channel], found.cols[channel]], 1), one.positions)


def test_patches_from_favourites_equal_patches_from_peaks():
    """Stored favourites give exactly the patches a fresh search gives, fewer when asked."""
    model, images = random_model(LESSON_CNN), random_images(25)
    peaks = channel_peaks(model, images, "conv1")
    found = favourites(peaks)
    for channel in (2, 31):
        stored = top_patches(model, images, "conv1", channel, found=found)
        fresh = top_patches(model, images, "conv1", channel, peaks=peaks)
        for field in ("indices", "activations", "positions", "boxes", "patches"):
            assert_array_equal(getattr(stored, field), getattr(fresh, field), err_msg=field)
    assert len(top_patches(model, images, "conv1", 2, k=3, found=found).indices) == 3


def test_favourites_that_do_not_fit_are_refused():
    model, images = random_model(LESSON_CNN), random_images(20)
    found = favourites(channel_peaks(model, images, "conv1"), k=4)
    with pytest.raises(ValueError, match="not 9 for channel 0"):
        top_patches(model, images, "conv1", 0, found=found)  # four stored, nine asked
    with pytest.raises(ValueError, match="32 channels"):
        top_patches(model, images, "conv1", 32, k=4, found=found)
    with pytest.raises(ValueError, match="of conv2"):
        top_patches(model, images, "conv2", 0, k=4, found=found)
    few = favourites(channel_peaks(model, images[:3], "conv1"))
    assert len(top_patches(model, images[:3], "conv1", 0, found=few).indices) == 3
    with pytest.raises(ValueError, match="at least 1"):
        favourites(channel_peaks(model, images, "conv1"), k=0)


def test_cut_patch_pads_outside_the_picture_with_zeros():
    image = np.full((4, 4), 255, np.uint8)
    patch = cut_patch(image, (-1, 2, 2, 5))
    assert_array_equal(patch, [[0, 0, 0], [1, 1, 0], [1, 1, 0]])


def test_tile_places_maps_row_by_row_with_gaps():
    maps = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    sheet = tile(maps, 3, gap=1)
    assert sheet.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert_array_equal(sheet[0:2, 4:7], maps[1])
    assert_array_equal(sheet[3:5, 4:7], maps[4])
    assert np.isnan(sheet[2]).all() and np.isnan(sheet[3:5, 8:]).all()


@pytest.mark.data
def test_shipped_model_top_patches_on_the_real_test_set(data_dir):
    """On real pictures the strongest patches are found, and they are not blank."""
    from cnnviz.data import load_dataset
    from cnnviz.weights import load_model

    pixels, _ = load_dataset("fashion-mnist", "test", root=data_dir)
    model = load_model("fashion-mnist")
    found = top_patches(model, pixels[:2000], "conv2", 0)
    strongest = outputs(model, pixels[:2000], "conv2")[:, 0].reshape(2000, -1).max(-1)
    assert_allclose(found.activations, np.sort(strongest)[::-1][:9], rtol=1e-4)
    assert all(patch.max() > 0 for patch in found.patches)


def test_the_module_does_not_import_streamlit():
    """cnnviz.explain is usable from a notebook."""
    code = "import sys, cnnviz.explain; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
