"""Figures of a finished race."""

from __future__ import annotations

import numpy as np

from cnnviz.race_figures import confusion_figure, kernels_figure


def test_the_confusion_figure_writes_every_count():
    """All 100 counts of a 10 x 10 matrix are written in."""
    figure = confusion_figure(np.arange(100).reshape(10, 10), tuple("abcdefghij"))
    assert len(figure.axes[0].texts) == 100


def test_the_kernel_grid_draws_every_kernel():
    """One image per kernel, whatever the grid's leftover cells."""
    kernels = np.random.default_rng(0).normal(size=(12, 1, 3, 3))
    assert sum(len(ax.images) for ax in kernels_figure(kernels).axes) == 12
