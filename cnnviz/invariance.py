"""What pooling buys: a small shift of the input changes a pooled map less than a feature map.

The shifted picture is the same scene seen through a frame moved by ``k`` pixels. Both the
original and the shifted picture are crops of the input, so every compared pixel is real: no
padding is invented at the border, and the two maps are compared cell by cell over their
whole area (the region both crops see).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from cnnviz.convolution import correlate2d
from cnnviz.pooling import PoolMode, pool2d
from cnnviz.shapes import IntPair

Direction = Literal["right", "down", "diagonal"]
# (rows, columns) the content moves per pixel of shift.
DIRECTIONS: MappingProxyType[str, tuple[int, int]] = MappingProxyType(
    {"right": (0, 1), "down": (1, 0), "diagonal": (1, 1)}
)


def shifted_pair(
    image: np.ndarray, k: int, *, direction: Direction = "right", margin: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two equal crops of ``image``; in the second the content has moved ``k`` pixels.

    ``image`` is ``(H, W)`` or ``(C, H, W)``. With ``margin`` ``m >= k`` (default ``k``) both
    crops are ``(..., H - m*dy, W - m*dx)`` where ``(dy, dx)`` is the direction: moving right
    means ``shifted[..., j] == original[..., j - k]``. A shared margin lets shifts 1..m be
    compared against the same original crop.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
    margin = k if margin is None else margin
    if k < 0 or margin < k:
        raise ValueError(f"need 0 <= k <= margin, got k={k}, margin={margin}")
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"the image must be (H, W) or (C, H, W), got shape {image.shape}")
    dy, dx = DIRECTIONS[direction]
    height, width = image.shape[-2:]
    if margin * dy >= height or margin * dx >= width:
        raise ValueError(
            f"a {height}x{width} picture is too small to shift by {margin} pixels: "
            "choose a smaller shift or a larger working size"
        )
    rows, cols = height - margin * dy, width - margin * dx
    r0, c0 = margin * dy, margin * dx  # top-left of the original crop
    original = image[..., r0 : r0 + rows, c0 : c0 + cols]
    shifted = image[..., r0 - k * dy : r0 - k * dy + rows, c0 - k * dx : c0 - k * dx + cols]
    return original, shifted


def relative_change(before: np.ndarray, after: np.ndarray) -> float:
    """``mean|after - before| / mean|before|`` for two maps of one shape: 0 means unchanged.

    When ``before`` is all zeros the answer is 0 if ``after`` is too, else infinity.
    """
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    if before.shape != after.shape:
        raise ValueError(f"maps of different shapes {before.shape} and {after.shape}")
    change = float(np.abs(after - before).mean())
    scale = float(np.abs(before).mean())
    if scale == 0.0:
        return 0.0 if change == 0.0 else float("inf")
    return change / scale


def feature_map(image: np.ndarray, kernel: np.ndarray, *, relu: bool = True) -> np.ndarray:
    """Valid convolution of ``(H, W)`` ``image`` with ``(kh, kw)`` ``kernel``, then ReLU."""
    out = correlate2d(image, kernel)  # (H - kh + 1, W - kw + 1)
    return np.maximum(out, 0) if relu else out


@dataclass(frozen=True)
class ShiftEffect:
    """How one shift changed the feature map and the pooled map."""

    shift: int  # pixels the content moved
    feature_change: float  # relative change of the feature map (convolution, ReLU)
    pooled_change: float  # relative change of the pooled feature map
    feature_difference: np.ndarray  # (H', W') |shifted - original| feature map
    pooled_difference: np.ndarray  # (H'', W'') |shifted - original| pooled map


def shift_effects(
    image: np.ndarray,
    kernel: np.ndarray,
    max_shift: int,
    *,
    direction: Direction = "right",
    relu: bool = True,
    size: IntPair = 2,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    mode: PoolMode = "max",
) -> list[ShiftEffect]:
    """Shift ``(H, W)`` ``image`` by 1..``max_shift`` pixels and measure both changes.

    All shifts are compared with the same original crop (margin ``max_shift``), so the list
    reads as a curve. Pooling options are those of ``pool2d``.
    """
    if max_shift < 1:
        raise ValueError(f"max_shift must be at least 1, got {max_shift}")
    options = {"stride": stride, "padding": padding, "mode": mode}
    original = None
    effects = []
    for k in range(1, max_shift + 1):
        before, after = shifted_pair(image, k, direction=direction, margin=max_shift)
        if original is None:
            feature = feature_map(before, kernel, relu=relu)
            original = feature, pool2d(feature, size, **options)
        moved = feature_map(after, kernel, relu=relu)
        pooled = pool2d(moved, size, **options)
        effects.append(
            ShiftEffect(
                k,
                relative_change(original[0], moved),
                relative_change(original[1], pooled),
                np.abs(moved - original[0]),
                np.abs(pooled - original[1]),
            )
        )
    return effects
