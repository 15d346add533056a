"""The PyTorch code the page shows computes what the page computes."""

import numpy as np
import pytest
import torch

from cnnviz import correlate2d
from cnnviz.codegen import conv_code


@pytest.mark.parametrize("summed", [False, True])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_generated_code_reproduces_correlate2d(summed, mode):
    """Running the shown code on the image gives correlate2d's output (plus ReLU)."""
    rng = np.random.default_rng(3)
    image = rng.random((3, 11, 9)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 2) if summed else (3, 2)).astype(np.float32)
    options = {"stride": (2, 1), "padding": (1, 0, 2, 1), "padding_mode": mode,
               "dilation": (1, 2), "bias": -0.25}  # fmt: skip
    code = conv_code(kernel, channels=3, relu=True, **options)
    scope = {"image": torch.from_numpy(image)}
    exec(code, scope)  # noqa: S102 - the code is ours, built from numbers
    expected = np.maximum(correlate2d(image, kernel, **options), 0)
    np.testing.assert_allclose(scope["out"].numpy().reshape(expected.shape), expected, atol=1e-5)
