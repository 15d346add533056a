"""2-D cross-correlation (what a CNN layer computes) and true convolution.

Two implementations of the same thing: ``correlate2d_loop`` is the textbook loop, the
specification that the app shows; ``correlate2d`` is the fast path (OpenCV's ``filter2D``
on the padded image, cropped to the valid windows and subsampled by the stride).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz.padding import PaddingMode, check_mode, pad2d
from cnnviz.shapes import IntPair, four_sides, output_size, pair


@dataclass(frozen=True)
class _Plan:
    """Everything both paths need, checked once."""

    padded: np.ndarray  # (C, Hp, Wp) float32, the padded image as channels
    kernel: np.ndarray  # (kh, kw) or (C, kh, kw) float32
    stride: tuple[int, int]
    dilation: tuple[int, int]
    out_shape: tuple[int, int]  # (H', W')
    squeeze: bool  # the input was (H, W): drop the channel axis again


def _plan(image, kernel, stride, padding, padding_mode, dilation) -> _Plan:
    check_mode(padding_mode)
    image = np.asarray(image, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    if image.ndim not in (2, 3):
        raise ValueError(f"the image must be (H, W) or (C, H, W), got shape {image.shape}")
    if kernel.ndim not in (2, 3) or 0 in kernel.shape:
        raise ValueError(f"the kernel must be (kh, kw) or (C, kh, kw), got shape {kernel.shape}")
    if not np.isfinite(kernel).all():
        raise ValueError("the kernel contains an empty cell or a value that is not a number")
    if not np.isfinite(image).all():
        raise ValueError("the image contains values that are not numbers")
    squeeze = image.ndim == 2
    planes = image[None] if squeeze else image
    if kernel.ndim == 3 and kernel.shape[0] != planes.shape[0]:
        raise ValueError(
            f"a kernel with {kernel.shape[0]} channels cannot be laid over an image with "
            f"{planes.shape[0]}: a summed kernel needs one slice per image channel"
        )
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    top, bottom, left, right = four_sides(padding)
    height, width = planes.shape[-2:]
    kh, kw = kernel.shape[-2:]
    out_shape = (
        output_size(height, kh, stride=stride[0], padding=(top, bottom), dilation=dilation[0]),
        output_size(width, kw, stride=stride[1], padding=(left, right), dilation=dilation[1]),
    )
    padded = pad2d(planes, (top, bottom, left, right), mode=padding_mode)
    return _Plan(padded, kernel, stride, dilation, out_shape, squeeze)


def dilate_kernel(kernel: np.ndarray, dilation: IntPair) -> np.ndarray:
    """Spread the weights of a ``(..., kh, kw)`` kernel apart with zeros between them."""
    dh, dw = pair(dilation, "dilation")
    kh, kw = kernel.shape[-2:]
    spread = np.zeros(kernel.shape[:-2] + ((kh - 1) * dh + 1, (kw - 1) * dw + 1), kernel.dtype)
    spread[..., ::dh, ::dw] = kernel
    return spread


def _valid(plane: np.ndarray, kernel: np.ndarray, plan: _Plan) -> np.ndarray:
    """Correlate one ``(Hp, Wp)`` plane with one ``(kh, kw)`` kernel, valid windows only."""
    spread = dilate_kernel(kernel, plan.dilation)
    # anchor (0, 0): output (i, j) is the window whose top-left corner is (i, j)
    full = cv2.filter2D(
        np.ascontiguousarray(plane), cv2.CV_32F, spread, anchor=(0, 0),
        borderType=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    (oh, ow), (sh, sw) = plan.out_shape, plan.stride
    return full[: (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]


def correlate2d(
    image: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: IntPair = 1,
    padding: int | tuple[int, int, int, int] = 0,
    padding_mode: PaddingMode = "zeros",
    dilation: IntPair = 1,
    bias: float = 0.0,
) -> np.ndarray:
    """Slide ``kernel`` over ``image`` and sum the products in each window: a CNN layer.

    ``image`` is ``(H, W)`` or ``(C, H, W)``. A ``(kh, kw)`` kernel filters each channel on
    its own and keeps the channel axis (an image filter). A ``(C, kh, kw)`` kernel is
    multiplied with all channels and summed into one ``(H', W')`` map plus ``bias``: one
    output channel of ``torch.nn.functional.conv2d``. ``padding`` is one int or
    ``(top, bottom, left, right)``; ``stride`` and ``dilation`` one int or ``(h, w)``.
    """
    plan = _plan(image, kernel, stride, padding, padding_mode, dilation)
    if plan.kernel.ndim == 3:
        out = sum(_valid(p, k, plan) for p, k in zip(plan.padded, plan.kernel, strict=True))
        return (out + np.float32(bias)).astype(np.float32)
    out = np.stack([_valid(p, plan.kernel, plan) for p in plan.padded]) + np.float32(bias)
    return out[0] if plan.squeeze else out


def correlate2d_loop(
    image: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: IntPair = 1,
    padding: int | tuple[int, int, int, int] = 0,
    padding_mode: PaddingMode = "zeros",
    dilation: IntPair = 1,
    bias: float = 0.0,
) -> np.ndarray:
    """The textbook loop: the same result as ``correlate2d``, one multiplication at a time."""
    plan = _plan(image, kernel, stride, padding, padding_mode, dilation)
    padded, weights = plan.padded.astype(np.float64), plan.kernel.astype(np.float64)
    (out_h, out_w), (sh, sw), (dh, dw) = plan.out_shape, plan.stride, plan.dilation
    summed = weights.ndim == 3
    kernels = weights if summed else [weights] * len(padded)
    out = np.zeros((len(padded), out_h, out_w))
    for c, (plane, k) in enumerate(zip(padded, kernels, strict=True)):
        for i in range(out_h):  # every output row
            for j in range(out_w):  # every output column
                total = 0.0
                for u in range(k.shape[0]):  # every kernel row
                    for v in range(k.shape[1]):  # every kernel column
                        total += plane[i * sh + u * dh, j * sw + v * dw] * k[u, v]
                out[c, i, j] = total
    if summed:
        return (out.sum(axis=0) + bias).astype(np.float32)
    out = (out + bias).astype(np.float32)
    return out[0] if plan.squeeze else out


def flip_kernel(kernel: np.ndarray) -> np.ndarray:
    """Rotate a ``(..., kh, kw)`` kernel by 180 degrees: what turns correlation into convolution."""
    return np.asarray(kernel)[..., ::-1, ::-1]


def convolve2d(image: np.ndarray, kernel: np.ndarray, **options) -> np.ndarray:
    """True convolution: ``correlate2d`` with the kernel flipped. Same options."""
    return correlate2d(image, flip_kernel(kernel), **options)


@dataclass(frozen=True)
class PixelExplanation:
    """How one output pixel was computed: window, products, sum and bias."""

    rows: np.ndarray  # (kh,) rows of the window in the unpadded image (<0 or >=H: padding)
    cols: np.ndarray  # (kw,) columns of the window in the unpadded image
    patch: np.ndarray  # (kh, kw) or (C, kh, kw) input values under the kernel
    weights: np.ndarray  # same shape as patch
    products: np.ndarray  # patch * weights
    total: float  # sum of products
    bias: float
    value: float  # total + bias: the output pixel


def explain_pixel(
    image: np.ndarray,
    kernel: np.ndarray,
    row: int,
    col: int,
    *,
    channel: int = 0,
    stride: IntPair = 1,
    padding: int | tuple[int, int, int, int] = 0,
    padding_mode: PaddingMode = "zeros",
    dilation: IntPair = 1,
    bias: float = 0.0,
) -> PixelExplanation:
    """Explain output pixel ``(row, col)``.

    ``channel`` picks the image plane when a ``(kh, kw)`` kernel filters channels on their own.
    """
    plan = _plan(image, kernel, stride, padding, padding_mode, dilation)
    out_h, out_w = plan.out_shape
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"output pixel ({row}, {col}) is outside the {out_h}x{out_w} output")
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    kh, kw = plan.kernel.shape[-2:]
    rows = row * sh + dh * np.arange(kh)  # in padded coordinates
    cols = col * sw + dw * np.arange(kw)
    window = np.ix_(rows, cols)
    if plan.kernel.ndim == 3:
        patch = plan.padded[(slice(None), *window)]
    else:
        patch = plan.padded[channel][window]
    products = patch.astype(np.float64) * plan.kernel
    total = float(products.sum())
    top, _, left, _ = four_sides(padding)
    return PixelExplanation(
        rows - top, cols - left, patch, plan.kernel, products, total, float(bias), total + bias
    )
