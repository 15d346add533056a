"""correlate2d, its textbook loop and convolve2d against torch.nn.functional.conv2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz import (
    KERNELS,
    PADDING_MODES,
    convolve2d,
    correlate2d,
    correlate2d_loop,
    explain_pixel,
    output_size,
)
from tests.strategies import FLOATS, images
from tests.test_padding import TORCH_MODE

TOL = {"rtol": 1e-4, "atol": 1e-4}


@st.composite
def settings_for(draw, image, summed):
    """A kernel and settings that fit the image (kernels may be as large as the input)."""
    h, w = image.shape[-2:]
    mode = draw(st.sampled_from(PADDING_MODES))
    limit_h, limit_w = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(mode, (3, 3))
    pad = tuple(draw(st.integers(0, min(lim, 3))) for lim in (limit_h, limit_h, limit_w, limit_w))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kh = draw(st.integers(1, max(1, (h + pad[0] + pad[1] - 1) // dilation[0] + 1)))
    kw = draw(st.integers(1, max(1, (w + pad[2] + pad[3] - 1) // dilation[1] + 1)))
    channels = image.shape[0] if (summed and image.ndim == 3) else None
    shape = (channels, kh, kw) if channels else (kh, kw)
    kernel = draw(st.lists(FLOATS, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    bias = draw(FLOATS)
    options = {"stride": stride, "padding": pad, "padding_mode": mode, "dilation": dilation,
               "bias": bias}  # fmt: skip
    return np.array(kernel, np.float32).reshape(shape), options


def torch_reference(image, kernel, options):
    """The same computation in PyTorch: pad, then conv2d (grouped for a per-channel filter)."""
    top, bottom, left, right = options["padding"]
    x = torch.from_numpy(np.array(image, np.float32, ndmin=3))[None]  # (1, C, H, W)
    x = F.pad(x, (left, right, top, bottom), mode=TORCH_MODE[options["padding_mode"]])
    channels = x.shape[1]
    if kernel.ndim == 3:  # one output channel summing all input channels
        weight, groups = torch.from_numpy(kernel)[None], 1
    else:  # the same kernel on each channel on its own
        weight, groups = torch.from_numpy(kernel).expand(channels, 1, *kernel.shape), channels
    bias = torch.full((weight.shape[0],), float(options["bias"]))
    out = F.conv2d(x, weight, bias, stride=options["stride"], dilation=options["dilation"],
                   groups=groups)[0]  # fmt: skip
    return out.numpy() if (kernel.ndim == 2 and image.ndim == 3) else out[0].numpy()


@settings(max_examples=200, deadline=None)
@given(image=images(), summed=st.booleans(), data=st.data())
def test_fast_path_matches_torch(image, summed, data):
    """correlate2d equals torch conv2d for random shapes, channels, modes and settings."""
    kernel, options = data.draw(settings_for(image, summed))
    h, w = image.shape[-2:]
    top, bottom, left, right = options["padding"]
    try:
        output_size(h + top + bottom, kernel.shape[-2], dilation=options["dilation"][0])
        output_size(w + left + right, kernel.shape[-1], dilation=options["dilation"][1])
    except ValueError:
        assume(False)
    ours = correlate2d(image, kernel, **options)
    np.testing.assert_allclose(ours, torch_reference(image, kernel, options), **TOL)


@settings(max_examples=60, deadline=None)
@given(image=images(max_side=8), summed=st.booleans(), data=st.data())
def test_loop_matches_fast_path(image, summed, data):
    """The textbook loop the page shows computes the same numbers as the fast path."""
    kernel, options = data.draw(settings_for(image, summed))
    try:
        fast = correlate2d(image, kernel, **options)
    except ValueError:
        assume(False)
    np.testing.assert_allclose(correlate2d_loop(image, kernel, **options), fast, **TOL)


@settings(max_examples=60, deadline=None)
@given(image=images(max_side=10), summed=st.booleans(), data=st.data())
def test_every_explained_pixel_equals_the_output(image, summed, data):
    """explain_pixel's sum plus bias is the output pixel, and products are patch * weights."""
    kernel, options = data.draw(settings_for(image, summed))
    try:
        out = correlate2d(image, kernel, **options)
    except ValueError:
        assume(False)
    row = data.draw(st.integers(0, out.shape[-2] - 1))
    col = data.draw(st.integers(0, out.shape[-1] - 1))
    channel = data.draw(st.integers(0, image.shape[0] - 1)) if image.ndim == 3 else 0
    info = explain_pixel(image, kernel, row, col, channel=channel, **options)
    expected = out[channel, row, col] if out.ndim == 3 else out[row, col]
    np.testing.assert_allclose(info.value, expected, **TOL)
    np.testing.assert_allclose(info.products, info.patch * info.weights, **TOL)


