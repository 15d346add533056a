"""Cached wrappers around cnnviz: arrays are shared across users, keyed by small strings."""

from __future__ import annotations

import numpy as np
import streamlit as st

import cnnviz
from cnnviz import images, samples
from cnnviz.plotting import figure_png


# Full-size pictures are big (a 12 MP photo is 144 MB as float32): keep few, for an hour.
@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def decode(digest: str, _data: bytes) -> images.DecodedImage:
    """Decode image bytes once per content (``digest`` is their sha256)."""
    return images.decode_image(_data)


@st.cache_data(max_entries=64, show_spinner=False)
def sample(name: str) -> np.ndarray:
    """A sample image from the gallery: photos at full size, patterns at 256 pixels."""
    photo = samples.SAMPLES[name].kind == "photo"
    return samples.load_sample(name, size=4096 if photo else 256)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def prepared(key: str, _pixels: np.ndarray, colour: bool, max_side: int | None) -> np.ndarray:
    """The working image: colour or grey, at most ``max_side`` pixels (None: full size)."""
    pixels = _pixels if colour else images.to_grayscale(_pixels)
    if max_side is not None:
        pixels = images.downscale(pixels, max_side)
    return np.ascontiguousarray(pixels, dtype=np.float32)


def correlate(key: str, image: np.ndarray, kernel: np.ndarray, **options) -> np.ndarray:
    """``cnnviz.correlate2d`` on the working image named by ``key``, cached."""
    kernel = np.ascontiguousarray(kernel, dtype=np.float32)
    return _correlate(key, image, kernel.tobytes(), kernel.shape, **options)


@st.cache_data(max_entries=128, show_spinner=False)
def _correlate(key: str, _image: np.ndarray, kernel: bytes, shape: tuple, **options) -> np.ndarray:
    weights = np.frombuffer(kernel, dtype=np.float32).reshape(shape)
    return cnnviz.correlate2d(_image, weights, **options)


@st.cache_data(max_entries=128, show_spinner=False)
def pool(key: str, _image: np.ndarray, size, **options) -> np.ndarray:
    """``cnnviz.pool2d`` on the working image named by ``key``."""
    return cnnviz.pool2d(_image, size, **options)


def npy_of(array: np.ndarray) -> bytes:
    """The exact numbers of ``array`` as a ``.npy`` file, for downloads."""
    from io import BytesIO

    buffer = BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def png_of(rgb: np.ndarray) -> bytes:
    """PNG bytes of a uint8 picture, for downloads."""
    from cnnviz.images import to_png_bytes

    return to_png_bytes(rgb)


@st.cache_data(max_entries=256, show_spinner=False)
def png(builder: str, *args, **kwargs) -> bytes:
    """Render ``cnnviz.plotting.<builder>(*args, **kwargs)`` to PNG once per arguments."""
    from cnnviz import plotting

    return figure_png(getattr(plotting, builder)(*args, **kwargs))
