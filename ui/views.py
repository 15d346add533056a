"""Show arrays as pictures at a size that reads on a projector, with marks and captions."""

from __future__ import annotations

import cv2
import numpy as np

from cnnviz import pad2d
from cnnviz.images import to_png_bytes
from cnnviz.plotting import colorize, image_to_rgb, symmetric_limit
from ui.cache import PictureKey, budgeted
from ui.theme import SHARP_PREFIX

DISPLAY_MAX = 720  # pixels: larger maps are shrunk for the browser, never for the maths
DISPLAY_MIN = 360  # smaller maps are blown up with sharp square pixels
PADDING_TINT = np.array([255, 140, 0], np.float32)  # orange
LEFTOVER_TINT = np.array([150, 80, 200], np.float32)  # purple


def fit(
    rgb: np.ndarray, *, enlarge: bool = True, largest: int = DISPLAY_MAX
) -> tuple[np.ndarray, float]:
    """Scale ``(H, W, 3)`` for display; returns the picture and its scale factor.

    ``enlarge=False`` leaves small pictures small: shown with ``show(..., sharp=name)`` or
    inside ``sharp_pixels``, the browser blows them up with square pixels, and the server
    encodes a tiny PNG. A picture that needs no scaling comes back as it is, not copied.
    """
    h, w = rgb.shape[:2]
    side = max(h, w)
    if side > largest:
        scale = largest / side
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale
    factor = max(1, DISPLAY_MIN // side) if enlarge else 1
    if factor == 1:  # every map of every rerun passes here: the copy was 9 % of Pooling's
        return rgb, 1.0
    return np.repeat(np.repeat(rgb, factor, 0), factor, 1), float(factor)


@budgeted("png")
def png_bytes(rgb: np.ndarray) -> bytes:
    """Lossless PNG of a uint8 ``(H, W, 3)`` or ``(H, W)`` picture, encoded once per content
    (the cache keys it by a digest of its pixels, shape and type).

    Thirty students on the same picture and settings see the same pixels: hashing them costs
    a fraction of encoding them.
    """
    return to_png_bytes(rgb, compression=1)  # quick: it is encoded while a student waits


def show(where, picture, *, caption: str | None = None, width="stretch", sharp: str = ""):
    """Put a uint8 picture or PNG bytes on the page, always as PNG.

    Left to itself Streamlit sends arrays as JPEG, which smears the edges between pixels, and
    re-encodes PNG bytes without transparency as JPEG on every rerun. A ``sharp`` name (unique
    on the page) lets the browser enlarge the picture with square pixels (``SHARP_CSS``), so a
    small map travels as a small PNG.
    """
    data = picture if isinstance(picture, bytes) else png_bytes(picture)
    target = sharp_pixels(where, sharp) if sharp else where
    target.image(data, caption=caption, width=width, output_format="PNG")


def sharp_pixels(where, name: str):
    """A container (``name`` unique on the page) whose pictures the browser enlarges with
    square pixels: wrap a whole row of maps in one, rather than one per picture."""
    return where.container(key=f"{SHARP_PREFIX}{name}")


def _tint(rgb: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> None:
    rgb[mask] = (0.45 * rgb[mask] + 0.55 * colour).astype(np.uint8)


@budgeted("picture")
def padded_picture(key: PictureKey, _image: np.ndarray, padding, mode, used: tuple[int, int]):
    """The padded input as RGB with padding tinted orange and unreached pixels purple."""
    padded = pad2d(_image, padding, mode=mode)
    rgb = image_to_rgb(padded)
    top, bottom, left, right = padding
    h, w = rgb.shape[:2]
    frame = np.ones((h, w), bool)
    frame[top : h - bottom, left : w - right] = False
    _tint(rgb, frame, PADDING_TINT)
    unreached = np.zeros((h, w), bool)
    unreached[used[0] :, :] = True
    unreached[:, used[1] :] = True
    _tint(rgb, unreached, LEFTOVER_TINT)
    return rgb


def signed_picture(values: np.ndarray, cmap: str) -> tuple[np.ndarray, tuple[float, float]]:
    """``(H, W)`` signed values -> colours centred at 0, and the limits used."""
    m = symmetric_limit(values)
    return colorize(values, cmap=cmap, limits=(-m, m)), (-m, m)


def shape_text(array: np.ndarray) -> str:
    """``(3, 256, 256)`` -> ``3 × 256 × 256``."""
    return " × ".join(str(n) for n in array.shape)
