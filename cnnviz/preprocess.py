"""Turn any picture into a 28 x 28 input made the way MNIST or Fashion-MNIST images were made.

Both datasets are white shapes on a black background. MNIST digits were shrunk to fit a 20 x 20
box (keeping their proportions) and placed in a 28 x 28 field with their centre of mass in the
middle; Fashion-MNIST clothes were cropped, shrunk until their longer side is 28 pixels and
centred. :func:`to_dataset_style` repeats those steps and keeps every intermediate picture,
so a page can show what the network really receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import cv2
import numpy as np

from cnnviz.images import downscale, to_grayscale

Style = Literal["mnist", "fashion-mnist"]
STYLES: tuple[str, ...] = get_args(Style)
SIZE = 28  # side of the network's input
CONTENT = {"mnist": 20, "fashion-mnist": 28}  # side of the box the content is shrunk into
WORKING_SIDE = 512  # larger uploads are shrunk first: 28 output pixels need no more
LIGHT_BACKGROUND = 0.5  # a border brighter than this is paper, not night sky: invert
NOISE_SPREAD = 3.0  # border noise (robust standard deviations) wiped out with the background
INK = 0.1  # a pixel brighter than this (after the floor) is content
SPECK = 0.02  # blobs smaller than this share of the largest blob are ignored when cropping

Step = tuple[str, np.ndarray]  # (title for the page, float32 picture in [0, 1])


@dataclass(frozen=True)
class Preprocessed:
    """The 28 x 28 result and every picture on the way there."""

    steps: list[Step]  # in order; the first is the picture given, the last the network's input
    inverted: bool  # the background was light, so dark and light were swapped
    found_content: bool  # something stood out from the background (False: a blank picture)

    @property
    def image(self) -> np.ndarray:
        """The network's input: float32 ``(28, 28)`` in [0, 1], white on black."""
        return self.steps[-1][1]


