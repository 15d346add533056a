"""One picture through several kernels at once: convolution -> ReLU -> pooling for each.

What one small convolution layer with hand-set kernels does, stage by stage, every map kept so
a page can show them side by side.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnviz.convolution import correlate2d
from cnnviz.kernels import KERNELS
from cnnviz.pooling import PoolMode, pool2d

# The seed lesson's four hand-set filters: a vertical edge, its negative, a horizontal edge,
# its negative (cnnviz.kernels draws them).
EDGE_FILTERS = (
    "vertical_edge",
    "vertical_edge_negative",
    "horizontal_edge",
    "horizontal_edge_negative",
)


class BankStages(NamedTuple):
    """Every kernel's maps after each stage, stacked in the order of the kernels."""

    conv: np.ndarray  # (N, H - kh + 1, W - kw + 1): valid cross-correlation, signed
    relu: np.ndarray  # same shape: negative numbers set to 0
    pooled: np.ndarray  # (N, H', W'): the ReLU maps pooled


def smallest_side(kernel_side: int, window: int) -> int:
    """The fewest pixels a side needs so a ``window`` fits once on a ``kernel_side`` output."""
    return kernel_side + window - 1


def filter_bank(
    grey: np.ndarray,
    kernels: tuple[str, ...] = EDGE_FILTERS,
    *,
    window: int = 2,
    mode: PoolMode = "max",
) -> BankStages:
    """Correlate ``(H, W)`` ``grey`` with each preset in ``kernels`` (no padding, stride 1),
    apply ReLU, then pool each map with a ``window x window`` window and stride ``window``.

    The kernels must share one shape. A picture too small for the kernel and one window
    raises ``ValueError`` with a sentence saying how large it must be.
    """
    grey = np.asarray(grey, dtype=np.float32)
    if grey.ndim != 2:
        raise ValueError(f"the filter bank needs a grey picture (H, W), got shape {grey.shape}")
    weights = [KERNELS[name].weights for name in kernels]
    shapes = {w.shape for w in weights}
    if len(shapes) != 1:
        raise ValueError(f"the kernels must share one shape, got {sorted(shapes)}")
    (kh, kw), (height, width) = shapes.pop(), grey.shape
    need_h, need_w = smallest_side(kh, window), smallest_side(kw, window)
    if height < need_h or width < need_w:
        raise ValueError(
            f"The picture is {height} × {width} pixels, but the filters are {kh} × {kw} and "
            f"pooling needs a {window} × {window} window of their output, so it must be at "
            f"least {need_h} × {need_w} pixels."
        )
    conv = np.stack([correlate2d(grey, w) for w in weights])  # (N, H - kh + 1, W - kw + 1)
    relu = np.maximum(conv, 0)
    return BankStages(conv, relu, pool2d(relu, window, mode=mode))
