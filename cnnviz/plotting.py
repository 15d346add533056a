"""Pictures of arrays: colour maps, marked regions, annotated grids. A leaf: numpy + matplotlib.

Big maps become uint8 RGB arrays (fast to show at any size); small grids of numbers become
matplotlib figures with the numbers written in the cells.
"""

from __future__ import annotations

import functools

import matplotlib
import numpy as np

# Figures are built with matplotlib.figure.Figure, never pyplot: they need no backend (the
# PNG is drawn by Agg when saved), work in any thread, and a notebook keeps its own backend.
from matplotlib.figure import Figure

# Colour-blind-safe choices: diverging maps for signed values, sequential for images.
DIVERGING_MAPS = ("RdBu_r", "PuOr_r", "coolwarm")
SEQUENTIAL_MAPS = ("gray", "viridis", "cividis", "magma")


def image_to_rgb(image: np.ndarray) -> np.ndarray:
    """``(H, W)`` or ``(3, H, W)`` floats in [0, 1] -> ``(H, W, 3)`` uint8 for display."""
    image = np.asarray(image, dtype=np.float32)
    rgb = np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image.transpose(1, 2, 0)
    return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def symmetric_limit(values: np.ndarray) -> float:
    """Largest absolute value (at least a tiny number), so 0 sits in the middle of the scale."""
    finite = np.abs(values[np.isfinite(values)])
    return float(max(finite.max(initial=0.0), 1e-6))


def percentile_limit(values: np.ndarray, percentile: float = 99) -> float:
    """The size from which a number is shown at full colour: the ``percentile`` of the sizes
    (a few strong edges would leave every other one pale), or the largest when that is 0."""
    high = float(np.percentile(np.abs(values), percentile))
    return high if high > 0 else symmetric_limit(values)


def colorize(
    values: np.ndarray,
    *,
    cmap: str = "RdBu_r",
    limits: tuple[float, float] | None = None,
) -> np.ndarray:
    """Map an ``(H, W)`` array to ``(H, W, 3)`` uint8 colours.

    Default limits are ``(-m, m)`` with ``m`` the largest absolute value: white (for RdBu_r)
    means 0, red positive, blue negative.
    """
    values = np.asarray(values, dtype=np.float32)
    if limits is None:
        m = symmetric_limit(values)
        limits = (-m, m)
    low, high = limits
    with np.errstate(over="ignore", invalid="ignore"):  # near 3e38: inf, clipped below
        scaled = (values - low) / max(high - low, 1e-12)
        index = np.nan_to_num(scaled * 255 + 0.5, nan=128.0)  # no number: the middle colour
    return colour_table(cmap)[np.clip(index, 0, 255).astype(np.intp)]


@functools.cache
def colour_table(cmap: str) -> np.ndarray:
    """The 256 colours of ``cmap`` as uint8 ``(256, 3)``, read-only (built once per name)."""
    table = (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    table.flags.writeable = False
    return table


def mark_box(
    rgb: np.ndarray,
    top: int,
    left: int,
    height: int,
    width: int,
    *,
    color=(255, 200, 0),
    thickness: int = 1,
) -> np.ndarray:
    """Copy of ``(H, W, 3)`` ``rgb`` with a rectangle outline; parts outside are clipped."""
    out = rgb.copy()
    h, w = out.shape[:2]
    for t in range(thickness):
        r0, r1, c0, c1 = top - t, top + height - 1 + t, left - t, left + width - 1 + t
        rows, cols = slice(max(r0, 0), min(r1 + 1, h)), slice(max(c0, 0), min(c1 + 1, w))
        for r in (r0, r1):
            if 0 <= r < h:
                out[r, cols] = color
        for c in (c0, c1):
            if 0 <= c < w:
                out[rows, c] = color
    return out


def enlarge(rgb: np.ndarray, min_side: int = 240) -> np.ndarray:
    """Repeat pixels so a tiny map is at least ``min_side`` pixels: blocks stay sharp."""
    factor = max(1, int(np.ceil(min_side / max(1, min(rgb.shape[:2])))))
    factor = min(factor, max(1, 1200 // max(rgb.shape[:2])))
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)


TINY = 1e-3  # smaller numbers are rounding noise (-0.0001 -> 0); larger ones keep 2 digits


def short_number(value: float, decimals: int) -> str:
    """``0.50`` -> ``0.5``, ``-0.0001`` -> ``0``, ``1/256`` -> ``0.0039``: numbers as a student
    writes them. A number that ``decimals`` would round to 0 keeps two significant digits
    unless it is below ``TINY``.
    """
    if not np.isfinite(value):
        return "?"
    text = f"{value:.{decimals}f}"
    if float(text) == 0 and abs(value) >= TINY:
        text = f"{value:.2g}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


MAX_WIDTH_PX = 1400  # wider pictures are shrunk again by the browser (and by Streamlit)


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes at most ``MAX_WIDTH_PX`` wide (lowering ``dpi`` if needed)."""
    from io import BytesIO

    buffer = BytesIO()
    dpi = min(dpi, MAX_WIDTH_PX / fig.get_figwidth())
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
