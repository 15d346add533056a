"""Number grids as HTML: every number written in, colours on the right scale, shapes checked."""

import re

import numpy as np
import pytest

from cnnviz.grids import grid_html, worked_window_html


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def test_grid_writes_every_number_as_a_student_would():
    """A 3x3 grid shows nine numbers in reading order, with no -0 and no trailing zeros."""
    html = grid_html(np.array([[0.5, -0.0001, 1], [2, 3, 4], [5, 6, 7]]), title="Kernel")
    assert cells(html) == ["0.5", "0", "1", "2", "3", "4", "5", "6", "7"]
    assert "<caption" in html and "Kernel" in html


def test_signed_colours_are_centred_at_zero():
    """-1 is blue, 0 white, 1 red on the default diverging scale; dark cells get white ink."""
    html = grid_html(np.array([[-1.0, 0.0, 1.0]]))
    colours = re.findall(r"background:#([0-9a-f]{6});color:(#[0-9a-f]{3})", html)
    (blue, ink_blue), (white, ink_white), (red, _) = colours
    assert int(blue[4:], 16) > int(blue[:2], 16)  # more blue than red
    assert int(red[:2], 16) > int(red[4:], 16)
    assert all(int(white[k : k + 2], 16) > 0xF0 for k in (0, 2, 4))  # zero: (almost) white
    assert ink_white == "#000" and ink_blue == "#fff"


def test_a_title_is_escaped():
    """A title is text, never markup."""
    assert "<b>" not in grid_html(np.ones((1, 1)), title="<b>x</b>")


def test_missing_numbers_are_written_as_question_marks():
    """NaN and infinity in a grid show as '?' instead of breaking the colours."""
    assert cells(grid_html(np.array([[np.nan, np.inf, 1.0]]))) == ["?", "?", "1"]


def test_worked_window_shows_input_kernel_and_products_per_channel():
    """Three channels: nine tables; products are the cell-by-cell product."""
    rng = np.random.default_rng(0)
    patch, weights = rng.random((3, 2, 2)), rng.standard_normal((3, 2, 2))
    html = worked_window_html(patch, weights, patch * weights)
    assert html.count("<table") == 9
    assert html.count("Channel 2") == 1 and html.count("Input under the window") == 3
    assert cells(html)[8:12] == [
        f"{v:.2f}".rstrip("0").rstrip(".") for v in (patch * weights)[0].ravel()
    ]


def test_worked_window_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="share one shape"):
        worked_window_html(np.ones((1, 2, 2)), np.ones((1, 3, 3)), np.ones((1, 2, 2)))


def test_small_weights_keep_their_digits():
    """A 5x5 Gaussian's corner weight 1/256 shows as 0.0039, not as 0."""
    assert cells(grid_html(np.array([[1 / 256, -0.00001]]))) == ["0.0039", "0"]


def test_highlighted_cells_are_outlined():
    """The mask's cells, and only they, get the orange outline."""
    mask = np.array([[True, False], [False, True]])
    html = grid_html(np.zeros((2, 2)), highlight=mask)
    outlined = re.findall(r'<td style="([^"]*)"', html)
    assert ["outline" in style for style in outlined] == [True, False, False, True]
    with pytest.raises(ValueError, match="highlight"):
        grid_html(np.zeros((2, 2)), highlight=np.ones((3, 3), bool))
