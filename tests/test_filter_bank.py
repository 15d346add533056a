"""The filter bank: several kernels on one picture, convolution -> ReLU -> pooling."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import KERNELS
from cnnviz.filter_bank import EDGE_FILTERS, filter_bank, smallest_side


def test_stages_equal_one_torch_conv_layer_relu_and_max_pool():
    """The four edge filters as one conv layer, ReLU and 2 x 2 max pooling in torch."""
    grey = np.random.default_rng(0).random((23, 18)).astype(np.float32)
    stages = filter_bank(grey)
    weight = torch.from_numpy(np.stack([KERNELS[k].weights for k in EDGE_FILTERS])[:, None])
    conv = F.conv2d(torch.from_numpy(grey)[None, None], weight)[0]  # (4, 20, 15)
    np.testing.assert_allclose(stages.conv, conv.numpy(), atol=1e-5)
    np.testing.assert_allclose(stages.relu, F.relu(conv).numpy(), atol=1e-5)
    np.testing.assert_allclose(stages.pooled, F.max_pool2d(F.relu(conv), 2).numpy(), atol=1e-5)
    assert stages.pooled.shape == (4, 10, 7)


def test_a_negative_filter_keeps_what_relu_takes_from_its_partner():
    """Filter and negative: their ReLU maps add up to the size of the convolution."""
    grey = np.random.default_rng(1).random((12, 12)).astype(np.float32)
    conv, relu, _ = filter_bank(grey)
    np.testing.assert_allclose(conv[1], -conv[0], atol=1e-6)
    np.testing.assert_allclose(relu[0] + relu[1], np.abs(conv[0]), atol=1e-6)
    assert relu.min() == 0


def test_average_pooling_and_a_wider_window():
    """Another window and mode pool the ReLU maps as asked."""
    grey = np.random.default_rng(2).random((14, 14)).astype(np.float32)
    stages = filter_bank(grey, window=3, mode="avg")
    want = F.avg_pool2d(torch.from_numpy(stages.relu.copy()), 3).numpy()
    np.testing.assert_allclose(stages.pooled, want, atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 9), (9, 4), (1, 1)])
def test_a_picture_smaller_than_a_kernel_and_a_window_is_refused_with_the_size(shape):
    """Too small: the error names the picture, the filters and the size needed (5 x 5)."""
    with pytest.raises(ValueError, match=r"at least 5 × 5 pixels") as error:
        filter_bank(np.zeros(shape, np.float32))
    assert f"{shape[0]} × {shape[1]} pixels" in str(error.value)
    assert smallest_side(4, 2) == 5
    assert filter_bank(np.zeros((5, 5), np.float32)).pooled.shape == (4, 1, 1)


def test_colour_and_mixed_kernel_shapes_are_refused():
    """The bank works on one grey plane with kernels of one shape."""
    with pytest.raises(ValueError, match=r"grey picture \(H, W\)"):
        filter_bank(np.zeros((3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="share one shape"):
        filter_bank(np.zeros((8, 8), np.float32), ("sobel_x", "vertical_edge"))
