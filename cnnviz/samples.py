"""The sample gallery: photos that ship inside scikit-image, and patterns drawn by code.

Nothing here downloads. The photos are the ones bundled in the scikit-image 0.26 wheel
(``skimage/data/*.png|jpg``); its ``data/README.txt`` states no licences, so each ``credit``
quotes the licence note of that image's loader docstring (``help(skimage.data.camera)``).
Images whose docstrings state no licence (moon, page, checkerboard) are left out.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnviz.images import downscale

DEFAULT_SIZE = 256
SUPERSAMPLE = 4  # patterns are drawn 4x larger, then area-averaged: smooth, not jagged, edges


@dataclass(frozen=True)
class Sample:
    """One entry of the gallery."""

    name: str  # the key in SAMPLES, e.g. "camera" or "stripes_45"
    description: str  # one plain sentence for the picker
    kind: Literal["photo", "pattern"]
    loader: Callable[[int], np.ndarray]  # size in pixels -> float32 (H, W) or (3, H, W)
    credit: str = "Drawn by cnnviz's own code (MIT)."  # source and licence


# --- photos -----------------------------------------------------------------------------------


def _photo(loader_name: str) -> Callable[[int], np.ndarray]:
    """Loader for ``skimage.data.<loader_name>``, shrunk so its longer side is ``size``."""

    def load(size: int) -> np.ndarray:
        from skimage import data  # imported on first use: it takes about a second

        raw = np.asarray(getattr(data, loader_name)())
        pixels = raw.astype(np.float32) / (1 if raw.dtype == bool else 255)
        if pixels.ndim == 3:
            pixels = np.moveaxis(pixels, -1, 0)  # (H, W, 3) -> (3, H, W)
        return np.ascontiguousarray(downscale(pixels, size))

    return load


_PHOTOS = (  # (name, skimage loader, description, source, licence quoted from its docstring)
    ("camera", "camera", "A photographer with a tripod: sharp dark shapes on a soft sky.",
     "Lav Varshney", "No copyright restrictions. CC0 by the photographer (Lav Varshney)."),
    ("astronaut", "astronaut", "Astronaut Eileen Collins in colour, with flags and a helmet.",
     "NASA Great Images database",
     "No known copyright restrictions, released into the public domain."),
    ("coins", "coins", "Greek coins from Pompeii on a grey background.",
     "Brooklyn Museum Collection", "No known copyright restrictions."),
    ("coffee", "coffee", "A cup of coffee on a wooden table, seen from above.",
     "Pikolo Espresso Bar",
     "No copyright restrictions.  CC0 by the photographer (Rachel Michetti)."),
    ("cat", "chelsea", "Chelsea the cat: fur texture, whiskers and edges in many directions.",
     "Stefan van der Walt",
     "No copyright restrictions.  CC0 by the photographer (Stefan van der Walt)."),
    ("rocket", "rocket", "A Falcon 9 rocket lifting off, with smoke and a bright flame.",
     "SpaceX Photos", "The image was captured by SpaceX and released in the public domain."),
    ("horse", "horse", "The black silhouette of a horse on white: only two values.",
     "openclipart",
     "No copyright restrictions. CC0 given by owner (Andreas Preuss (marauder))."),
    ("text", "text", "Printed letters and shapes with many corners.",
     "Wikipedia, File:Corner.png",
     "No known copyright restrictions, released into the public domain."),
    ("brick", "brick", "A brick wall: a repeating pattern of horizontal and vertical lines.",
     "CC0Textures (Bricks25)", "licensed under the Creative Commons CC0 License."),
    ("gravel", "gravel", "Gravel: fine texture with no main direction.",
     "CC0Textures (Gravel04)", "licensed under the Creative Commons CC0 License."),
    ("clock", "clock", "A wall clock blurred by a sideways camera shake.",
     "Stefan van der Walt",
     "Released into the public domain by the photographer (Stefan van der Walt)."),
    ("hubble", "hubble_deep_field", "The Hubble Deep Field: thousands of tiny galaxies.",
     "HubbleSite",
     "The image was captured by NASA and may be freely used in the public domain."),
)  # fmt: skip


def _credit(source: str, licence: str) -> str:
    return f"{source}, shipped with scikit-image; its docstring says: '{licence}'"


# --- patterns --------------------------------------------------------------------------------


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Supersampled pixel-centre coordinates ``(y, x)`` in output-pixel units, each (n, n)."""
    centres = (np.arange(size * SUPERSAMPLE, dtype=np.float32) + 0.5) / SUPERSAMPLE
    return np.meshgrid(centres, centres, indexing="ij")


def _smooth(fine: np.ndarray, size: int) -> np.ndarray:
    """Average a supersampled drawing down to ``(size, size)`` float32."""
    return downscale(fine.astype(np.float32), size)


def vertical_edge(size: int) -> np.ndarray:
    _, x = _grid(size)
    return _smooth(x >= size / 2, size)


