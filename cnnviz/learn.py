"""A kernel that learns: gradient descent on one 3 x 3 kernel, so its output matches a target's.

The picture ``x`` ``(H, W)`` is fixed; the target output is ``y = correlate2d(x, target)``
``(H - 2, W - 2)`` (no padding). Starting from random numbers, every step computes the output
``o = correlate2d(x, k)``, the error ``e = o - y``, the loss ``mean(e ** 2)`` and the gradient
of the loss for each weight::

    dL/dk[i, j] = 2 / N * sum over window positions (r, c) of x[r + i, c + j] * e[r, c]

(``N`` output pixels), then moves every weight a little downhill: ``k -= rate * dL/dk``.
``gradient_loop`` is that sentence as a loop; ``gradient`` is the same sum as one correlation
of the picture with the error map, which is what the app runs. Both are tested against
``torch.autograd``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.images import downscale, to_grayscale
from cnnviz.kernels import KERNELS

Target = Literal["sobel_x", "gaussian_3", "sharpen", "hidden"]
TARGETS: tuple[Target, ...] = ("sobel_x", "gaussian_3", "sharpen", "hidden")
SIDE = 48  # pixels: the longest side of the picture the kernel learns on (46 x 46 outputs)
KERNEL_SIDE = 3  # every target is 3 x 3
START_SPREAD = 0.3  # standard deviation of the random starting numbers
HIDDEN_SPREAD = 1.0  # standard deviation of a hidden kernel's numbers
BLOW_UP = 1e6  # a loss this many times the first one (or not a number) ends the run early
MAX_STEPS = 2_000


@dataclass(frozen=True)
class LearnConfig:
    """One learning run: what to learn, how big the steps are, how many, from where."""

    target: Target  # a preset of cnnviz.kernels, or "hidden": random numbers from ``seed``
    rate: float = 0.1  # learning rate: how far each step moves the weights along the slope
    steps: int = 300  # how many updates
    seed: int = 0  # chooses the random starting numbers (and the hidden kernel)

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"rate must be a positive number, got {self.rate!r}")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be from 1 to {MAX_STEPS}, got {self.steps!r}")


@dataclass(frozen=True)
class Trajectory:
    """Every kernel of a run and its loss, from the start to the last step."""

    picture: np.ndarray  # (H, W) float32: the prepared picture the kernel learns on
    target: np.ndarray  # (3, 3) float32: the kernel to find
    target_output: np.ndarray  # (H - 2, W - 2) float32: correlate2d(picture, target)
    kernels: np.ndarray  # (T + 1, 3, 3) float32: kernels[t] is the kernel after t steps
    losses: np.ndarray  # (T + 1,) float64: losses[t] is the loss of kernels[t]
    rate: float  # the learning rate used
    blew_up: bool  # True when the loss ran away and the run stopped before its last step

    @property
    def steps(self) -> int:
        """Updates made (fewer than asked when the loss blew up)."""
        return len(self.kernels) - 1


@dataclass(frozen=True)
class Term:
    """One window position's share of a weight's gradient: input pixel x error."""

    row: int  # window position (output pixel) row
    col: int  # window position column
    pixel: float  # x[row + i, col + j], the input under weight (i, j)
    error: float  # e[row, col] = output - target output at that position
    product: float  # pixel * error


@dataclass(frozen=True)
class WeightStep:
    """One update of one weight, every number of it."""

    step: int  # the update's number: kernels[step] -> kernels[step + 1]
    cell: tuple[int, int]  # the weight's (row, col) in the kernel
    largest: tuple[Term, ...]  # the terms of largest size, largest first
    count: int  # N: window positions (terms) in the sum
    total: float  # sum of all N products
    gradient: float  # 2 / N * total
    rate: float  # learning rate
    old: float  # the weight before the update
    new: float  # old - rate * gradient


def prepare(image: np.ndarray, side: int = SIDE) -> np.ndarray:
    """The picture a kernel learns on: grey, at most ``side`` pixels, numbers shifted and scaled
    to average 0 and spread 1 (``(H, W)`` or ``(3, H, W)`` in, ``(H, W)`` float32 out).

    Centred numbers make learning fast: with pixels in 0..1 every weight mostly learns the
    picture's average brightness first. ``ValueError`` for a flat picture or one too small.
    """
    grey = downscale(to_grayscale(np.asarray(image, dtype=np.float32)), side).astype(np.float64)
    if min(grey.shape) < KERNEL_SIDE + 1:
        raise ValueError(
            f"The picture is {grey.shape[0]} × {grey.shape[1]} pixels: a kernel needs at least "
            f"{KERNEL_SIDE + 1} × {KERNEL_SIDE + 1} to learn from."
        )
    spread = grey.std()
    if not spread > 1e-6:
        raise ValueError("The picture is one flat shade: every kernel sees the same numbers.")
    return ((grey - grey.mean()) / spread).astype(np.float32)


def target_kernel(config: LearnConfig) -> np.ndarray:
    """The ``(3, 3)`` float32 kernel the run is to find."""
    if config.target == "hidden":
        rng = np.random.default_rng([config.seed, 1])  # its own stream: not the start's
        return np.round(rng.normal(0, HIDDEN_SPREAD, (KERNEL_SIDE, KERNEL_SIDE)), 1).astype(
            np.float32
        )
    return np.array(KERNELS[config.target].weights, dtype=np.float32)


def start_kernel(seed: int) -> np.ndarray:
    """Random starting numbers, ``(3, 3)`` float32, the same for the same ``seed``."""
    rng = np.random.default_rng([seed, 0])
    return rng.normal(0, START_SPREAD, (KERNEL_SIDE, KERNEL_SIDE)).astype(np.float32)


def windows(picture: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Every ``(kh, kw)`` window of ``(H, W)``: ``(H - kh + 1, W - kw + 1, kh, kw)``, a view."""
    return sliding_window_view(picture, (kh, kw))