def border(grey: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of an ``(H, W)`` picture, as one flat array."""
    return np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])


def border_level(grey: np.ndarray) -> float:
    """Median of the outermost ring of pixels of an ``(H, W)`` picture: its background."""
    return float(np.median(border(grey)))


def blacken_background(grey: np.ndarray) -> np.ndarray:
    """``(H, W)`` light shape on a darker background -> background exactly 0, ink up to 1.

    The floor is the border's median plus ``NOISE_SPREAD`` robust standard deviations of the
    border (paper texture, shadows); everything up to it becomes 0 and the ink level (the
    99.9th percentile) becomes 1. A dataset picture, black to the edge, keeps its values.
    """
    ring = border(grey)
    background = float(np.median(ring))
    spread = 1.4826 * float(np.median(np.abs(ring - background)))  # robust std of the border
    ink = float(np.percentile(grey, 99.9))
    floor = background + NOISE_SPREAD * spread
    if ink - floor < 1e-3:  # flat picture: nothing stands out
        return np.zeros_like(grey, dtype=np.float32)
    return np.clip((grey - floor) / (ink - floor), 0.0, 1.0).astype(np.float32)


def content_box(values: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(top, bottom, left, right)`` (bottom/right exclusive) around the content, or None.

    Content is every pixel brighter than ``INK``; connected blobs smaller than ``SPECK`` of the
    largest one (dust, noise) do not widen the box.
    """
    mask = (values > INK).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:  # label 0 is the background
        return None
    blobs = stats[1:]  # (count - 1, 5): left, top, width, height, area
    kept = blobs[blobs[:, cv2.CC_STAT_AREA] >= SPECK * blobs[:, cv2.CC_STAT_AREA].max()]
    left = int(kept[:, cv2.CC_STAT_LEFT].min())
    top = int(kept[:, cv2.CC_STAT_TOP].min())
    right = int((kept[:, cv2.CC_STAT_LEFT] + kept[:, cv2.CC_STAT_WIDTH]).max())
    bottom = int((kept[:, cv2.CC_STAT_TOP] + kept[:, cv2.CC_STAT_HEIGHT]).max())
    return top, bottom, left, right


def pad_to_square(values: np.ndarray, *, content: int, size: int = SIZE) -> np.ndarray:
    """Pad ``(h, w)`` with black to a centred square whose side is ``size / content`` times
    the longer side, so that after resizing to ``size`` the content spans ``content`` pixels."""
    h, w = values.shape
    side = max(h, w)
    square = max(side, round(side * size / content))
    top, left = (square - h) // 2, (square - w) // 2
    out = np.zeros((square, square), np.float32)
    out[top : top + h, left : left + w] = values
    return out


def resize(values: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Square ``(n, n)`` -> ``(size, size)``: area averaging to shrink (soft, anti-aliased edges
    like the datasets'), bilinear to enlarge; then the brightest pixel is set to white."""
    n = values.shape[0]
    method = cv2.INTER_AREA if n >= size else cv2.INTER_LINEAR
    small = cv2.resize(values.astype(np.float32), (size, size), interpolation=method)
    small = np.clip(small, 0.0, 1.0)
    peak = small.max()
    return (small / peak if peak > 0 else small).astype(np.float32)


def centre_of_mass_shift(values: np.ndarray) -> tuple[int, int]:
    """Whole-pixel ``(rows, cols)`` move that brings the brightness-weighted centre of an
    ``(n, n)`` picture to its middle pixel (MNIST put it at row 14, column 14 of 28)."""
    total = values.sum()
    if total <= 0:
        return 0, 0
    rows, cols = np.indices(values.shape)
    middle = values.shape[0] // 2
    return (
        round(middle - float((rows * values).sum() / total)),
        round(middle - float((cols * values).sum() / total)),
    )


def shift(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Move ``(H, W)`` by whole pixels; what leaves the frame is lost, what enters is black."""
    out = np.zeros_like(values)
    h, w = values.shape
    src_r, dst_r = slice(max(0, -rows), min(h, h - rows)), slice(max(0, rows), min(h, h + rows))
    src_c, dst_c = slice(max(0, -cols), min(w, w - cols)), slice(max(0, cols), min(w, w + cols))
    out[dst_r, dst_c] = values[src_r, src_c]
    return out


def to_dataset_style(pixels: np.ndarray, *, style: Style = "mnist") -> Preprocessed:
    """Any picture ``(H, W)`` or ``(3, H, W)`` in [0, 1] -> the 28 x 28 input, step by step.

    Steps: grey, invert when the background is light, background to black, crop to the
    content, pad to a square with a margin, resize to 28 x 28 (content ``CONTENT[style]``
    pixels), and for MNIST move the centre of mass to the middle.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    pixels = np.asarray(pixels, dtype=np.float32)
    shrunk = downscale(pixels, WORKING_SIDE)
    h, w = shrunk.shape[-2:]
    size = f"{h} × {w}" if shrunk is pixels else f"shrunk to {h} × {w}"
    steps: list[Step] = [(f"Your picture ({size})", shrunk)]
    grey = np.asarray(to_grayscale(shrunk), dtype=np.float32)
    steps.append(("Grey", grey))

    inverted = border_level(grey) > LIGHT_BACKGROUND
    if inverted:
        grey = 1.0 - grey
        steps.append(("Inverted: the background was light", grey))
    else:
        steps.append(("Not inverted: the background is already dark", grey))

    clean = blacken_background(grey)
    steps.append(("Background set to black", clean))

    box = content_box(clean)
    if box is None:
        steps.append(("Nothing stands out: nothing to crop", clean))
        crop = clean
    else:
        top, bottom, left, right = box
        crop = clean[top:bottom, left:right]
        steps.append((f"Cropped to the content ({crop.shape[0]} × {crop.shape[1]})", crop))

    content = CONTENT[style]
    square = pad_to_square(crop, content=content)
    margin = "with a margin" if content < SIZE else "without a margin"
    steps.append((f"Padded to a square {margin} ({square.shape[0]} × {square.shape[1]})", square))

    small = resize(square)
    steps.append((f"Resized to {SIZE} × {SIZE} (content {content} pixels)", small))

    if style == "mnist":
        dy, dx = centre_of_mass_shift(small)
        small = shift(small, dy, dx)
        steps.append(("Centre of mass moved to the middle", small))
    return Preprocessed(steps=steps, inverted=inverted, found_content=box is not None)