def horizontal_edge(size: int) -> np.ndarray:
    y, _ = _grid(size)
    return _smooth(y >= size / 2, size)


def checkerboard(size: int) -> np.ndarray:
    y, x = _grid(size)
    square = size / 8
    return _smooth((np.floor(y / square) + np.floor(x / square)) % 2 == 1, size)


def circle(size: int) -> np.ndarray:
    y, x = _grid(size)
    return _smooth(np.hypot(y - size / 2, x - size / 2) <= 0.35 * size, size)


def ramp(size: int) -> np.ndarray:
    _, x = _grid(size)
    return _smooth(x / size, size)


def stripes(angle: float) -> Callable[[int], np.ndarray]:
    """Loader of bright/dark stripes running at ``angle`` degrees (0 = horizontal, 90 = vertical).

    Angles are counter-clockwise with y pointing up, as in a maths class; one period is
    an eighth of the picture.
    """

    def draw(size: int) -> np.ndarray:
        y, x = _grid(size)
        theta = np.deg2rad(angle)
        across = (size - y) * np.cos(theta) - x * np.sin(theta)  # distance across the stripes
        return _smooth(np.mod(across, size / 8) < size / 16, size)

    return draw


def letter_a(size: int) -> np.ndarray:
    """A big bold white "A" on black, drawn with Pillow's built-in font."""
    fine = size * SUPERSAMPLE
    font = ImageFont.load_default(size=int(fine * 0.8))
    canvas = Image.new("L", (fine, fine), 0)
    centre = (fine / 2, fine / 2)
    ImageDraw.Draw(canvas).text(
        centre, "A", fill=255, font=font, anchor="mm", stroke_width=fine // 32, stroke_fill=255
    )
    return _smooth(np.asarray(canvas) / 255, size)


def noise(size: int) -> np.ndarray:
    """Gaussian noise around mid-grey (mean 0.5, sd 0.15), the same every time (seed 0)."""
    values = np.random.default_rng(0).normal(0.5, 0.15, (size, size))
    return np.clip(values, 0, 1).astype(np.float32)


_DIGIT = (  # a "3": "." black, "#" white, "+" half grey for the soft ends of the strokes
    "........",
    "..###+..",
    ".+....#.",
    "......#.",
    "...###..",
    "......#.",
    ".+....#.",
    "..###+..",
)


def tiny_digit(size: int) -> np.ndarray:
    """An 8 x 8 hand-drawn "3"; always 8 x 8 whatever ``size`` is."""
    levels = {".": 0.0, "+": 0.5, "#": 1.0}
    return np.array([[levels[c] for c in row] for row in _DIGIT], dtype=np.float32)


_PATTERNS = (  # (name, loader, description)
    ("vertical_edge", vertical_edge, "Dark on the left, bright on the right: one vertical edge."),
    ("horizontal_edge", horizontal_edge, "Dark on top, bright below: one horizontal edge."),
    ("checkerboard", checkerboard, "An 8 x 8 checkerboard: edges in both directions and corners."),
    ("circle", circle, "A white disc on black: an edge at every angle at once."),
    ("stripes_0", stripes(0), "Horizontal stripes (0 degrees)."),
    ("stripes_30", stripes(30), "Stripes rising at 30 degrees."),
    ("stripes_45", stripes(45), "Diagonal stripes rising at 45 degrees."),
    ("stripes_90", stripes(90), "Vertical stripes (90 degrees)."),
    ("stripes_135", stripes(135), "Diagonal stripes falling at 135 degrees."),
    ("letter_a", letter_a, "A big bold letter A: straight edges, a slant and a hole."),
    ("noise", noise, "Random grey noise (always the same): what blurring is for."),
    ("tiny_digit", tiny_digit, "A tiny 8 x 8 digit 3, small enough to show every number."),
    ("ramp", ramp, "A smooth ramp from black on the left to white on the right."),
)


SAMPLES: types.MappingProxyType[str, Sample] = types.MappingProxyType(
    {
        **{
            name: Sample(name, description, "photo", _photo(loader), _credit(source, licence))
            for name, loader, description, source, licence in _PHOTOS
        },
        **{
            name: Sample(name, description, "pattern", loader)
            for name, loader, description in _PATTERNS
        },
    }
)


def load_sample(name: str, *, size: int = DEFAULT_SIZE) -> np.ndarray:
    """Pixels of a sample: float32 in [0, 1], ``(H, W)`` or ``(3, H, W)``, read-only.

    Photos are shrunk so their longer side is ``size`` (never enlarged); patterns are drawn
    ``size`` x ``size``, except ``tiny_digit``, which is always 8 x 8. Results are cached.
    """
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; choose one of: {', '.join(SAMPLES)}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    return _load(name, int(size))


@functools.lru_cache(maxsize=64)
def _load(name: str, size: int) -> np.ndarray:
    pixels = np.ascontiguousarray(SAMPLES[name].loader(size), dtype=np.float32)
    pixels.flags.writeable = False  # shared by every caller: nobody may draw on it
    return pixels
