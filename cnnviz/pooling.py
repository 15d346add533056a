"""Max and average pooling, and which input won each max window."""

from __future__ import annotations

from typing import Literal

import numpy as np

from cnnviz.shapes import IntPair, output_size, pair

PoolMode = Literal["max", "avg"]


def max_padding(size: IntPair) -> tuple[int, int]:
    """The most padding a ``(kh, kw)`` window allows on each side: half of it, rounded down
    (more would make windows that hold nothing but padding)."""
    kh, kw = pair(size, "size")
    return kh // 2, kw // 2


def _prepare(x, size, stride, padding, fill):
    """Check the options and pad ``x`` with ``fill``.

    Returns ``(padded, (kh, kw), (sh, sw), (out_h, out_w))``; ``padded`` is ``(..., Hp, Wp)``.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (2, 3):
        raise ValueError(f"the input must be (H, W) or (C, H, W), got shape {x.shape}")
    (kh, kw), (ph, pw) = pair(size, "size"), pair(padding, "padding")
    sh, sw = pair(size if stride is None else stride, "stride")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding cannot be negative, got {padding!r}")
    most = max_padding((kh, kw))
    if ph > most[0] or pw > most[1]:
        raise ValueError(
            f"padding can be at most half the window ({kh}x{kw} allows {most[0]} rows and "
            f"{most[1]} columns): more would make windows that hold nothing but padding"
        )
    out_h = output_size(x.shape[-2], kh, stride=sh, padding=ph)
    out_w = output_size(x.shape[-1], kw, stride=sw, padding=pw)
    if ph or pw:  # np.pad copies even when there is nothing to add
        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)], constant_values=fill)
    return x, (kh, kw), (sh, sw), (out_h, out_w)


def _windows(x, size, stride, padding, fill):
    """Yield ``(offset_row, offset_col, view)``: one strided view per cell of the window.

    Taking the max over these ``kh * kw`` views, each shaped like the output, finds every
    window's winner at once without a Python loop over windows.
    """
    padded, (kh, kw), (sh, sw), (out_h, out_w) = _prepare(x, size, stride, padding, fill)
    last_row, last_col = (out_h - 1) * sh + 1, (out_w - 1) * sw + 1
    for u in range(kh):
        for v in range(kw):
            yield u, v, padded[..., u : u + last_row : sh, v : v + last_col : sw]


def _reduce(x, combine, size, stride, count, axis):
    """Combine ``size`` neighbours every ``stride`` along ``axis``: ``count`` results.

    ``combine`` is a ufunc (``np.maximum``, ``np.add``) applied in place, one shifted strided
    view at a time: ``size`` passes over the data and no Python loop over windows.
    """

    def shifted(u):  # the u-th neighbour of every window along the axis
        index = [slice(None)] * x.ndim
        index[axis] = slice(u, u + (count - 1) * stride + 1, stride)
        return x[tuple(index)]

    if size == 1:
        return shifted(0).copy()
    out = combine(shifted(0), shifted(1))  # a new array, then added to in place
    for u in range(2, size):
        combine(out, shifted(u), out=out)
    return out


def pool2d(
    x: np.ndarray,
    size: IntPair,
    *,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    mode: PoolMode = "max",
) -> np.ndarray:
    """Pool ``(H, W)`` or ``(C, H, W)`` with a ``size`` window; ``stride`` defaults to ``size``.

    Equal to ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` (floor rounding). Padding
    is at most half the window. Max pooling pads with -inf, so padding never wins. Average
    pooling pads with zeros and counts them: a window that hangs over the border divides by
    the full window area (torch's default, ``count_include_pad=True``).
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"pooling mode must be 'max' or 'avg', got {mode!r}")
    fill, combine = (-np.inf, np.maximum) if mode == "max" else (0.0, np.add)
    padded, (kh, kw), (sh, sw), (out_h, out_w) = _prepare(x, size, stride, padding, fill)
    # A window's max (or sum) is the max (sum) over its rows of each row's max (sum): reduce
    # the rows first, where the views keep whole rows contiguous, then the shorter columns.
    # That is kh + kw passes instead of kh * kw.
    rows = _reduce(padded, combine, kh, sh, out_h, axis=-2)  # (..., H', Wp)
    out = _reduce(rows, combine, kw, sw, out_w, axis=-1)  # (..., H', W')
    if mode == "avg":
        out /= np.float32(kh * kw)
    return out


def max_pool_winners(
    x: np.ndarray,
    size: IntPair,
    *,
    stride: IntPair | None = None,
    padding: IntPair = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Max pooling plus where each window's winner sits in ``x``.

    Returns ``(values, rows, cols)``, each shaped like the pooled output ``(..., H', W')``;
    ``x[..., rows, cols]`` are the winners. Ties go to the first cell in reading order.
    """
    (ph, pw) = pair(padding, "padding")
    sh, sw = pair(size if stride is None else stride, "stride")
    best = win_u = win_v = None
    for u, v, view in _windows(x, size, stride, padding, -np.inf):
        if best is None:
            best, win_u, win_v = view.copy(), np.zeros(view.shape, int), np.zeros(view.shape, int)
            continue
        better = view > best
        best[better], win_u[better], win_v[better] = view[better], u, v
    out_h, out_w = best.shape[-2:]
    rows = np.arange(out_h)[:, None] * sh + win_u - ph
    cols = np.arange(out_w)[None, :] * sw + win_v - pw
    return best, rows, cols