def output(picture: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``correlate2d(picture, kernel)``, no padding, float64: ``(H - kh + 1, W - kw + 1)``."""
    kernel = np.asarray(kernel, dtype=np.float64)
    return np.tensordot(windows(picture.astype(np.float64), *kernel.shape), kernel, axes=2)


def loss(picture: np.ndarray, kernel: np.ndarray, target_output: np.ndarray) -> float:
    """Mean squared error between the kernel's output and the target output."""
    return float(np.mean((output(picture, kernel) - target_output) ** 2))


def gradient_loop(picture: np.ndarray, kernel: np.ndarray, target_output: np.ndarray) -> np.ndarray:
    """The textbook loop: for each weight, add input x error over every window position.

    ``picture`` ``(H, W)``, ``kernel`` ``(kh, kw)``, ``target_output`` ``(H - kh + 1, W - kw + 1)``;
    returns the gradient of the mean squared error, ``(kh, kw)`` float64.
    """
    kh, kw = kernel.shape
    out_h, out_w = target_output.shape
    error = output(picture, kernel) - target_output  # (H', W')
    grad = np.zeros((kh, kw))
    for i in range(kh):
        for j in range(kw):
            total = 0.0
            for r in range(out_h):
                for c in range(out_w):
                    total += float(picture[r + i, c + j]) * float(error[r, c])
            grad[i, j] = 2 / error.size * total
    return grad


def gradient(picture: np.ndarray, kernel: np.ndarray, target_output: np.ndarray) -> np.ndarray:
    """The same gradient as ``gradient_loop``: the picture correlated with the error map."""
    error = output(picture, kernel) - target_output  # (H', W')
    patches = windows(picture.astype(np.float64), *kernel.shape)  # (H', W', kh, kw)
    return 2 / error.size * np.tensordot(error, patches, axes=2)  # (kh, kw)


def descend(image: np.ndarray, config: LearnConfig) -> Trajectory:
    """Run ``config.steps`` updates on the picture prepared from ``image``.

    Stops early, with ``blew_up``, when the loss stops being a number or grows past
    ``BLOW_UP`` times its start (a learning rate too large for this picture).
    """
    picture = prepare(image)
    target = target_kernel(config)
    target_output = output(picture, target)
    x = picture.astype(np.float64)
    patches = windows(x, KERNEL_SIDE, KERNEL_SIDE).reshape(-1, KERNEL_SIDE**2)  # (N, 9)
    y = target_output.reshape(-1)  # (N,)
    kernel = start_kernel(config.seed).astype(np.float64).reshape(-1)  # (9,)
    kernels, losses = [kernel.copy()], []
    blew_up = False
    for _ in range(config.steps):
        error = patches @ kernel - y
        losses.append(float(np.mean(error**2)))
        if not (np.isfinite(losses[-1]) and losses[-1] <= BLOW_UP * max(losses[0], 1e-12)):
            blew_up = True
            break
        kernel = kernel - config.rate * (2 / y.size) * (error @ patches)
        kernels.append(kernel.copy())
    else:
        losses.append(float(np.mean((patches @ kernel - y) ** 2)))
    if blew_up:  # the last kernel is the one whose loss ran away: keep the ones before it
        kernels, losses = kernels[:-1] or kernels, losses[:-1] or losses
    stack = np.array(kernels).reshape(-1, KERNEL_SIDE, KERNEL_SIDE)  # (T + 1, 3, 3)
    return Trajectory(
        picture=picture,
        target=target,
        target_output=target_output.astype(np.float32),
        kernels=stack.astype(np.float32),
        losses=np.array(losses),
        rate=config.rate,
        blew_up=blew_up,
    )


def weight_step(run: Trajectory, step: int, cell: tuple[int, int], *, top: int = 5) -> WeightStep:
    """Update ``step`` of weight ``cell``, written out: the ``top`` largest of its terms, the
    sum of all of them, the gradient, the learning rate and the new weight."""
    if not 0 <= step < run.steps:
        raise ValueError(f"step must be from 0 to {run.steps - 1}, got {step}")
    i, j = cell
    kernel = run.kernels[step].astype(np.float64)
    if not (0 <= i < kernel.shape[0] and 0 <= j < kernel.shape[1]):
        raise ValueError(f"cell must be inside the {kernel.shape[0]} × {kernel.shape[1]} kernel")
    error = output(run.picture, kernel) - run.target_output  # (H', W')
    out_h, out_w = error.shape
    pixels = run.picture[i : i + out_h, j : j + out_w].astype(np.float64)  # under weight (i, j)
    products = pixels * error
    order = np.argsort(-np.abs(products), axis=None, kind="stable")[:top]
    largest = tuple(
        Term(int(r), int(c), float(pixels[r, c]), float(error[r, c]), float(products[r, c]))
        for r, c in zip(*np.unravel_index(order, products.shape), strict=True)
    )
    total = float(products.sum())
    grad = 2 / products.size * total
    old = float(kernel[i, j])
    return WeightStep(
        step=step,
        cell=(i, j),
        largest=largest,
        count=int(products.size),
        total=total,
        gradient=grad,
        rate=run.rate,
        old=old,
        new=old - run.rate * grad,
    )


def steps_to_within(run: Trajectory, tolerance: float) -> int | None:
    """The first step after which every cell is within ``tolerance`` of the target, or None."""
    close = np.abs(run.kernels - run.target).max(axis=(1, 2)) <= tolerance  # (T + 1,)
    return int(np.argmax(close)) if close.any() else None
