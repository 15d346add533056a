"""Named kernels, the one place where presets are defined.

Each kernel is read-only. The pictures show the weights; ``x`` runs right, ``y`` runs down.

Sobel x (smooth down, differentiate across)::

    -1  0  1
    -2  0  2
    -1  0  1

Laplacian (centre against its four neighbours)::

     0  1  0
     1 -4  1
     0  1  0

Vertical edge 4x4 (the seed lesson's first hand-set filter; "negative" swaps every sign)::

    -1 -1  1  1
    -1 -1  1  1
    -1 -1  1  1
    -1 -1  1  1

Horizontal edge 4x4 (the vertical edge turned on its side; its negative swaps every sign)::

    -1 -1 -1 -1
    -1 -1 -1 -1
     1  1  1  1
     1  1  1  1
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np


@dataclass(frozen=True)
class Kernel:
    """A named kernel: ``weights`` is a read-only float32 ``(kh, kw)`` array."""

    key: str  # short id used in URLs and code, e.g. "sobel_x"
    title: str  # what a student reads, e.g. "Sobel x"
    weights: np.ndarray  # (kh, kw) float32, read-only
    explanation: str  # one plain sentence on what it does


def _frozen(rows) -> np.ndarray:
    array = np.array(rows, dtype=np.float32)
    array.flags.writeable = False
    return array


def _outer(column, row) -> list:
    """Separable kernel: a vertical factor times a horizontal one."""
    return np.outer(column, row).tolist()


_SMOOTH = {"sobel": [1, 2, 1], "prewitt": [1, 1, 1], "scharr": [3, 10, 3]}
_DIFF = [-1, 0, 1]
_BINOMIAL_5 = [1, 4, 6, 4, 1]
_STEP_4 = [-1, -1, 1, 1]  # dark half, bright half
_FLAT_4 = [1, 1, 1, 1]

_DEFINITIONS = [
    ("identity", "Identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
     "Copies each pixel unchanged: the output is the input."),
    ("box_blur_3", "Box blur 3x3", np.full((3, 3), 1 / 9).tolist(),
     "Replaces each pixel by the plain average of its 3x3 neighbourhood."),
    ("box_blur_5", "Box blur 5x5", np.full((5, 5), 1 / 25).tolist(),
     "A stronger blur: the average of a 5x5 neighbourhood."),
    ("gaussian_3", "Gaussian blur 3x3", (np.array(_outer([1, 2, 1], [1, 2, 1])) / 16).tolist(),
     "A soft blur that weighs close neighbours more than far ones."),
    ("gaussian_5", "Gaussian blur 5x5", (np.array(_outer(_BINOMIAL_5, _BINOMIAL_5)) / 256).tolist(),
     "A wider soft blur with bell-shaped weights."),
    ("sharpen", "Sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
     "Makes edges crisper by pushing each pixel away from its neighbours."),
    ("outline", "Outline", [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
     "Bright where a pixel differs from all eight neighbours, dark on flat areas."),
    ("laplacian", "Laplacian", [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
     "Finds edges in every direction: zero on flat areas and even slopes."),
    ("sobel_x", "Sobel x", _outer(_SMOOTH["sobel"], _DIFF),
     "Finds vertical edges: positive where the image gets brighter to the right."),
    ("sobel_y", "Sobel y", _outer(_DIFF, _SMOOTH["sobel"]),
     "Finds horizontal edges: positive where the image gets brighter downwards."),
    ("prewitt_x", "Prewitt x", _outer(_SMOOTH["prewitt"], _DIFF),
     "Like Sobel x with equal weights: vertical edges."),
    ("prewitt_y", "Prewitt y", _outer(_DIFF, _SMOOTH["prewitt"]),
     "Like Sobel y with equal weights: horizontal edges."),
    ("scharr_x", "Scharr x", _outer(_SMOOTH["scharr"], _DIFF),
     "A vertical-edge finder tuned to treat all edge directions more fairly."),
    ("scharr_y", "Scharr y", _outer(_DIFF, _SMOOTH["scharr"]),
     "A horizontal-edge finder tuned to treat all edge directions more fairly."),
    ("emboss", "Emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
     "Makes the image look pressed into metal, lit from the top left."),
    ("high_pass", "High-pass", (np.array([[0, 0, 0], [0, 16, 0], [0, 0, 0]])
                                - _outer([1, 2, 1], [1, 2, 1])) / 16,
     "Keeps fine detail and removes smooth areas: the image minus its Gaussian blur."),
    ("horizontal_lines", "Horizontal line detector", [[-1, -1, -1], [2, 2, 2], [-1, -1, -1]],
     "Responds to thin bright horizontal lines."),
    ("vertical_lines", "Vertical line detector", [[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]],
     "Responds to thin bright vertical lines."),
    ("motion_blur", "Motion blur", (np.eye(7) / 7).tolist(),
     "Smears the image along a diagonal, like a camera moving while the shutter is open."),
    ("vertical_edge", "Vertical edge 4x4", _outer(_FLAT_4, _STEP_4),
     "Bright where the picture gets brighter from left to right: a vertical edge, dark on "
     "its left."),
    ("vertical_edge_negative", "Vertical edge 4x4, negative",
     (-np.array(_outer(_FLAT_4, _STEP_4))).tolist(),
     "The vertical edge with every sign swapped: bright where the picture gets darker from "
     "left to right."),
    ("horizontal_edge", "Horizontal edge 4x4", _outer(_STEP_4, _FLAT_4),
     "Bright where the picture gets brighter downwards: a horizontal edge, dark above it."),
    ("horizontal_edge_negative", "Horizontal edge 4x4, negative",
     (-np.array(_outer(_STEP_4, _FLAT_4))).tolist(),
     "The horizontal edge with every sign swapped: bright where the picture gets darker "
     "downwards."),
]  # fmt: skip

MAX_SIDE = 15  # rows or columns a kernel of the app may have
# The largest size of a kernel number. A picture's pixels are 0..1, so an output is at most
# 15 x 15 x 3 x 1,000 (about 700,000): far inside float32, where 1e38 times a pixel would
# overflow to infinity and leave nothing to colour or explain.
MAX_WEIGHT = 1_000.0


def weights_problem(weights: np.ndarray) -> str | None:
    """A plain sentence when ``(kh, kw)`` or ``(C, kh, kw)`` ``weights`` hold an empty cell
    (NaN), an infinity or a number larger than ``MAX_WEIGHT``; None when all are usable."""
    weights = np.asarray(weights, dtype=np.float64)
    empty = np.isnan(weights)
    large = ~empty & ~(np.abs(weights) <= MAX_WEIGHT)  # infinities included
    for bad in (empty, large):
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            place = f"row {where[-2]}, column {where[-1]}"
            if weights.ndim == 3 and weights.shape[0] > 1:
                place += f" of slice {where[0] + 1}"
            break
    else:
        return None
    if bad is empty:
        return f"The kernel has an empty cell ({place}): type a number there."
    return (
        f"The kernel's {place} holds {weights[where]:.3g}: kernel numbers must be between "
        f"−{MAX_WEIGHT:,.0f} and {MAX_WEIGHT:,.0f}, so that every output is a number the "
        "computer can still hold."
    )


KERNELS: MappingProxyType[str, Kernel] = MappingProxyType(
    {key: Kernel(key, title, _frozen(rows), text) for key, title, rows, text in _DEFINITIONS}
)
