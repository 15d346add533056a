"""The sample gallery loads offline, is deterministic, read-only and drawn the way it says."""

from __future__ import annotations

import socket
import types

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cnnviz import samples
from cnnviz.samples import DEFAULT_SIZE, SAMPLES, load_sample


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sample tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_sample_loads_offline_as_float_pixels(name, no_network):
    """float32 in [0, 1], (H, W) or (3, H, W), longer side = size (tiny_digit: 8 x 8)."""
    samples._load.cache_clear()
    pixels = load_sample(name)
    assert pixels.dtype == np.float32 and np.isfinite(pixels).all()
    assert pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[0] == 3)
    assert pixels.min() >= 0 and pixels.max() <= 1 and pixels.max() > pixels.min()
    expected_side = 8 if name == "tiny_digit" else DEFAULT_SIZE
    assert max(pixels.shape[-2:]) == expected_side


@pytest.mark.parametrize("name", list(SAMPLES))
def test_sample_is_deterministic_and_read_only(name):
    """Drawing twice gives the same pixels; the cached array cannot be written."""
    first = load_sample(name, size=64)
    samples._load.cache_clear()
    again = load_sample(name, size=64)
    assert first is not again
    assert_allclose(first, again, atol=0)
    assert load_sample(name, size=64) is again  # cached
    with pytest.raises(ValueError, match="read-only"):
        again[..., 0, 0] = 0.5


def test_gallery_is_read_only_and_described():
    """SAMPLES cannot be changed; every entry has one sentence, a kind and a credit."""
    assert isinstance(SAMPLES, types.MappingProxyType)
    with pytest.raises(TypeError):
        SAMPLES["mine"] = SAMPLES["camera"]  # type: ignore[index]
    for name, sample in SAMPLES.items():
        assert sample.name == name
        assert sample.kind in {"photo", "pattern"}
        assert sample.description.endswith(".") and "\n" not in sample.description
        assert sample.credit
    photos = [s for s in SAMPLES.values() if s.kind == "photo"]
    assert len(photos) >= 8
    for photo in photos:
        assert any(word in photo.credit for word in ("CC0", "public domain", "copyright"))


def test_unknown_name_and_tiny_size_are_refused():
    """A misspelt name lists the choices; a size under 8 pixels is refused."""
    with pytest.raises(ValueError, match="choose one of: camera"):
        load_sample("camra")
    with pytest.raises(ValueError, match="at least 8"):
        load_sample("circle", size=4)


def test_photos_are_shrunk_never_enlarged():
    """A photo asked for at 1024 keeps its stored size (camera is 512 x 512)."""
    assert load_sample("camera", size=1024).shape == (512, 512)
    assert load_sample("astronaut", size=100).shape == (3, 100, 100)


def test_edges_are_where_their_names_say():
    """vertical_edge: dark left, bright right; horizontal_edge: dark top, bright bottom."""
    vertical = load_sample("vertical_edge", size=32)
    assert (vertical[:, :16] == 0).all() and (vertical[:, 16:] == 1).all()
    assert_allclose(load_sample("horizontal_edge", size=32), vertical.T)


def test_stripes_run_at_their_angle():
    """0: rows constant; 90: columns constant; 45 rises (constant along y + x); 135 falls."""
    assert np.ptp(load_sample("stripes_0"), axis=1).max() == 0
    assert np.ptp(load_sample("stripes_90"), axis=0).max() == 0
    rising, falling = load_sample("stripes_45"), load_sample("stripes_135")
    assert_allclose(rising[1:, :-1], rising[:-1, 1:], atol=1e-5)
    assert_allclose(falling[1:, 1:], falling[:-1, :-1], atol=1e-5)
    assert 0.45 < load_sample("stripes_30").mean() < 0.55


def test_circle_and_checkerboard_are_symmetric():
    """The disc is symmetric under flips and transposes; the checkerboard has 8 x 8 squares."""
    disc = load_sample("circle")
    assert_allclose(disc, disc.T, atol=1e-6)
    assert_allclose(disc, disc[::-1], atol=1e-6)
    assert disc.min() == 0 and disc.max() == 1 and ((disc > 0) & (disc < 1)).any()  # soft rim
    board = load_sample("checkerboard", size=64)
    assert board[0, 0] == 0 and board[0, 8] == 1 and board[8, 8] == 0


def test_letter_is_big_and_bold():
    """The letter A covers a good part of the picture and is nearly left-right symmetric."""
    letter = load_sample("letter_a")
    assert 0.1 < letter.mean() < 0.5
    assert np.abs(letter - letter[:, ::-1]).mean() < 0.1


def test_noise_ramp_and_digit_values():
    """Noise is mid-grey; the ramp rises left to right; the digit uses only 0, 0.5 and 1."""
    assert 0.45 < load_sample("noise").mean() < 0.55
    ramp = load_sample("ramp", size=16)
    assert (np.diff(ramp, axis=1) > 0).all() and np.ptp(ramp, axis=0).max() == 0
    assert set(np.unique(load_sample("tiny_digit"))) <= {0.0, 0.5, 1.0}
