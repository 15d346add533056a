"""The PyTorch code the page shows computes what the page computes."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from cnnviz import correlate2d, pool2d
from cnnviz.codegen import conv_code, keras_conv_code, keras_pool_code, pool_code


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


KERAS_RUNNER = """
import os, sys
os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported
import numpy as np
import keras

assert keras.backend.backend() == "torch"
folder = sys.argv[1]
count = int(sys.argv[2])
for i in range(count):
    scope = {"image": np.load(f"{folder}/image{i}.npy")}
    exec(open(f"{folder}/code{i}.py").read(), scope)
    np.save(f"{folder}/out{i}.npy", scope["out"])
"""

CONV_CASES = [
    {"stride": 1, "padding": 0, "padding_mode": "zeros", "dilation": 1, "bias": 0.0},
    {"stride": 2, "padding": 1, "padding_mode": "zeros", "dilation": 1, "bias": 0.5},
    {"stride": (2, 1), "padding": (1, 0, 2, 1), "padding_mode": "reflect",
     "dilation": (1, 2), "bias": -0.25},
    {"stride": 1, "padding": 2, "padding_mode": "replicate", "dilation": 2, "bias": 0.1},
    {"stride": 3, "padding": (2, 2, 1, 1), "padding_mode": "circular", "dilation": 1, "bias": 0.0},
]  # fmt: skip
POOL_CASES = [
    {"size": 2, "stride": None, "padding": 0, "mode": "max"},
    {"size": 3, "stride": 2, "padding": 1, "mode": "max"},
    {"size": (2, 3), "stride": (1, 2), "padding": (1, 1), "mode": "avg"},
    {"size": 2, "stride": 1, "padding": 0, "mode": "avg"},
]


@pytest.mark.parametrize("channels", [1, 3])
def test_generated_pool_code_reproduces_pool2d(channels):
    """The PyTorch pooling code the page shows gives pool2d's output, padding included."""
    rng = np.random.default_rng(5)
    for options in POOL_CASES:
        image = rng.standard_normal((channels, 9, 8)).astype(np.float32)
        scope = {"image": torch.from_numpy(image)}
        exec(pool_code(**options), scope)  # noqa: S102 - the code is ours, built from numbers
        want = pool2d(image, **options)
        np.testing.assert_allclose(scope["out"].numpy(), want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        pool_code(2, mode="mean")


def _run_keras(tmp_path, jobs):
    """Run each ``(code, image (H, W, C))`` under Keras 3 on its torch backend; the outputs."""
    if importlib.util.find_spec("keras") is None:  # not imported here: it picks a backend
        pytest.skip("keras is in requirements-dev.txt but not installed here")
    for i, (code, image) in enumerate(jobs):
        (tmp_path / f"code{i}.py").write_text(code)
        np.save(tmp_path / f"image{i}.npy", image)
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", KERAS_RUNNER, str(tmp_path), str(len(jobs))],
        check=True, env=env, timeout=300,
    )  # fmt: skip
    return [np.load(tmp_path / f"out{i}.npy") for i in range(len(jobs))]


def test_keras_code_reproduces_correlate2d_and_pool2d(tmp_path):
    """The Keras code the page shows equals correlate2d and pool2d (channels last)."""
    rng = np.random.default_rng(7)
    jobs, expected = [], []
    for i, options in enumerate(CONV_CASES):
        summed, relu = i % 2 == 1, i % 3 == 0
        image = rng.random((3, 11, 9)).astype(np.float32)
        kernel = rng.standard_normal((3, 3, 2) if summed else (3, 2)).astype(np.float32)
        code = keras_conv_code(kernel, channels=3, relu=relu, **options)
        jobs.append((code, image.transpose(1, 2, 0)))  # (H, W, C)
        out = correlate2d(image, kernel, **options)
        expected.append(np.maximum(out, 0) if relu else out)
    for options in POOL_CASES:
        image = rng.standard_normal((2, 9, 8)).astype(np.float32)
        jobs.append((keras_pool_code(**options), image.transpose(1, 2, 0)))
        expected.append(pool2d(image, **{k: v for k, v in options.items()}))
    for got, want in zip(_run_keras(tmp_path, jobs), expected, strict=True):
        want = want if want.ndim == 3 else want[None]  # (C, H', W')
        np.testing.assert_allclose(got.transpose(2, 0, 1), want, rtol=1e-5, atol=1e-5)


def test_keras_code_says_how_it_differs_from_pytorch():
    """The Keras code says channels last, pads the page's exact amounts and names the workaround."""
    code = keras_conv_code(np.ones((3, 3)), channels=1, stride=2, padding=1, dilation=2,
                           padding_mode="reflect")  # fmt: skip
    assert "(H, W, C)" in code and "(kh, kw, C, 1)" in code
    assert "mode='reflect'" in code and "out[::2, ::2]" in code
    assert "ZeroPadding2D(((1, 1), (2, 2)))" in keras_conv_code(
        np.ones((3, 3)), channels=1, padding=(1, 1, 2, 2)
    )
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        keras_pool_code(2, mode="mean")
