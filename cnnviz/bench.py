"""Time the fast path against OpenCV, torch and the textbook loop: ``python -m cnnviz.bench``.

The machine is shared and noisy, so only ratios measured in the same run mean anything:
in every case the contenders take turns, after a warm-up, and the tables report medians.
Each ratio is the median of the ratios measured round by round.
``--quick`` runs tiny sizes with few repeats (the test uses it); ``--repeats N`` sets the
least number of timed runs per contender. Torch keeps its default thread count.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.convolution import correlate2d, correlate2d_loop
from cnnviz.padding import pad2d
from cnnviz.pooling import pool2d

# The targets: the worst case of each ratio, over every case that it covers.
MAX_OURS_OVER_CV2 = 1.5  # stride 1: the fast path is within 1.5x of OpenCV's filter2D
MIN_TORCH_OVER_OURS = 4.0  # everywhere: the fast path is at least 4x faster than torch
MIN_TORCH_POOL_OVER_OURS = 1.0  # pooling is at least as fast as torch's


@dataclass(frozen=True)
class Sizes:
    """What one run covers."""

    sides: tuple[int, ...]  # square images, in pixels
    kernels: tuple[int, ...]  # k of the (k, k) kernels
    strides: tuple[int, ...]
    loop_side: int  # the textbook loop is slow: it gets one small image
    pools: tuple[int, ...]  # pooling windows, all at stride 2
    repeats: int  # timed runs per contender, at least (the loop gets at most 3)
    budget: float  # seconds: fast cases get more runs until this is spent, for steadier medians


FULL = Sizes(sides=(512, 1024, 2048), kernels=(3, 5, 11), strides=(1, 2), loop_side=256,
             pools=(2, 3), repeats=9, budget=1.0)  # fmt: skip
QUICK = Sizes(sides=(64,), kernels=(3, 5, 11), strides=(1, 2), loop_side=24, pools=(2, 3),
              repeats=2, budget=0.0)  # fmt: skip


def race(
    contenders: dict[str, Callable[[], object]], repeats: int, budget: float = 0.0
) -> dict[str, list[float]]:
    """Milliseconds of each timed run, per contender; run ``i`` of each is from round ``i``.

    In every round each contender runs twice in a row and only the second run is timed: the
    first takes the hand-over from the previous contender (torch's threads still spinning,
    another library's data in the cache; measured: up to 3x on a 512 px filter). Rounds go on
    until there are ``repeats`` of them and ``budget`` seconds are spent (at most 50 times
    ``repeats``), so that the medians of fast cases rest on more runs.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    start_all = time.perf_counter()
    for turn in range(50 * repeats):
        if turn >= repeats and time.perf_counter() - start_all >= budget:
            break
        for name, run in contenders.items():
            run()
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1e3)
    return times


def ratio(times: dict[str, list[float]], top: str, bottom: str) -> float | None:
    """Median over the rounds of ``top / bottom`` (None if one did not run).

    Both ran back to back in each round, so a change of load between rounds cancels out.
    """
    if top not in times or bottom not in times:
        return None
    return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))


def median_ms(times: dict[str, list[float]]) -> dict[str, float]:
    """``{"<name> ms": median}`` for every contender."""
    return {f"{name} ms": statistics.median(ms) for name, ms in times.items()}


def warm_up_and_agree(contenders: dict[str, Callable[[], object]]) -> None:
    """Run each contender once (caches, thread pools) and check they compute the same thing."""
    (first, reference), *others = (
        (name, np.asarray(run(), np.float32).squeeze()) for name, run in contenders.items()
    )
    for name, out in others:
        np.testing.assert_allclose(out, reference, rtol=1e-3, atol=1e-3,
                                   err_msg=f"{name} disagrees with {first}")  # fmt: skip


def sample_image(side: int, channels: int, seed: int = 0) -> np.ndarray:
    """A ``(side, side)`` grayscale or ``(3, side, side)`` RGB float32 image in [0, 1)."""
    shape = (side, side) if channels == 1 else (channels, side, side)
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def as_planes(image: np.ndarray) -> np.ndarray:
    """``(H, W)`` or ``(C, H, W)`` as ``(C, H, W)``, sharing memory."""
    return image if image.ndim == 3 else image[None]


def as_batch(image: np.ndarray) -> torch.Tensor:
    """``(H, W)`` or ``(C, H, W)`` as torch's ``(1, C, H, W)``, sharing memory."""
    return torch.from_numpy(as_planes(image))[None]


