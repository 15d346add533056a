"""Predict-then-reveal questions built from the settings a student is looking at.

Each generator returns a ``Question`` whose wrong choices are the classic mistakes (forgetting
the ``+ 1``, rounding up, ignoring padding or stride). Same arguments and seed, same question.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from cnnviz.pooling import max_padding
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
        "The ⌊ ⌋ rounds down: a window that would hang past the end is not used. So the "
        f"output is **{_shape(*answer)}**."
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
        f"- Width: {size_formula(width, kw, stride=sw, padding=(left, right), dilation=dw)}\n\n"
        f"So the output is **{_shape(*answer)}**."
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
    from cnnviz.model import layer_kind  # torch only for the network questions

    steps = [
        (shapes[i - 1], shapes[i])
        for i in range(1, len(shapes))
        if layer_kind(shapes[i][0]) in ("conv", "pool")
    ]
    (before_name, before), (name, after) = steps[seed % len(steps)]
    channels, side = before[0], before[1]
    if layer_kind(name) == "conv":
        what = (
            f"a convolution with **{after[0]}** kernels of {kernel_size} × {kernel_size} "
            "(stride 1, no padding)"
        )
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
    why += f" So **{answer}** come out."
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
        f"looking at {in_channels} input channel{'' if in_channels == 1 else 's'}, and one bias "
        "per kernel. How many "
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


# --- questions with drawn numbers ---------------------------------------------------------------
# A lesson page draws its questions from a seed instead of from the settings on screen: the
# page already prints its own shapes and values, so a question about them would be answered
# before it is asked. Every answer below is computed by the library (output_size,
# correlate2d, pool2d, layer_shapes), never written by hand.

SIZES = (6, 7, 8, 10, 12, 15, 16, 20, 24, 28, 32, 48, 64, 100, 128, 224, 256)  # sides drawn
HAND_KERNELS = (  # integer 3 x 3 presets: a student can multiply them by hand
    "identity", "sharpen", "outline", "laplacian", "sobel_x", "sobel_y", "prewitt_x",
    "prewitt_y", "emboss", "horizontal_lines", "vertical_lines",
)  # fmt: skip
LETTERS = ("A", "B", "C", "D")
_TRIES = 200  # draws before giving up on a constraint (each succeeds far sooner)


def _draw_int(rng: np.random.Generator, options) -> int:
    return int(rng.choice(options))


def _whole(grid: np.ndarray) -> bool:
    return bool(np.array_equal(grid, np.round(grid)))


def _block(titled: list[tuple[str, np.ndarray]], decimals: int = 0, gap: int = 5) -> str:
    """Number grids side by side under their titles, as one fenced code block; a grid of
    whole numbers is written without decimals, any other with ``decimals``."""
    columns = []
    for title, grid in titled:
        places = 0 if _whole(grid) else decimals
        cells = [[_number(float(v), places) for v in row] for row in np.atleast_2d(grid)]
        width = max(len(c) for row in cells for c in row)
        lines = ["  ".join(c.rjust(width) for c in row) for row in cells]
        wide = max(len(title), *(len(line) for line in lines))
        columns.append([title.ljust(wide)] + [line.ljust(wide) for line in lines])
    height = max(len(c) for c in columns)
    rows = []
    for i in range(height):
        parts = [c[i] if i < len(c) else " " * len(c[0]) for c in columns]
        rows.append((" " * gap).join(parts).rstrip())
    return "```\n" + "\n".join(rows) + "\n```"


def _product(pixel: float, weight: float) -> str:
    w = _number(weight, 0)
    return f"{_number(pixel, 0)}×({w})" if weight < 0 else f"{_number(pixel, 0)}×{w}"


def _sum_text(pixels: np.ndarray, kernel: np.ndarray) -> str:
    """``3×1 + 0×(−1) + …``: every product of a window, row by row."""
    pairs = zip(pixels.ravel(), kernel.ravel(), strict=True)
    return " + ".join(_product(float(p), float(w)) for p, w in pairs)


def draw_conv_shape(seed: int, *, avoid: Collection[str] = ()) -> Question:
    """A convolution-shape question with drawn size, kernel, stride, padding and sometimes a
    dilation; redrawn while its answer is one of ``avoid`` (shapes the page already shows)."""
    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        height = _draw_int(rng, SIZES)
        width = height if rng.random() < 0.6 else _draw_int(rng, SIZES)
        kh = _draw_int(rng, (1, 2, 3, 3, 3, 5, 5, 7))
        kw = kh if rng.random() < 0.8 else _draw_int(rng, (1, 3, 5))
        stride = _draw_int(rng, (1, 1, 2, 2, 3))
        pad = _draw_int(rng, (0, 0, 1, 1, 2, 3))
        padding = pad if rng.random() < 0.8 else (pad, pad + 1, pad, pad + 1)
        dilation = 1 if rng.random() < 0.8 else 2
        try:
            question = conv_shape_question(
                height, width, (kh, kw), stride, padding, dilation, seed=seed
            )
        except ValueError:  # the kernel does not fit: draw again
            continue
        if question.answer not in avoid:
            return question
    raise RuntimeError("no convolution question could be drawn")  # never met in the tests


def draw_conv_value(seed: int) -> Question:
    """One output value by hand: a printed 3 x 3 patch of pixels, a 3 x 3 kernel and sometimes
    a bias; the answer is ``correlate2d`` of the two."""
    from cnnviz.convolution import convolve2d, correlate2d  # leaves first: questions sits above

    rng = np.random.default_rng(seed)
    patch = rng.integers(0, 10, (3, 3)).astype(np.float32)
    if rng.random() < 0.5:
        from cnnviz.kernels import KERNELS

        kernel = np.array(KERNELS[str(rng.choice(HAND_KERNELS[1:]))].weights)
    else:
        kernel = rng.integers(-2, 3, (3, 3)).astype(np.float32)
        kernel[1, 1] = kernel[1, 1] or 1  # never the all-zero kernel
    bias = _draw_int(rng, (-5, -3, -2, 2, 3, 5)) if rng.random() < 0.35 else 0
    value = float(correlate2d(patch, kernel, bias=bias)[0, 0])
    flipped = float(convolve2d(patch, kernel, bias=bias)[0, 0])
    answer = _number(value, 0)
    wrong = [
        flipped,  # flipped the kernel first (true convolution)
        value - bias,  # forgot the bias
        float((patch * np.abs(kernel)).sum()) + bias,  # dropped the minus signs
        value - float(patch[1, 1] * kernel[1, 1]),  # forgot the centre product
        float(patch.sum()) + bias,  # added the pixels only
        value + 1,
        value - 1,
        value + 2,
    ]
    with_bias = f" and a bias of **{bias}**" if bias else ""
    prompt = (
        f"A 3 × 3 kernel lies on this 3 × 3 patch of a grey picture{with_bias}. Multiply each "
        "pixel by the kernel number on top of it and add the nine products"
        + (", then the bias" if bias else "")
        + ". Which number comes out?\n\n"
        + _block([("pixels", patch), ("kernel", kernel)])
    )
    terms = _sum_text(patch, kernel)
    why = (
        f"Row by row: {terms}"
        + (f" + ({bias})" if bias < 0 else f" + {bias}" if bias else "")
        + f" = **{answer}**. That is one pixel of the output; sliding the kernel one step "
        "gives the next."
    )
    if flipped != value:
        why += (
            f" (Flipping the kernel first, as mathematicians' convolution does, would give "
            f"{_number(flipped, 0)}: CNN layers do not flip.)"
        )
    return Question(prompt, _shuffled(answer, [_number(w, 0) for w in wrong], seed), answer, why)


def _pattern(rng: np.random.Generator, n: int) -> np.ndarray:
    """An ``(n, n)`` grid of whole numbers 0..9 with one shape in it and a little noise."""
    y, x = np.mgrid[0:n, 0:n]
    at = int(rng.integers(1, n - 1))
    shape = str(rng.choice(["vertical edge", "horizontal edge", "diagonal", "square", "line"]))
    if shape == "vertical edge":
        base = x >= at
    elif shape == "horizontal edge":
        base = y >= at
    elif shape == "diagonal":
        base = x + y >= n - 1
    elif shape == "square":
        base = (abs(x - at) <= 1) & (abs(y - n // 2) <= 1)
    else:
        base = x == at
    grid = 6 * base + rng.integers(0, 4, (n, n))
    return np.clip(grid, 0, 9).astype(np.float32)


def draw_which_kernel(seed: int) -> Question:
    """Which of four printed kernels made this output from these pixels (stride 1, no padding)?
    The four outputs differ already in their top-left number, so one sum per kernel decides."""
    from cnnviz.convolution import correlate2d
    from cnnviz.kernels import KERNELS

    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        pixels = _pattern(rng, 6)
        names = [str(n) for n in rng.choice(HAND_KERNELS, 4, replace=False)]
        outputs = [correlate2d(pixels, KERNELS[n].weights) for n in names]  # (4, 4) each
        if len({float(o[0, 0]) for o in outputs}) == 4:
            break
    else:
        raise RuntimeError("no kernel question could be drawn")  # never met in the tests
    right = int(rng.integers(4))
    titles = [KERNELS[n].title for n in names]
    prompt = (
        "One of the four kernels below slid over these 6 × 6 pixels (stride 1, no padding) "
        "and made the 4 × 4 output. **Which kernel was it?** Tip: the top-left output number "
        "only needs the top-left 3 × 3 pixels: work it out for each kernel.\n\n"
        + _block([("pixels", pixels), ("output", outputs[right])])
        + "\n\n"
        + _block([(t, KERNELS[n].weights) for t, n in zip(titles, names, strict=True)])
    )
    corner = pixels[:3, :3]
    sums = [
        f"{t}: {_sum_text(corner, KERNELS[n].weights)} = {_number(float(o[0, 0]), 0)}"
        for t, n, o in zip(titles, names, outputs, strict=True)
    ]
    why = (
        f"The output's top-left number is {_number(float(outputs[right][0, 0]), 0)}. The "
        "top-left 3 × 3 pixels times each kernel:\n\n"
        + "\n".join(f"- {s}" for s in sums)
        + f"\n\nOnly **{titles[right]}** gives it; the rest of the output agrees too."
    )
    return Question(prompt, tuple(titles), titles[right], why)  # the choices as printed


def draw_pool_shape(seed: int, *, avoid: Collection[str] = ()) -> Question:
    """A pooling-shape question with a drawn map size, window, stride and padding (at most
    half the window, as ``pool2d`` allows); redrawn while its answer is one of ``avoid``."""
    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        height = _draw_int(rng, SIZES)
        width = height if rng.random() < 0.6 else _draw_int(rng, SIZES)
        kh = _draw_int(rng, (2, 2, 2, 3, 3, 4))
        kw = kh if rng.random() < 0.8 else _draw_int(rng, (2, 3))
        if rng.random() < 0.6:
            stride = (kh, kw)
        else:
            stride = (_draw_int(rng, range(1, kh + 1)), _draw_int(rng, range(1, kw + 1)))
        padding = (0, 0) if rng.random() < 0.7 else max_padding((kh, kw))
        try:
            question = pool_shape_question(height, width, (kh, kw), stride, padding, seed=seed)
        except ValueError:
            continue
        if question.answer not in avoid:
            return question
    raise RuntimeError("no pooling question could be drawn")  # never met in the tests


def draw_pool_window(seed: int) -> Question:
    """Which number does max (or average) pooling keep from a printed window of pixel values
    (0 to 1, two decimals)? An average is always exact in two decimals: no rounding to argue."""
    rng = np.random.default_rng(seed)
    mode = "max" if rng.random() < 0.5 else "avg"
    kh, kw = [(2, 2), (2, 2), (3, 3), (2, 3)][int(rng.integers(4))]
    for _ in range(_TRIES):
        cents = rng.integers(0, 100, (kh, kw))
        if mode == "max" or cents.sum() % cents.size == 0:
            break
    return winner_question(cents / 100, mode=mode, seed=seed, decimals=2)


def _grid_text(grid: np.ndarray, decimals: int) -> str:
    return " / ".join(", ".join(_number(float(v), decimals) for v in row) for row in grid)


def draw_pool_map(seed: int) -> Question:
    """Which of four printed 2 x 2 maps does pooling make from a printed map? The wrong maps
    are the usual slips: the other pooling, the smallest number, the wrong stride, swapped
    windows. The answer is ``pool2d``'s."""
    from cnnviz.pooling import pool2d

    rng = np.random.default_rng(seed)
    n, size, stride = [(4, 2, 2), (4, 2, 2), (5, 3, 2), (4, 3, 1), (6, 3, 3)][int(rng.integers(5))]
    mode = "avg" if size == 2 and rng.random() < 0.35 else "max"
    other = "avg" if mode == "max" else "max"
    for _ in range(_TRIES):
        grid = rng.integers(0, 10, (n, n)).astype(np.float32)
        answer = pool2d(grid, size, stride=stride, mode=mode)  # (2, 2)
        slips = {
            f"{'average' if other == 'avg' else 'max'} pooling instead": pool2d(
                grid, size, stride=stride, mode=other
            ),
            "the smallest number of each window": -pool2d(-grid, size, stride=stride),
            "the windows in the wrong places": answer.T.copy(),
            "stride 1 instead": pool2d(grid, size, stride=1, mode=mode)[:2, :2],
        }
        distinct = {name: m for name, m in slips.items() if not np.array_equal(m, answer)}
        unique: dict[str, np.ndarray] = {}
        for name, m in distinct.items():
            if not any(np.array_equal(m, u) for u in unique.values()):
                unique[name] = m
        if len(unique) >= 3:
            break
    maps = [("right", answer), *list(unique.items())[:3]]
    decimals = 0 if _whole(answer) else 2
    order = np.random.default_rng(seed).permutation(len(maps))
    maps = [maps[i] for i in order]
    letter = LETTERS[next(i for i, (name, _) in enumerate(maps) if name == "right")]
    name = "Max" if mode == "max" else "Average"
    prompt = (
        f"{name} pooling with a **{size} × {size}** window and stride **{stride}** turns this "
        f"{n} × {n} map into a 2 × 2 map. **Which one?**\n\n"
        + _block([("map", grid)])
        + "\n\n"
        + _block([(LETTERS[i], m) for i, (_, m) in enumerate(maps)], 2)
    )
    lines = []
    for i in range(2):
        for j in range(2):
            r, c = i * stride, j * stride
            window = grid[r : r + size, c : c + size]
            cells = ", ".join(_number(float(v), 0) for v in window.ravel())
            rule = "largest of" if mode == "max" else "mean of"
            value = _number(float(answer[i, j]), decimals)
            lines.append(
                f"- Window rows {r}–{r + size - 1}, columns {c}–{c + size - 1}: {rule} "
                f"{cells} = {value}"
            )
    slips_said = "; ".join(
        f"{LETTERS[i]} is {what}" for i, (what, _) in enumerate(maps) if what != "right"
    )
    why = (
        "Window by window (each jump is the stride):\n\n"
        + "\n".join(lines)
        + f"\n\nSo **{letter}** ({_grid_text(answer, decimals)}). {slips_said}."
    )
    return Question(prompt, LETTERS[: len(maps)], letter, why)


