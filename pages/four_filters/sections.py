"""Four filters' sections: the maps of every stage, cached, and the grid that shows them."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz import KERNELS
from cnnviz.filter_bank import EDGE_FILTERS, BankStages, filter_bank
from cnnviz.grids import grid_html
from cnnviz.images import to_grayscale
from cnnviz.plotting import colorize, image_to_rgb, percentile_limit
from ui import cache, views
from ui.cache import PictureKey

WINDOW = 2  # max pooling 2 x 2, stride 2: the block a CNN repeats
FEATURE_MAP = "magma"  # dark = 0, bright = strong response (as on the Pooling page)
SIGNED = "RdBu_r"  # blue negative, white 0, red positive
WIDTHS = [0.8, 1, 1, 1, 1]  # the row's name, then one column per filter
FULL_COLOUR = 99  # percentile: the strongest 1 % of the numbers are shown at full colour


def limit(values: np.ndarray) -> float:
    """The size from which a number is shown at full colour (see ``percentile_limit``)."""
    return percentile_limit(values, FULL_COLOUR)


# Each filter's short name on the grid, and what it looks for in the words of a class.
NAMES = {
    "vertical_edge": ("Vertical", "dark on the left, bright on the right"),
    "vertical_edge_negative": ("Vertical, negative", "bright on the left, dark on the right"),
    "horizontal_edge": ("Horizontal", "dark above, bright below"),
    "horizontal_edge_negative": ("Horizontal, negative", "bright above, dark below"),
}
GRID = "sharp-four-filters"  # the grid's container (views.sharp_pixels adds the prefix)
# On a phone Streamlit stacks columns one per line: the four maps of a row would be 4 screens
# long. There the row's name takes the whole width and the maps go two by two.
PHONE_CSS = """
<style>
  @media (max-width: 640px) {
    .st-key-sharp-four-filters [data-testid="stHorizontalBlock"] {
      flex-direction: row !important; flex-wrap: wrap !important; }
    .st-key-sharp-four-filters [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
      flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important;
      width: calc(50% - 0.5rem) !important; }
    .st-key-sharp-four-filters [data-testid="stHorizontalBlock"]
      > [data-testid="stColumn"]:first-child {
      flex-basis: 100% !important; min-width: 100% !important; width: 100% !important; }
  }
</style>
"""


@cache.budgeted("filters")
def maps(key: PictureKey, _pixels: np.ndarray) -> tuple[np.ndarray, BankStages]:
    """The working image named by ``key`` in grey ``(H, W)``, and the four filters' stages."""
    grey = np.ascontiguousarray(to_grayscale(_pixels), dtype=np.float32)
    return grey, filter_bank(grey, EDGE_FILTERS, window=WINDOW)


@cache.budgeted("picture")
def pictures(key: PictureKey, _stages: BankStages) -> tuple[tuple[np.ndarray, ...], ...]:
    """RGB of every map, one row per stage, each row on one scale shared by the four: the
    convolutions blue (negative) to red, ReLU and pooling dark (0) to bright."""
    m, top = limit(_stages.conv), limit(_stages.relu)
    return (
        tuple(_shown(colorize(c, cmap=SIGNED, limits=(-m, m))) for c in _stages.conv),
        tuple(_shown(colorize(r, cmap=FEATURE_MAP, limits=(0.0, top))) for r in _stages.relu),
        tuple(_shown(colorize(p, cmap=FEATURE_MAP, limits=(0.0, top))) for p in _stages.pooled),
    )


def _shown(rgb: np.ndarray) -> np.ndarray:
    return views.fit(rgb, enlarge=False)[0]  # a huge map shrunk for the browser only


def _row(label: str, explanation: str) -> list:
    """A row of the grid: its name in the first column, then one column per filter."""
    first, *rest = st.columns(WIDTHS, gap="small")
    first.markdown(f"**{label}**")
    first.caption(explanation)
    return rest


def grid(key: PictureKey, grey: np.ndarray, stages: BankStages) -> None:
    """Filters as columns (their numbers on top), stages as rows: conv, ReLU, pooling; one
    colour scale per row, said under the grid."""
    convs, relus, pools = pictures(key, stages)
    st.html(PHONE_CSS)
    with views.sharp_pixels(st, GRID.removeprefix("sharp-")):
        first, *head = st.columns(WIDTHS, gap="small")
        views.show(first, _shown(image_to_rgb(grey)), caption=f"Grey: {views.shape_text(grey)}")
        for column, name in zip(head, EDGE_FILTERS, strict=True):
            short, looks_for = NAMES[name]
            column.html(grid_html(KERNELS[name].weights, decimals=0))  # all 4 x 4: aligned
            column.markdown(f"**{short}**: {looks_for}.")
        _stage("1. After the convolution", "Blue: negative, red: positive, white: 0.", convs,
               stages.conv)  # fmt: skip
        _stage("2. After ReLU", "Every negative number becomes 0 (black).", relus, stages.relu)
        _stage(
            f"3. After max pooling {WINDOW} × {WINDOW}",
            f"The largest number of each {WINDOW} × {WINDOW} window: a quarter of the numbers.",
            pools,
            stages.pooled,
        )
    m, top = limit(stages.conv), limit(stages.relu)
    st.caption(
        f"Each row has one colour scale for all four filters. Convolution: full blue or red "
        f"from ±{m:.3g} on (the strongest number is {float(np.abs(stages.conv).max()):.3g}). "
        f"ReLU and pooling: black is 0, bright yellow {top:.3g} or more. The pooled maps are "
        "blown up to the same size: each square is one number."
    )


def _stage(label: str, explanation: str, rgbs, values: np.ndarray) -> None:
    for column, name, rgb, plane in zip(
        _row(label, explanation), EDGE_FILTERS, rgbs, values, strict=True
    ):
        views.show(column, rgb, caption=f"{NAMES[name][0]}: {views.shape_text(plane)}")


def shapes(grey: np.ndarray, stages: BankStages) -> None:
    """The shapes of every stage, and how many numbers pooling leaves, as one line of text."""
    kh, kw = KERNELS[EDGE_FILTERS[0]].weights.shape
    conv, pooled = stages.conv[0], stages.pooled[0]
    before, after = conv.size, pooled.size
    st.markdown(
        f"**Shapes:** grey picture `{views.shape_text(grey)}` → each {kh} × {kw} filter, no "
        f"padding → `{views.shape_text(conv)}` → ReLU → `{views.shape_text(conv)}` → max "
        f"pooling {WINDOW} × {WINDOW}, stride {WINDOW} → `{views.shape_text(pooled)}`: "
        f"{after:,} of {before:,} numbers per map are left ({after / before:.1%}). Four "
        f"filters make four maps: `{views.shape_text(stages.pooled)}` in all."
    )


def numbers(stages: BankStages) -> None:
    """Per filter: the extremes after the convolution, what ReLU keeps, pooling's numbers."""
    rows = [
        "| Filter | Smallest after convolution | Largest after convolution "
        "| Numbers ReLU keeps (above 0) | Largest after pooling | Mean after pooling |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, conv, relu, pooled in zip(EDGE_FILTERS, *stages, strict=True):
        kept = float((relu > 0).mean())
        rows.append(
            f"| {KERNELS[name].title} | {conv.min():.4f} | {conv.max():.4f} | {kept:.1%} "
            f"| {pooled.max():.4f} | {pooled.mean():.4f} |"
        )
    st.markdown("\n".join(rows))
