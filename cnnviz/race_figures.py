"""Figures of a finished race: the confusion matrix and the first layer's learned kernels.

Matplotlib without pyplot (safe in any thread); the page turns them into PNGs.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure


def confusion_figure(matrix: np.ndarray, labels: tuple[str, ...] | None = None) -> Figure:
    """A ``(C, C)`` count matrix as a heat map with the counts written in."""
    classes = len(matrix)
    labels = labels or tuple(str(i) for i in range(classes))
    fig = Figure(figsize=(6.4, 5.6))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    top = matrix.max() or 1
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(n),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if n > 0.6 * top else "black",
        )
    ax.set_xticks(range(classes), labels, rotation=45, ha="right")
    ax.set_yticks(range(classes), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.tight_layout()
    return fig


def kernels_figure(kernels: np.ndarray) -> Figure:
    """``(C, 1, k, k)`` kernels in a grid, each on its own symmetric red-blue scale."""
    count = len(kernels)
    cols = min(8, count)
    rows = math.ceil(count / cols)
    fig = Figure(figsize=(cols * 0.8, rows * 0.8))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, kernel in zip(axes, kernels[:, 0], strict=False):
        limit = float(np.abs(kernel).max()) or 1.0
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.subplots_adjust(wspace=0.08, hspace=0.08)
    return fig