def draw_network(rng: np.random.Generator, blocks: int | None = None):
    """A small CNN config like the lesson's with drawn input side, filters and kernel size."""
    from cnnviz.model import CNNConfig  # torch only for the network questions

    count = blocks or _draw_int(rng, (1, 2, 2))
    while True:
        filters = tuple(sorted(_draw_int(rng, (8, 16, 32, 64)) for _ in range(count)))
        try:
            return CNNConfig(
                channels=filters,
                kernel_size=_draw_int(rng, (3, 3, 5)),
                image_size=_draw_int(rng, (28, 28, 32, 48, 64)),
            )
        except ValueError:  # the picture shrank to nothing: draw again
            continue


def _avoided(question: Question, avoid: Collection[str]) -> bool:
    return question.answer in avoid


def draw_layer_shape(seed: int, *, avoid: Collection[str] = ()) -> Question:
    """One layer's output shape in a drawn network (the answer is ``layer_shapes``'),
    redrawn while it is one of ``avoid`` (the shapes of the network on the page)."""
    from cnnviz.model import layer_shapes

    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        config = draw_network(rng)
        question = layer_shape_question(
            layer_shapes(config), kernel_size=config.kernel_size, seed=int(rng.integers(1 << 30))
        )
        if not _avoided(question, avoid):
            return question
    raise RuntimeError("no layer question could be drawn")  # never met in the tests