def test_golden_case():
    """d2l's 3x3 input 0..8 with kernel [[0, 1], [2, 3]] gives [[19, 25], [37, 43]]."""
    x = np.arange(9, dtype=np.float32).reshape(3, 3)
    expected = [[19, 25], [37, 43]]
    np.testing.assert_array_equal(correlate2d(x, [[0, 1], [2, 3]]), expected)
    np.testing.assert_array_equal(correlate2d_loop(x, [[0, 1], [2, 3]]), expected)


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_identity_kernel_returns_input(mode):
    """The identity kernel with 'same' padding returns the input, in every padding mode."""
    x = np.random.default_rng(1).random((3, 9, 7)).astype(np.float32)
    out = correlate2d(x, KERNELS["identity"].weights, padding=1, padding_mode=mode)
    np.testing.assert_allclose(out, x, rtol=0, atol=1e-7)


def test_convolution_flips_the_kernel():
    """convolve2d equals correlate2d with the kernel rotated 180 degrees; they differ otherwise."""
    x = np.random.default_rng(2).random((8, 8)).astype(np.float32)
    k = np.array([[1, 2], [0, -1]], np.float32)
    np.testing.assert_allclose(convolve2d(x, k), correlate2d(x, k[::-1, ::-1]), **TOL)
    assert not np.allclose(convolve2d(x, k), correlate2d(x, k))


def test_kernel_larger_than_image_explains():
    """A kernel larger than the image (no padding) raises a sentence a student understands."""
    with pytest.raises(ValueError, match="does not fit even once"):
        correlate2d(np.zeros((4, 4)), np.ones((5, 5)))


def test_nan_in_kernel_is_refused():
    """A NaN in an edited matrix gets a clear message instead of a picture of NaNs."""
    with pytest.raises(ValueError, match="not a number"):
        correlate2d(np.zeros((4, 4)), [[1, np.nan], [0, 1]])


def test_channel_mismatch_explains():
    """A summed kernel with the wrong number of channels says what it needs."""
    with pytest.raises(ValueError, match="one slice per image channel"):
        correlate2d(np.zeros((3, 5, 5)), np.ones((2, 3, 3)))


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1)])
def test_thin_images(shape):
    """1x1 and one-pixel-thin images work with a kernel that fits."""
    x = np.ones(shape, np.float32)
    out = correlate2d(x, np.ones((1, 1)) * 2)
    np.testing.assert_array_equal(out, 2 * x)


@settings(max_examples=40, deadline=None)
@given(image=images(max_side=40), summed=st.booleans(), data=st.data())
def test_banded_and_phase_paths_match_torch(image, summed, data):
    """With tiny bands and the stride-phase path for every kernel, results still equal torch."""
    import cnnviz.convolution as convolution

    kernel, options = data.draw(settings_for(image, summed))
    saved = convolution._BAND_BYTES, convolution._PHASES_FROM_CELLS
    convolution._BAND_BYTES, convolution._PHASES_FROM_CELLS = 64, 1
    try:
        ours = correlate2d(image, kernel, **options)
    except ValueError:
        assume(False)
    finally:
        convolution._BAND_BYTES, convolution._PHASES_FROM_CELLS = saved
    np.testing.assert_allclose(ours, torch_reference(image, kernel, options), **TOL)
