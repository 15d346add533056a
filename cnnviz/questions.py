"""Predict-then-reveal questions built from the settings a student is looking at.

Each generator returns a ``Question`` whose wrong choices are the classic mistakes (forgetting
the ``+ 1``, rounding up, ignoring padding or stride). Same arguments and seed, same question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnviz.shapes import IntPair, four_sides, output_size, pair, size_formula

CHOICES = 4  # choices per question, when that many distinct ones exist


@dataclass(frozen=True)
class Question:
    """A multiple-choice question with its answer and the reason."""

    prompt: str  # what the student reads first (markdown)
    choices: tuple[str, ...]  # what they pick from, shuffled
    answer: str  # the right choice: one of ``choices``
    why: str  # the worked reason, with the numbers (markdown)

    def is_correct(self, choice: str | None) -> bool:
        """True when ``choice`` is the answer."""
        return choice == self.answer


def _shuffled(answer: str, wrong: list[str], seed: int) -> tuple[str, ...]:
    """The answer plus up to ``CHOICES - 1`` distinct wrong choices, in a seeded order."""
    picked: list[str] = []
    for choice in wrong:
        if choice != answer and choice not in picked:
            picked.append(choice)
    choices = [answer, *picked[: CHOICES - 1]]
    order = np.random.default_rng(seed).permutation(len(choices))
    return tuple(choices[i] for i in order)


def _shape(rows: int, cols: int) -> str:
    return f"{rows} × {cols}"


def _mistakes(n: int, k: int, s: int, before: int, after: int, d: int = 1) -> list[int]:
    """Sizes a student gets by the usual slips, for one axis (only positive ones)."""
    span = d * (k - 1) + 1
    padded = n + before + after
    sizes = [
        math.ceil((padded - span) / s) + 1,  # rounded up instead of down
        (padded - span) // s,  # forgot the + 1
        (n - span) // s + 1 if n >= span else 0,  # forgot the padding
        padded - span + 1,  # forgot the stride
        n // s,  # "it divides by the stride"
        (n + before + after - k) // s + 1,  # forgot the dilation
    ]
    return [size for size in sizes if size > 0]


def _shape_choices(answer: tuple[int, int], rows: list[int], cols: list[int]) -> list[str]:
    """Wrong shapes: each slip on both axes together, then one axis at a time, then +-1."""
    out = [_shape(r, c) for r, c in zip(rows, cols, strict=False)]
    out += [_shape(r, answer[1]) for r in rows] + [_shape(answer[0], c) for c in cols]
    (r, c) = answer
    near = [(r + 1, c + 1), (r - 1, c - 1), (r + 1, c), (r, c + 1), (2 * r, 2 * c)]
    return out + [_shape(a, b) for a, b in near if a > 0 and b > 0]


def pool_shape_question(
    height: int,
    width: int,
    size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    *,
    seed: int = 0,
) -> Question:
    """What shape comes out of pooling a ``height x width`` map? Raises if no window fits.

    ``size``, ``stride`` (default: ``size``) and ``padding`` (each side) are one int or
    ``(h, w)``, as in ``pool2d``.
    """
    (kh, kw), (ph, pw) = pair(size, "size"), pair(padding, "padding")
    sh, sw = pair(size if stride is None else stride, "stride")
    answer = (
        output_size(height, kh, stride=sh, padding=ph),
        output_size(width, kw, stride=sw, padding=pw),
    )
    wrong = _shape_choices(
        answer, _mistakes(height, kh, sh, ph, ph), _mistakes(width, kw, sw, pw, pw)
    )
    prompt = (
        f"A **{height} × {width}** map is pooled with a **{kh} × {kw}** window, stride "
        f"**{sh} × {sw}** and padding **{ph} × {pw}** (rows × columns). "
        "What shape comes out?"
    )
    why = (
        "Count the window positions along each axis: ⌊(input + padding before + padding after "
        "− window) / stride⌋ + 1.\n\n"
        f"- Height: {pool_formula(height, kh, stride=sh, padding=ph)}\n"
        f"- Width: {pool_formula(width, kw, stride=sw, padding=pw)}\n\n"
        "The ⌊ ⌋ rounds down: a window that would hang past the end is not used."
    )
    return Question(prompt, _shuffled(_shape(*answer), wrong, seed), _shape(*answer), why)


def conv_shape_question(
    height: int,
    width: int,
    kernel: IntPair,
    stride: IntPair = 1,
    padding: int | tuple[int, int, int, int] = 0,
    dilation: IntPair = 1,
    *,
    seed: int = 0,
) -> Question:
    """What shape comes out of a convolution? Raises if the kernel does not fit.

    ``kernel``, ``stride`` and ``dilation`` are one int or ``(h, w)``; ``padding`` one int or
    ``(top, bottom, left, right)``, as in ``correlate2d``.
    """
    (kh, kw), (sh, sw), (dh, dw) = (
        pair(kernel, "kernel"),
        pair(stride, "stride"),
        pair(dilation, "dilation"),
    )
    top, bottom, left, right = four_sides(padding)
    answer = (
        output_size(height, kh, stride=sh, padding=(top, bottom), dilation=dh),
        output_size(width, kw, stride=sw, padding=(left, right), dilation=dw),
    )
    wrong = _shape_choices(
        answer,
        _mistakes(height, kh, sh, top, bottom, dh),
        _mistakes(width, kw, sw, left, right, dw),
    )
    extra = "" if (dh, dw) == (1, 1) else f", dilation **{dh} × {dw}**"
    prompt = (
        f"A **{height} × {width}** picture is convolved with a **{kh} × {kw}** kernel, stride "
        f"**{sh} × {sw}**, padding **{top}, {bottom}, {left}, {right}** (top, bottom, left, "
        f"right){extra}. What shape comes out?"
    )
    why = (
        "Count the kernel positions along each axis: ⌊(input + padding before + padding after "
        "− dilation×(kernel − 1) − 1) / stride⌋ + 1.\n\n"
        f"- Height: {size_formula(height, kh, stride=sh, padding=(top, bottom), dilation=dh)}\n"
        f"- Width: {size_formula(width, kw, stride=sw, padding=(left, right), dilation=dw)}"
    )
    return Question(prompt, _shuffled(_shape(*answer), wrong, seed), _shape(*answer), why)


def pool_formula(n: int, size: int, *, stride: int, padding: int = 0) -> str:
    """Pooling's output size along one axis with the numbers filled in (no dilation term).

    ``pool_formula(256, 2, stride=2)`` is ``⌊(256 + 0 + 0 − 2) / 2⌋ + 1 = ⌊127⌋ + 1 = 128``.
    Raises ``ValueError`` like ``output_size`` when no window fits.
    """
    result = output_size(n, size, stride=stride, padding=padding)
    exact = (n + 2 * padding - size) / stride
    return f"⌊({n} + {padding} + {padding} − {size}) / {stride}⌋ + 1 = ⌊{exact:g}⌋ + 1 = {result}"


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return f"{0:.{decimals}f}" if float(text) == 0 else text  # never "-0.000"


def winner_question(
    window: np.ndarray, *, mode: str = "max", seed: int = 0, decimals: int = 3
) -> Question:
    """Which number does max (or average) pooling keep from this ``(kh, kw)`` window?

    Wrong choices are the other pooling's answer, the smallest cell, the runner-up and the sum.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"pooling mode must be 'max' or 'avg', got {mode!r}")
    window = np.asarray(window, dtype=np.float64)
    if window.ndim != 2 or window.size == 0 or not np.isfinite(window).all():
        raise ValueError(f"the window must be a finite (kh, kw) array, got shape {window.shape}")
    kh, kw = window.shape
    flat = np.sort(window.ravel())[::-1]
    largest, mean = float(flat[0]), float(window.mean())
    runner_up = float(flat[1]) if flat.size > 1 else largest
    numbers = {
        "max": largest,
        "avg": mean,
        "min": float(flat[-1]),
        "runner_up": runner_up,
        "sum": float(window.sum()),
    }
    answer = _number(numbers[mode], decimals)
    others = ["avg" if mode == "max" else "max", "min", "runner_up", "sum"]
    wrong = [_number(numbers[name], decimals) for name in others]
    step = 10.0 ** -(decimals - 1)
    wrong += [_number(numbers[mode] + step * i, decimals) for i in (1, -1, 2)]  # if cells tie
    grid = "\n".join("  ".join(_number(v, decimals).rjust(7) for v in row) for row in window)
    name = "Max" if mode == "max" else "Average"
    prompt = f"{name} pooling looks at this {kh} × {kw} window. Which number comes out?\n\n"
    prompt += f"```\n{grid}\n```"
    if mode == "max":
        r, c = np.unravel_index(int(np.argmax(window)), window.shape)
        why = (
            f"Max pooling keeps only the largest of the {window.size} numbers: **{answer}** "
            f"(row {r}, column {c} of the window). The other numbers are dropped, so a small "
            f"change to them changes nothing. (The average would be {_number(mean, decimals)}.)"
        )
    else:
        terms = " + ".join(_number(v, decimals) for v in window.ravel())
        why = (
            f"Average pooling adds all {window.size} numbers and divides by {window.size}: "
            f"({terms}) / {window.size} = **{answer}**. Every cell counts a little. "
            f"(Max pooling would keep {_number(largest, decimals)}.)"
        )
    return Question(prompt, _shuffled(answer, wrong, seed), answer, why)