def draw_flatten(seed: int, *, avoid: Collection[str] = ()) -> Question:
    """How many numbers flatten lays in one row, in a drawn two-block network."""
    from cnnviz.model import layer_kind, layer_shapes

    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        config = draw_network(rng, blocks=2)
        shapes = dict(layer_shapes(config))
        answer = shapes["flatten"][0]
        if f"{answer:,}" not in avoid:
            break
    (c1, c2), k, n = config.channels, config.kernel_size, config.image_size
    pooled = shapes["pool2"]
    unpooled = shapes["conv2"]
    wrong = [
        unpooled[0] * unpooled[1] * unpooled[2],  # forgot the pooling
        c2 * (n // 4) ** 2,  # forgot that each convolution shrinks the map
        c1 * pooled[1] * pooled[2],  # used the first layer's kernel count
        pooled[1] * pooled[2],  # forgot the maps: one side times the other
        answer * 2,
    ]
    prompt = (
        f"A network takes a **1 × {n} × {n}** picture: conv1 (**{c1}** kernels of {k} × {k}) → "
        f"ReLU → 2 × 2 max pooling → conv2 (**{c2}** kernels of {k} × {k}) → ReLU → 2 × 2 max "
        "pooling → flatten. Convolutions use stride 1 and no padding. **How many numbers does "
        "flatten lay in one row?**"
    )
    steps = " → ".join(
        f"{name} {_volume(shape)}"
        for name, shape in shapes.items()
        if layer_kind(name) in ("input", "conv", "pool")
    )
    why = (
        f"Follow the shape: {steps}. Each convolution makes a side {k} − 1 = {k - 1} pixels "
        f"shorter, each pooling halves it (rounding down). Flatten lays the {pooled[0]} maps of "
        f"{pooled[1]} × {pooled[2]} in one row: {_volume(pooled)} = **{answer:,}**."
    )
    choices = _shuffled(f"{answer:,}", [f"{w:,}" for w in wrong if w > 0], seed)
    return Question(prompt, choices, f"{answer:,}", why)


def draw_parameters(seed: int, *, avoid: Collection[str] = ()) -> Question:
    """How many numbers a drawn conv layer learns (``conv_parameters_question``)."""
    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        question = conv_parameters_question(
            _draw_int(rng, (8, 16, 32, 64)),
            _draw_int(rng, (3, 3, 5)),
            _draw_int(rng, (1, 1, 3, 16, 32)),
            seed=seed,
        )
        if not _avoided(question, avoid):
            return question
    raise RuntimeError("no parameter question could be drawn")  # never met in the tests
