"""Padding an image before a window slides over it, with PyTorch's four modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from cnnviz.shapes import four_sides

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]  # the keys of MODES


@dataclass(frozen=True)
class Mode:
    """One padding mode, in PyTorch's name, as each library and the page say it."""

    numpy: str  # numpy.pad's mode
    torch: str  # torch.nn.functional.pad's mode
    opencv: str | None  # OpenCV's border that pads the same on the fly; None: pad first
    words: str  # what it does, in plain words, for the page
    within: int | None = None  # it may pad at most the side length minus this (None: any)
    why: str = ""  # why there is such a limit, for the message when it is passed


# Every padding mode, once: adding one here is all the library, the code box and the page need.
MODES: dict[str, Mode] = {
    "zeros": Mode("constant", "constant", "BORDER_CONSTANT", "adds a frame of 0s (black)."),
    "reflect": Mode(
        "reflect",
        "reflect",
        "BORDER_REFLECT_101",  # mirrors without repeating the edge pixel, like torch
        "mirrors the picture at its edge, without repeating the edge pixel.",
        within=1,
        why="mirrors the picture without repeating its edge pixel",
    ),
    "replicate": Mode("edge", "replicate", "BORDER_REPLICATE", "repeats the edge pixel outwards."),
    "circular": Mode(
        "wrap",
        "circular",
        None,  # OpenCV's filter2D refuses BORDER_WRAP
        "wraps around: the left edge continues with the right side.",
        within=0,
        why="wraps the other side of the picture around",
    ),
}
PADDING_MODES: tuple[str, ...] = get_args(PaddingMode)


def check_mode(mode: str) -> None:
    """Raise ``ValueError`` naming the allowed padding modes when ``mode`` is not one."""
    if mode not in MODES:
        raise ValueError(f"padding mode must be one of {', '.join(PADDING_MODES)}; got {mode!r}")


def check_padding(
    shape: tuple[int, ...], padding: int | tuple[int, int, int, int], mode: PaddingMode
) -> tuple[int, int, int, int]:
    """Return ``(top, bottom, left, right)`` after checking that ``mode`` can pad that much.

    ``shape`` is the image's shape, ``(H, W)`` or ``(C, H, W)``. Raises the same
    ``ValueError`` as ``pad2d`` without padding anything, for callers that let OpenCV pad.
    """
    check_mode(mode)
    if len(shape) not in (2, 3):
        raise ValueError(f"image must be (H, W) or (C, H, W), got shape {shape}")
    top, bottom, left, right = four_sides(padding)
    height, width = shape[-2:]
    rule = MODES[mode]
    most = None if rule.within is None else (height - rule.within, width - rule.within)
    if most is not None and (max(top, bottom) > most[0] or max(left, right) > most[1]):
        asked = [
            f"{_count(n, 'row' if side in ('top', 'bottom') else 'column')} {where}"
            for n, side, where, limit in (
                (top, "top", "at the top", most[0]),
                (bottom, "bottom", "at the bottom", most[0]),
                (left, "left", "on the left", most[1]),
                (right, "right", "on the right", most[1]),
            )
            if n > limit
        ]
        raise ValueError(
            f"{mode} padding {rule.why}, so on a {height} × {width} picture it can add at most "
            f"{_count(most[0], 'row')} above and below and {_count(most[1], 'column')} left "
            f"and right, but the padding asks for {' and '.join(asked)}"
        )
    return top, bottom, left, right


def _count(n: int, word: str) -> str:
    """``1 row``, ``0 rows``, ``9 rows``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def pad2d(
    image: np.ndarray,
    padding: int | tuple[int, int, int, int],
    *,
    mode: PaddingMode = "zeros",
) -> np.ndarray:
    """Pad the last two axes of ``image`` (``(H, W)`` or ``(C, H, W)``).

    ``padding`` is one int for all sides or ``(top, bottom, left, right)``. Modes mean what
    they mean in ``torch.nn.functional.pad``: ``zeros`` adds 0, ``reflect`` mirrors without
    repeating the edge pixel (``abc|ba``), ``replicate`` repeats the edge pixel (``abc|cc``),
    ``circular`` wraps around to the other side (``abc|ab``).
    """
    image = np.asarray(image)
    top, bottom, left, right = check_padding(image.shape, padding, mode)
    widths = [(0, 0)] * (image.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(image, widths, mode=MODES[mode].numpy)