def _volume(shape: tuple[int, ...]) -> str:
    return " × ".join(str(n) for n in shape)


def layer_shape_question(
    shapes: list[tuple[str, tuple[int, ...]]], *, kernel_size: int = 3, seed: int = 0
) -> Question:
    """What shape leaves one conv or pool layer of a network, given what goes in?

    ``shapes`` is ``cnnviz.model.layer_shapes(config)``: ``[("input", (1, 28, 28)),
    ("conv1", (32, 26, 26)), ...]``. Convolutions are ``kernel_size`` square, stride 1, no
    padding; poolings 2 x 2 with stride 2.
    """
    steps = [
        (shapes[i - 1], shapes[i])
        for i in range(1, len(shapes))
        if shapes[i][0].startswith(("conv", "pool"))
    ]
    (before_name, before), (name, after) = steps[seed % len(steps)]
    channels, side = before[0], before[1]
    if name.startswith("conv"):
        what = f"a convolution with **{after[0]}** kernels of {kernel_size} × {kernel_size}"
        wrong = [
            (after[0], side, side),
            (channels, after[1], after[2]),
            (after[0], side - kernel_size, side - kernel_size),
            (after[0], side // 2, side // 2),
        ]
        why = (
            f"Each of the {after[0]} kernels makes one map, so there are {after[0]} maps. "
            f"A {kernel_size}-wide window fits {side} − {kernel_size} + 1 = {after[1]} times "
            "along each side (no padding, stride 1)."
        )
    else:
        what = "max pooling with a 2 × 2 window and stride 2"
        wrong = [
            (channels, side, side),
            (channels // 2, after[1], after[2]),
            (channels, side - 1, side - 1),
            (channels, side // 4, side // 4),
        ]
        why = (
            f"Pooling works on each of the {channels} maps on its own, so the count stays "
            f"{channels}. Each side becomes ⌊{side} / 2⌋ = {after[1]}."
        )
    prompt = (
        f"**{_volume(before)}** numbers come out of {before_name}. Then {name} applies "
        f"{what}. What shape comes out?"
    )
    answer = _volume(after)
    choices = _shuffled(answer, [_volume(w) for w in wrong], seed)
    return Question(prompt, choices, answer, why)


def conv_parameters_question(
    filters: int, kernel_size: int, in_channels: int = 1, *, seed: int = 0
) -> Question:
    """How many numbers does a conv layer learn? Weights ``filters·k·k·in`` plus one bias each."""
    weights = filters * kernel_size * kernel_size * in_channels
    answer = weights + filters
    wrong = [
        weights,
        filters * kernel_size * kernel_size,
        filters * (kernel_size + 1),
        answer * 28 * 28,
    ]
    prompt = (
        f"A conv layer has **{filters}** kernels of {kernel_size} × {kernel_size}, each "
        f"looking at {in_channels} input channel(s), and one bias per kernel. How many "
        "numbers does it learn?"
    )
    why = (
        f"Each kernel has {kernel_size} × {kernel_size} × {in_channels} = "
        f"{kernel_size * kernel_size * in_channels} weights plus 1 bias: "
        f"{filters} × {kernel_size * kernel_size * in_channels + 1} = {answer:,}. The same "
        "numbers slide over the whole picture, so the picture's size does not matter."
    )
    choices = _shuffled(f"{answer:,}", [f"{w:,}" for w in wrong], seed)
    return Question(prompt, choices, f"{answer:,}", why)