def conv_contenders(image, kernel, stride) -> dict[str, Callable[[], object]]:
    """Ours, torch's grouped conv2d and (stride 1) OpenCV, all with zero "same" padding.

    OpenCV gets the input already padded, outside the clock, twice: ``cv2`` is the same
    ``(C, Hp, Wp)`` array ours works on, filtered in one call as a ``(C * Hp, Wp)`` plane
    (windows that straddle two channels land in the rows cropped away); ``cv2_hwc`` is
    OpenCV's own ``(Hp, Wp, C)`` layout, which it filters faster when C = 3. Both filter all
    ``Hp x Wp`` positions and are cropped to ``H x W`` (2-4% more work than needed).
    """
    pad = kernel.shape[0] // 2
    batch = as_batch(image)
    channels, height, width = batch.shape[1:]
    weight = torch.from_numpy(kernel).expand(channels, 1, *kernel.shape).contiguous()
    contenders = {
        "ours": lambda: correlate2d(image, kernel, stride=stride, padding=pad),
        "torch": lambda: F.conv2d(batch, weight, stride=stride, padding=pad, groups=channels),
    }
    if stride != 1:
        return contenders
    padded = pad2d(as_planes(image), pad)  # (C, Hp, Wp)
    hwc = np.ascontiguousarray(np.moveaxis(padded, 0, -1))  # (Hp, Wp, C)

    def planar():
        filtered = cv2.filter2D(padded.reshape(-1, padded.shape[-1]), cv2.CV_32F, kernel,
                                anchor=(0, 0))  # fmt: skip
        return filtered.reshape(padded.shape)[:, :height, :width]  # views only

    def interleaved():
        filtered = cv2.filter2D(hwc, cv2.CV_32F, kernel, anchor=(0, 0))  # (Hp, Wp[, C])
        return np.moveaxis(filtered.reshape(hwc.shape), -1, 0)[:, :height, :width]

    return contenders | {"cv2": planar, "cv2_hwc": interleaved}


def conv_rows(sizes: Sizes) -> list[dict]:
    """One row per image size, colour, kernel and stride."""
    rows = []
    for side in sizes.sides:
        for channels, colour in ((1, "gray"), (3, "RGB")):
            image = sample_image(side, channels)
            for k in sizes.kernels:
                kernel = np.random.default_rng(k).standard_normal((k, k)).astype(np.float32)
                for stride in sizes.strides:
                    contenders = conv_contenders(image, kernel, stride)
                    warm_up_and_agree(contenders)
                    times = race(contenders, sizes.repeats, sizes.budget)
                    case = {"size": side, "image": colour, "k": k, "stride": stride}
                    ratios = {"ours/cv2": ratio(times, "ours", "cv2"),
                              "ours/cv2_hwc": ratio(times, "ours", "cv2_hwc"),
                              "torch/ours": ratio(times, "torch", "ours")}  # fmt: skip
                    rows.append(case | median_ms(times) | ratios)
    return rows


def loop_contenders(image, kernel) -> dict[str, Callable[[], object]]:
    """Ours and the textbook loop, 'same' zero padding."""
    pad = kernel.shape[0] // 2
    return {
        "ours": lambda: correlate2d(image, kernel, padding=pad),
        "loop": lambda: correlate2d_loop(image, kernel, padding=pad),
    }


def pool_contenders(image, batch, window, mode, torch_pool) -> dict[str, Callable[[], object]]:
    """pool2d and torch's pooling function on the same image, stride 2."""
    return {
        "ours": lambda: pool2d(image, window, stride=2, mode=mode),
        "torch": lambda: torch_pool(batch, window, stride=2),
    }


def loop_rows(sizes: Sizes) -> list[dict]:
    """The textbook loop against the fast path on one small image, gray and RGB, 3x3."""
    rows = []
    for channels, colour in ((1, "gray"), (3, "RGB")):
        image = sample_image(sizes.loop_side, channels)
        kernel = np.random.default_rng(3).standard_normal((3, 3)).astype(np.float32)
        contenders = loop_contenders(image, kernel)
        warm_up_and_agree(contenders)
        times = race(contenders, min(sizes.repeats, 3))
        case = {"size": sizes.loop_side, "image": colour, "k": 3, "stride": 1}
        rows.append(case | median_ms(times) | {"loop/ours": ratio(times, "loop", "ours")})
    return rows


