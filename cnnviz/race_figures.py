"""Figures of a finished race: the confusion matrix and the first layer's learned kernels.

Matplotlib without pyplot (safe in any thread); the page turns them into PNGs.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure


def confusion_figure(
    matrix: np.ndarray, labels: tuple[str, ...] | None = None, *, text: float = 1.0
) -> Figure:
    """A ``(C, C)`` count matrix as a heat map with the counts written in; ``text`` scales
    every letter and number (1.25 on a projector) in a figure of the same size."""
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
            fontsize=8 * text,
            color="white" if n > 0.6 * top else "black",
        )
    ax.set_xticks(range(classes), labels, rotation=45, ha="right", fontsize=10 * text)
    ax.set_yticks(range(classes), labels, fontsize=10 * text)
    ax.set_xlabel("predicted class", fontsize=10 * text)
    ax.set_ylabel("true class", fontsize=10 * text)
    fig.tight_layout()
    return fig


def kernels_figure(kernels: np.ndarray, *, columns: int = 8) -> Figure:
    """``(C, 1, k, k)`` kernels in a grid of ``columns`` (fewer on a projector: each kernel
    larger), each on its own symmetric red-blue scale."""
    count = len(kernels)
    cols = min(columns, count)
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
