"""2-D cross-correlation (what a CNN layer computes) and true convolution.

Two implementations of the same thing: ``correlate2d_loop`` is the textbook loop, the
specification that the app shows; ``correlate2d`` is the fast path, built on OpenCV's
``filter2D`` (``python -m cnnviz.bench`` times it against OpenCV and torch).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz.padding import MODES, PaddingMode, check_mode, check_padding, pad2d
from cnnviz.shapes import IntPair, four_sides, output_size, pair

# OpenCV's borders for the padding modes filter2D can pad on the fly. Within the limits
# check_padding enforces they pad exactly as torch does; the others pad first.
_CV2_BORDER = {
    name: getattr(cv2, mode.opencv) for name, mode in MODES.items() if mode.opencv is not None
}

# With a stride, kernels of at least this many cells (dilation's gaps included) go through
# the stride's phases (_add_phases), which skip the windows the stride drops; smaller ones
# are cheaper to filter everywhere and subsample (measured: the two meet near 7x7).
_PHASES_FROM_CELLS = 49

# The padded path correlates the padded image in bands of about this many bytes, so that its
# temporaries stay in the CPU cache and are recycled by malloc instead of being fresh pages
# from the OS on every call (2-2.5x faster on 1024-2048 px images at stride 2).
_BAND_BYTES = 1 << 20


@dataclass(frozen=True)
class _Plan:
    """Everything both paths need, checked once."""

    planes: np.ndarray  # (C, H, W) float32, the unpadded image as channels
    kernel: np.ndarray  # (kh, kw) or (C, kh, kw) float32
    sides: tuple[int, int, int, int]  # padding (top, bottom, left, right)
    mode: PaddingMode
    stride: tuple[int, int]
    dilation: tuple[int, int]
    out_shape: tuple[int, int]  # (H', W')
    squeeze: bool  # the input was (H, W): drop the channel axis again

    @property
    def padded(self) -> np.ndarray:
        """(C, Hp, Wp): the planes with their padding, as the loop and the explainer see them."""
        return pad2d(self.planes, self.sides, mode=self.mode)


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
    sides = check_padding(planes.shape, padding, padding_mode)  # the fast path may not pad
    return _Plan(planes, kernel, sides, padding_mode, stride, dilation, out_shape, squeeze)


def dilate_kernel(kernel: np.ndarray, dilation: IntPair) -> np.ndarray:
    """Spread the weights of a ``(..., kh, kw)`` kernel apart with zeros between them."""
    dh, dw = pair(dilation, "dilation")
    kh, kw = kernel.shape[-2:]
    spread = np.zeros(kernel.shape[:-2] + ((kh - 1) * dh + 1, (kw - 1) * dw + 1), kernel.dtype)
    spread[..., ::dh, ::dw] = kernel
    return spread


def _opencv_pads(plan: _Plan, spread: np.ndarray) -> bool:
    """Can filter2D pad on the fly? When the padding lies within the kernel's reach.

    That covers the usual "same" and "valid" padding: anchoring the kernel at ``(left, top)``
    makes filter2D's output ``(i, j)`` the window whose top-left corner is padded ``(i, j)``.
    """
    top, bottom, left, right = plan.sides
    kh, kw = spread.shape
    return plan.mode in _CV2_BORDER and top + bottom < kh and left + right < kw


def _filter_stacked(planes, spread, plan: _Plan, out: np.ndarray, delta: float) -> None:
    """OpenCV pads: filter ``(C, H, W)`` planes everywhere in one call, keep every stride-th.

    The planes go through filter2D as one ``(C * H, W)`` plane: OpenCV splits each call over
    its threads, and one hand-off instead of one per channel is 20-30% faster on RGB. Stacked,
    the first ``top`` rows of a channel read the end of the previous channel instead of the
    padding (and its last rows the next channel): ``_redo_edges`` recomputes those few rows.
    """
    channels, height, width = planes.shape
    top, _, left, _ = plan.sides
    options = {"anchor": (left, top), "delta": delta, "borderType": _CV2_BORDER[plan.mode]}
    stacked = planes.reshape(channels * height, width)
    in_place = plan.stride == (1, 1) and out.shape == planes.shape  # "same" padding, stride 1
    full = out if in_place else np.empty(planes.shape, np.float32)  # (C, H, W)
    cv2.filter2D(stacked, cv2.CV_32F, spread, dst=full.reshape(stacked.shape), **options)
    if channels > 1:
        _redo_edges(planes, spread, top, full, options)
    if not in_place:  # drop what holds no whole window, keep every stride-th window
        (oh, ow), (sh, sw) = plan.out_shape, plan.stride
        out[...] = full[:, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]


def _redo_edges(planes, spread, top: int, full: np.ndarray, options: dict) -> None:
    """Recompute the rows of each channel whose windows reached into a stacked neighbour.

    Each is filtered again from a strip of its own channel that starts (or ends) at the
    channel's true edge, so OpenCV pads it as it should. ``full`` is ``(C, H, W)``.
    """
    height, kh = planes.shape[1], spread.shape[0]
    first_low = max(0, height - kh + 1 + top)  # from this row on, windows pass the bottom
    # The bottom strip holds every row that a bottom window or the mirror of reflect reads,
    # and starts high enough that its own top edge spoils none of the rows redone.
    low_start = max(0, height - kh)
    for channel, (plane, plane_full) in enumerate(zip(planes, full, strict=True)):
        if channel > 0 and top:  # the top rows read the previous channel
            strip = cv2.filter2D(plane[: kh + top], cv2.CV_32F, spread, **options)
            plane_full[:top] = strip[:top]
        if channel < len(planes) - 1 and first_low < height:  # the bottom rows, the next one
            strip = cv2.filter2D(plane[low_start:], cv2.CV_32F, spread, **options)
            plane_full[first_low:] = strip[first_low - low_start :]


def _column_phases(padded: np.ndarray, step: int, needed: int) -> np.ndarray:
    """Split a ``(Hp, Wp)`` plane into ``(step, Hp, ~Wp / step)``: phase ``b`` is ``[:, b::step]``.

    Only the first ``needed`` columns matter. One transposing copy de-interleaves them all,
    2-3x faster than copying each strided view, and faster than ``cv2.split``.
    """
    if step == 1:
        return padded[None]
    width = -(-needed // step) * step  # rounded up to a multiple of the step
    if width > padded.shape[1]:  # a few columns short: no window reads them, the reshape does
        padded = np.pad(padded, ((0, 0), (0, width - padded.shape[1])))
    interleaved = padded[:, :width].reshape(len(padded), width // step, step)  # (Hp, W/s, s)
    return np.ascontiguousarray(interleaved.transpose(2, 0, 1))


def _add_phases(padded: np.ndarray, spread: np.ndarray, stride, out: np.ndarray) -> None:
    """Add the strided correlation of a padded ``(Hp, Wp)`` plane to ``out`` ``(H', W')``.

    Output ``(i, j)`` reads ``padded[sh*i + u, sw*j + v]``. Grouping the kernel cells by
    ``(u % sh, v % sw)`` splits it into ``sh*sw`` stride-1 correlations of subsampled planes
    with subsampled kernels: the windows the stride skips are never computed.
    """
    (sh, sw), (oh, ow), (kh, kw) = stride, out.shape, spread.shape
    columns = _column_phases(padded, sw, (ow - 1) * sw + kw)
    for b in range(min(sw, kw)):
        for a in range(min(sh, kh)):
            cells = spread[a::sh, b::sw]
            if not cells.any():  # dilation can leave whole phases empty
                continue
            phase = columns[b][a::sh]  # a row-strided view: OpenCV reads it without a copy
            full = cv2.filter2D(phase, cv2.CV_32F, np.ascontiguousarray(cells), anchor=(0, 0))
            out += full[:oh, :ow]  # the rows and columns past these hold no whole window


def _filter_padded(plane, spread, plan: _Plan, out: np.ndarray, delta: float) -> None:
    """Any stride and padding: pad the plane, then correlate it band by band into ``out``."""
    padded = pad2d(plane, plan.sides, mode=plan.mode)  # (Hp, Wp)
    sh, kh = plan.stride[0], spread.shape[0]
    band = max(1, _BAND_BYTES // (padded[0].nbytes * sh))  # output rows per band
    out[...] = delta
    for first in range(0, len(out), band):
        rows = out[first : first + band]  # (band, W'): a view, filled in place
        reads = padded[first * sh : (first + len(rows) - 1) * sh + kh]  # the rows they read
        _add_phases(reads, spread, plan.stride, rows)


def _correlate_planes(planes, spread, plan: _Plan, out: np.ndarray, delta: float) -> None:
    """Correlate ``(C, H, W)`` planes with one ``(kh, kw)`` dilated kernel into ``(C, H', W')``."""
    planes = np.ascontiguousarray(planes)
    small = plan.stride == (1, 1) or spread.size < _PHASES_FROM_CELLS
    if _opencv_pads(plan, spread) and small:
        _filter_stacked(planes, spread, plan, out, delta)
    else:
        for plane, plane_out in zip(planes, out, strict=True):
            _filter_padded(plane, spread, plan, plane_out, delta)


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
    spread = dilate_kernel(plan.kernel, plan.dilation)
    if plan.kernel.ndim == 3:  # one map: the channels' correlations summed, plus the bias
        out = np.empty((1, *plan.out_shape), np.float32)  # (1, H', W')
        _correlate_planes(plan.planes[:1], spread[0], plan, out, bias)
        term = np.empty_like(out)
        for c in range(1, len(plan.planes)):
            _correlate_planes(plan.planes[c : c + 1], spread[c], plan, term, 0.0)
            out += term
        return out[0]
    out = np.empty((len(plan.planes), *plan.out_shape), np.float32)  # (C, H', W')
    _correlate_planes(plan.planes, spread, plan, out, bias)
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
    top, _, left, _ = plan.sides
    return PixelExplanation(
        rows - top, cols - left, patch, plan.kernel, products, total, float(bias), total + bias
    )