def pool_rows(sizes: Sizes) -> list[dict]:
    """pool2d max and avg against torch's max_pool2d / avg_pool2d, stride 2."""
    rows = []
    for side in sizes.sides:
        for channels, colour in ((1, "gray"), (3, "RGB")):
            image = sample_image(side, channels)
            batch = as_batch(image)
            for mode, torch_pool in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
                for window in sizes.pools:
                    contenders = pool_contenders(image, batch, window, mode, torch_pool)
                    warm_up_and_agree(contenders)
                    times = race(contenders, sizes.repeats, sizes.budget)
                    case = {"size": side, "image": colour, "pool": mode,
                            "window": f"{window}x{window}", "stride": 2}  # fmt: skip
                    pooled = {"torch_pool/ours_pool": ratio(times, "torch", "ours")}
                    rows.append(case | median_ms(times) | pooled)
    return rows


def table(rows: list[dict]) -> str:
    """Rows of equal keys as aligned text columns; numbers with 2 decimals, None as '-'."""

    def cell(value) -> str:
        if value is None:
            return "-"
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    columns = list(rows[0])
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join("  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True))
                     for line in lines)  # fmt: skip


def worst(rows: list[dict], ratio: str, *, highest: bool) -> tuple[float, dict]:
    """The worst value of ``ratio`` (the highest or the lowest) and the row it comes from."""
    measured = [row for row in rows if row.get(ratio) is not None]
    pick = max if highest else min
    row = pick(measured, key=lambda r: r[ratio])
    return row[ratio], row


def where(row: dict) -> str:
    """A case in a few words: '2048 RGB k=11 stride 2'."""
    what = f"k={row['k']}" if "k" in row else f"{row['pool']} {row['window']}"
    return f"{row['size']} {row['image']} {what} stride {row['stride']}"


def verdicts(conv: list[dict], pools: list[dict]) -> list[str]:
    """One line per target: the worst case, its ratio, PASS or MISS (and a note on cv2_hwc)."""
    lines = []
    value, row = worst(conv, "ours/cv2", highest=True)
    lines.append(f"{'PASS' if value <= MAX_OURS_OVER_CV2 else 'MISS'}  fast path within "
                 f"{MAX_OURS_OVER_CV2}x of OpenCV at stride 1: worst ours/cv2 = {value:.2f} "
                 f"({where(row)})")  # fmt: skip
    value, row = worst(conv, "ours/cv2_hwc", highest=True)
    lines.append(f"note  against OpenCV on its own (H, W, C) layout instead: worst ours/cv2_hwc = "
                 f"{value:.2f} ({where(row)})")  # fmt: skip
    value, row = worst(conv, "torch/ours", highest=False)
    lines.append(f"{'PASS' if value >= MIN_TORCH_OVER_OURS else 'MISS'}  fast path at least "
                 f"{MIN_TORCH_OVER_OURS:g}x faster than torch: worst torch/ours = {value:.2f} "
                 f"({where(row)})")  # fmt: skip
    value, row = worst(pools, "torch_pool/ours_pool", highest=False)
    lines.append(f"{'PASS' if value >= MIN_TORCH_POOL_OVER_OURS else 'MISS'}  pooling at least "
                 f"as fast as torch: worst torch_pool/ours_pool = {value:.2f} "
                 f"({where(row)})")  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 repeats (for tests)")
    parser.add_argument("--repeats", type=int, help="least number of timed runs per contender")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error(f"--repeats must be at least 1, got {args.repeats}")
        sizes = replace(sizes, repeats=args.repeats)

    print(f"cnnviz bench: python {platform.python_version()}, numpy {np.__version__}, "
          f"opencv {cv2.__version__} ({cv2.getNumThreads()} threads), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads, its default), {os.cpu_count()} cores")  # fmt: skip
    print(f"at least {sizes.repeats} rounds per case after a warm-up (fast cases: until "
          f"{sizes.budget:g} s are spent); in each round every contender runs twice and the "
          "second run is timed;\nms are medians, ratios medians of the per-round ratios; only "
          "the ratios matter\n")  # fmt: skip
    with torch.inference_mode():  # each table as soon as it is measured: a full run takes minutes
        print("correlate2d (image filter: one (k, k) kernel on each channel, zero padding k//2)\n"
              "against torch conv2d (groups=C) and OpenCV filter2D on the same image padded "
              "beforehand: cv2 as (C, Hp, Wp) like ours, cv2_hwc as (Hp, Wp, C)")  # fmt: skip
        conv = conv_rows(sizes)
        print(table(conv), end="\n\n", flush=True)
        print(f"the textbook loop correlate2d_loop against the fast path ({sizes.loop_side} px "
              "only: the loop takes seconds)")  # fmt: skip
        print(table(loop_rows(sizes)), end="\n\n", flush=True)
        print("pool2d against torch max_pool2d / avg_pool2d")
        pools = pool_rows(sizes)
        print(table(pools), end="\n\n")
    print("\n".join(verdicts(conv, pools)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
