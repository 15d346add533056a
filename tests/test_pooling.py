"""pool2d and max_pool_winners against torch pooling."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz import max_pool_winners, output_size, pool2d
from cnnviz.pooling import max_padding
from tests.strategies import images


@st.composite
def pool_settings(draw):
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2)))
    return size, stride, padding


@settings(max_examples=200, deadline=None)
@given(x=images(), mode=st.sampled_from(["max", "avg"]), s=pool_settings())
def test_pool_matches_torch(x, mode, s):
    """pool2d equals torch max_pool2d / avg_pool2d (count_include_pad) on random cases."""
    size, stride, padding = s
    try:
        output_size(x.shape[-2], size[0], stride=stride[0], padding=padding[0])
        output_size(x.shape[-1], size[1], stride=stride[1], padding=padding[1])
    except ValueError:
        assume(False)
    batch = torch.from_numpy(np.array(x, ndmin=3))[None]
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    ref = (
        fn(batch, size, stride=stride, padding=padding)[0]
        .numpy()
        .reshape((*x.shape[:-2], *output_size_pair(x, size, stride, padding)))
    )
    ours = pool2d(x, size, stride=stride, padding=padding, mode=mode)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def output_size_pair(x, size, stride, padding):
    return tuple(
        output_size(x.shape[a], size[a], stride=stride[a], padding=padding[a]) for a in (-2, -1)
    )


@settings(max_examples=100, deadline=None)
@given(x=images(), s=pool_settings())
def test_winners_hold_the_window_maximum(x, s):
    """Each winner's input value is that window's maximum, and it lies inside the window."""
    size, stride, padding = s
    try:
        values, rows, cols = max_pool_winners(x, size, stride=stride, padding=padding)
    except ValueError:
        assume(False)
    np.testing.assert_array_equal(values, pool2d(x, size, stride=stride, padding=padding))
    flat = np.array(x, ndmin=3)
    channel = np.arange(flat.shape[0]).reshape(-1, 1, 1)
    picked = flat[channel, rows, cols].reshape(values.shape)
    np.testing.assert_array_equal(picked, values)
    top = np.arange(values.shape[-2])[:, None] * stride[0] - padding[0]
    left = np.arange(values.shape[-1])[None, :] * stride[1] - padding[1]
    assert ((rows >= top) & (rows < top + size[0])).all()
    assert ((cols >= left) & (cols < left + size[1])).all()


def test_golden_max_and_avg():
    """2x2 pooling of 0..15 in a 4x4 grid: max picks corners, avg their means."""
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_array_equal(pool2d(x, 2), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(pool2d(x, 2, mode="avg"), [[2.5, 4.5], [10.5, 12.5]])


def test_unknown_mode_fails_loudly():
    """An unknown mode raises instead of silently returning zeros (d2l's bug)."""
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        pool2d(np.zeros((4, 4)), 2, mode="min")


@pytest.mark.parametrize(
    ("size", "most"), [(1, (0, 0)), (2, (1, 1)), ((3, 4), (1, 2)), (5, (2, 2))]
)
def test_padding_up_to_half_the_window_pools_and_one_more_is_refused(size, most):
    """``max_padding`` is the rule pool2d applies: that much pads, one row or column more
    raises."""
    assert max_padding(size) == most
    x = np.arange(64, dtype=np.float32).reshape(8, 8)
    assert pool2d(x, size, padding=most).ndim == 2
    for extra in ((1, 0), (0, 1)):
        with pytest.raises(ValueError, match="at most half the window"):
            pool2d(x, size, padding=(most[0] + extra[0], most[1] + extra[1]))


def test_padding_over_half_window_explains():
    """Padding beyond half the window is refused with the reason."""
    with pytest.raises(ValueError, match="at most half the window"):
        pool2d(np.zeros((4, 4)), 2, padding=2)
