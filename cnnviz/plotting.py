"""Pictures of arrays: colour maps, marked regions, annotated grids. A leaf: numpy + matplotlib.

Big maps become uint8 RGB arrays (fast to show at any size); small grids of numbers become
matplotlib figures with the numbers written in the cells.
"""

from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")  # no screen on a server

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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
    scaled = (values - low) / max(high - low, 1e-12)
    return colour_table(cmap)[np.clip(scaled * 255 + 0.5, 0, 255).astype(np.intp)]


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


def _grid(ax, values, *, cmap, limits, highlight=None, decimals=2, title="") -> None:
    """Draw ``values`` ``(h, w)`` on ``ax`` as coloured cells with their numbers written in."""
    h, w = values.shape
    if limits is None:
        m = symmetric_limit(values)
        limits = (-m, m)
    ax.imshow(values, cmap=cmap, vmin=limits[0], vmax=limits[1])
    size = 14 if max(h, w) <= 5 else 10 if max(h, w) <= 9 else 7
    norm = plt.Normalize(*limits)
    for (i, j), v in np.ndenumerate(values):
        shade = matplotlib.colormaps[cmap](norm(v))
        dark = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.5
        ax.text(
            j,
            i,
            short_number(v, decimals),
            ha="center",
            va="center",
            fontsize=size,
            color="white" if dark else "black",
        )
    if highlight is not None:
        for i, j in zip(*np.nonzero(highlight), strict=True):
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=3, ec="#ffb000"))
    ax.set_xticks(range(w))
    ax.set_yticks(range(h))
    ax.tick_params(labelsize=9)
    if title:
        ax.set_title(title, fontsize=12)


def number_grid(
    values: np.ndarray,
    *,
    title: str = "",
    cmap: str = "RdBu_r",
    highlight: np.ndarray | None = None,
    limits: tuple[float, float] | None = None,
    decimals: int = 2,
    cell_inches: float = 0.55,
) -> Figure:
    """A heatmap of a small ``(h, w)`` array with each number written in its cell.

    ``highlight`` is an optional boolean ``(h, w)`` mask drawn with a thick outline.
    """
    values = np.asarray(values, dtype=np.float64)
    h, w = values.shape
    fig = Figure(figsize=(max(2.2, w * cell_inches + 0.6), max(1.6, h * cell_inches + 0.6)))
    _grid(
        fig.add_subplot(),
        values,
        cmap=cmap,
        limits=limits,
        highlight=highlight,
        decimals=decimals,
        title=title,
    )
    fig.tight_layout()
    return fig


def colorbar(limits: tuple[float, float], *, cmap: str = "RdBu_r", label: str = "") -> Figure:
    """A short horizontal colour scale with its numbers, to sit under a map."""
    fig = Figure(figsize=(5, 0.9))
    ax = fig.add_axes((0.05, 0.55, 0.9, 0.3))
    ax.imshow(
        np.linspace(0, 1, 256)[None], aspect="auto", cmap=cmap, extent=(limits[0], limits[1], 0, 1)
    )
    ax.set_yticks([])
    ticks = np.linspace(limits[0], limits[1], 5)
    ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks], fontsize=9)
    if label:
        ax.set_xlabel(label, fontsize=10)
    return fig


MAX_WIDTH_PX = 1400  # wider pictures are shrunk again by the browser (and by Streamlit)


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes at most ``MAX_WIDTH_PX`` wide (lowering ``dpi`` if needed)."""
    from io import BytesIO

    buffer = BytesIO()
    dpi = min(dpi, MAX_WIDTH_PX / fig.get_figwidth())
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def curves(
    x: tuple[float, ...],
    lines: dict[str, tuple[float, ...]],
    *,
    xlabel: str,
    ylabel: str,
    mark: float | None = None,
) -> Figure:
    """One line per entry of ``lines`` over ``x``, a legend naming them; ``mark``: a dashed x."""
    fig = Figure(figsize=(5.5, 3.6))
    ax = fig.add_subplot()
    for (name, y), colour in zip(lines.items(), ("#1f6feb", "#e8710a", "#2da44e"), strict=False):
        ax.plot(x, y, marker="o", lw=2.5, color=colour, label=name)
    if mark is not None:
        ax.axvline(mark, color="#555555", ls="--", lw=1)
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel(ylabel, fontsize=12)
    ax.set_xticks(x)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def kernel_gallery(
    kernels: np.ndarray, *, chosen: int | None = None, cmap: str = "RdBu_r"
) -> Figure:
    """All ``(C, kh, kw)`` kernels as small heatmaps numbered 0..C-1, ``chosen`` outlined."""
    count = len(kernels)
    cols = min(8, count)
    rows = -(-count // cols)
    fig = Figure(figsize=(cols * 0.9, rows * 1.0))
    limit = symmetric_limit(np.asarray(kernels))
    for i, kernel in enumerate(kernels):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(kernel, cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(i), fontsize=9, fontweight="bold" if i == chosen else "normal")
        if i == chosen:
            for side in ax.spines.values():
                side.set_edgecolor("#ffb000")
                side.set_linewidth(4)
    fig.tight_layout(pad=0.3)
    return fig
