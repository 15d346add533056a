"""Max and average pooling, and which input won each max window."""

from __future__ import annotations

from typing import Literal

import numpy as np

from cnnviz.shapes import IntPair, output_size, pair

PoolMode = Literal["max", "avg"]


def _windows(x, size, stride, padding, fill):
    """Yield ``(offset_row, offset_col, view)``: one strided view per cell of the window.

    Taking the max (or sum) over these ``kh * kw`` views, each shaped like the output,
    pools every window at once without a Python loop over windows.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (2, 3):
        raise ValueError(f"the input must be (H, W) or (C, H, W), got shape {x.shape}")
    (kh, kw), (ph, pw) = pair(size, "size"), pair(padding, "padding")
    sh, sw = pair(size if stride is None else stride, "stride")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding cannot be negative, got {padding!r}")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(
            f"padding can be at most half the window ({kh}x{kw} allows {kh // 2} rows and "
            f"{kw // 2} columns): more would make windows that hold nothing but padding"
        )
    out_h = output_size(x.shape[-2], kh, stride=sh, padding=ph)
    out_w = output_size(x.shape[-1], kw, stride=sw, padding=pw)
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    padded = np.pad(x, widths, constant_values=fill)
    last_row, last_col = (out_h - 1) * sh + 1, (out_w - 1) * sw + 1
    for u in range(kh):
        for v in range(kw):
            yield u, v, padded[..., u : u + last_row : sh, v : v + last_col : sw]


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
    fill = -np.inf if mode == "max" else 0.0
    out = None
    count = 0
    for _, _, view in _windows(x, size, stride, padding, fill):
        if out is None:
            out = view.copy()
        elif mode == "max":
            np.maximum(out, view, out=out)
        else:
            out += view
        count += 1
    return out if mode == "max" else out / np.float32(count)


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
