"""Output-size arithmetic."""

import pytest

from cnnviz import leftover, output_size, same_padding


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d", "expected"),
    [(28, 3, 1, 0, 1, 26), (26, 2, 2, 0, 1, 13), (5, 3, 2, 1, 1, 3), (7, 3, 1, (0, 2), 2, 5),
     (10, 1, 3, 0, 1, 4), (224, 11, 4, 2, 1, 55)],
)  # fmt: skip
def test_known_sizes(n, k, s, p, d, expected):
    """Textbook cases, including AlexNet's first layer (224 -> 55)."""
    assert output_size(n, k, stride=s, padding=p, dilation=d) == expected


def test_window_larger_than_input_explains():
    """A window that never fits says so in words, with the numbers."""
    with pytest.raises(ValueError, match="does not fit even once"):
        output_size(4, 5)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"stride": 0}, "stride must be at least 1"),
    ({"dilation": 0}, "dilation must be at least 1"),
    ({"padding": -1}, "cannot be negative"),
    ({"padding": (1, 2, 3)}, "one number or a pair"),
])  # fmt: skip
def test_impossible_settings_raise(kwargs, words):
    """Nonsense settings raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=words):
        output_size(10, 3, **kwargs)


@pytest.mark.parametrize(("k", "d"), [(1, 1), (3, 1), (4, 1), (5, 2), (2, 3)])
def test_same_padding_keeps_size(k, d):
    """'Same' padding keeps the size at stride 1, for odd and even kernels."""
    assert output_size(17, k, padding=same_padding(k, dilation=d), dilation=d) == 17


def test_leftover_counts_pixels_no_window_reaches():
    """7 pixels, window 2, stride 2: three windows cover 6 pixels, one is left over."""
    assert leftover(7, 2, stride=2) == 1
    assert leftover(8, 2, stride=2) == 0
