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


def test_projector_scale_enlarges_the_letters_and_the_kernels():
    """text=1.25 writes every count and label 1.25 times larger in a figure of the same size;
    fewer kernels a row (the page's projector grid) make each kernel larger in the same width."""
    matrix = np.arange(100).reshape(10, 10)
    normal, projector = confusion_figure(matrix), confusion_figure(matrix, text=1.25)
    assert projector.get_size_inches().tolist() == normal.get_size_inches().tolist()
    sizes = [
        (a.get_fontsize(), b.get_fontsize())
        for a, b in zip(normal.axes[0].texts, projector.axes[0].texts, strict=True)
    ]
    assert all(b == 1.25 * a for a, b in sizes)
    ticks = [t.get_fontsize() for t in projector.axes[0].get_xticklabels()]
    assert ticks == [12.5] * 10
    kernels = np.random.default_rng(0).normal(size=(16, 1, 3, 3))
    rows = {  # the grid's shape: (rows, columns)
        columns: kernels_figure(kernels, columns=columns).axes[0].get_subplotspec().get_gridspec()
        for columns in (8, 6)
    }
    assert rows[8].get_geometry() == (2, 8) and rows[6].get_geometry() == (3, 6)
