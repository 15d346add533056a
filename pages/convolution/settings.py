"""Convolution page pieces: the settings, the size formula, and the step-through."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import KERNELS, PADDING_MODES, images, pad2d, same_padding
from cnnviz.grids import grid_html
from cnnviz.padding import MODES
from cnnviz.plotting import colorize, image_to_rgb, symmetric_limit
from cnnviz.shapes import leftover, size_formula
from ui import address, cache, linked, views
from ui.cache import PictureKey


@dataclass(frozen=True)
class OutputPicture:
    picture: np.ndarray  # (H', W', 3) uint8
    legend: str  # how the numbers became colours
    limits: tuple[float, float] | None  # signed scale, for a colour bar


def shrunk(values: np.ndarray, largest: int | None) -> np.ndarray:
    """``(H, W)`` or ``(C, H, W)`` values averaged down so the longer side is at most
    ``largest`` (None: unchanged), for a picture only: the numbers stay at full size."""
    if largest is None or max(values.shape[-2:]) <= largest:
        return values
    return images.downscale(values, largest)


# An output in 0..1 whose largest value is below this is stretched to full brightness.
STRETCH_BELOW = 0.5


def output_picture(out: np.ndarray, cmap: str, largest: int | None = None) -> OutputPicture:
    """Pick how to show an output: as a picture when it is in 0..1, else signed colours.

    ``largest`` shrinks the values before they become colours (cheaper than colouring every
    pixel of a big output and shrinking the picture); the colour scale still comes from all
    of ``out``.
    """
    low, high = float(out.min()), float(out.max())
    small = shrunk(out, largest)
    if low >= 0 and 0 < high < STRETCH_BELOW:  # e.g. Emboss + ReLU: almost black as it is
        return OutputPicture(
            image_to_rgb(small / np.float32(high)),
            f"All values are between 0 and {high:.3g}: too dark to see as they are, so the "
            f"picture is stretched: black is 0 and {high:.3g} is white. Hover a pixel for "
            "its exact number.",
            None,
        )
    if low >= 0 and high <= 1:
        return OutputPicture(
            image_to_rgb(small),
            "All values are between 0 and 1: shown as a picture, black is 0 and white is 1.",
            None,
        )
    if out.ndim == 3:
        return OutputPicture(
            image_to_rgb(small),
            "Each colour channel is shown as a picture: values below 0 look black and above 1 "
            "look full colour. Hover a pixel for its exact number.",
            None,
        )
    m = symmetric_limit(out)
    return OutputPicture(
        colorize(small, cmap=cmap, limits=(-m, m)),
        "Negative numbers are blue, positive red, zero white: the stronger the colour, the "
        "bigger the number.",
        (-m, m),
    )


@dataclass(frozen=True)
class ConvSettings:
    """Everything the user set besides the image and the kernel."""

    stride: tuple[int, int]  # (rows, columns) the window jumps
    padding: tuple[int, int, int, int]  # (top, bottom, left, right) pixels added
    padding_mode: str  # one of PADDING_MODES
    dilation: tuple[int, int]  # gap between kernel cells: 1 means none
    bias: float  # added after the sum
    relu: bool  # keep only positive outputs
    flip: bool  # true convolution: rotate the kernel by 180 degrees first

    def options(self) -> dict:
        """Keyword arguments for ``cnnviz.correlate2d``."""
        return {
            "stride": self.stride,
            "padding": self.padding,
            "padding_mode": self.padding_mode,
            "dilation": self.dilation,
            "bias": self.bias,
        }


# The Convolution page's settings in the address (widgets read their limits from here).
COLOUR_MODE = address.Choice(
    "conv.colour_mode",
    "On a colour picture",
    ("filter", "layer"),
    "filter",
    {
        "filter": "Same kernel on each colour (a photo filter)",
        "layer": "One kernel per colour, summed (a CNN layer)",
    }.get,
)
STRIDE = (
    address.Whole("conv.stride_h", "Stride down", 1, 16, 1, help="Rows the window jumps."),
    address.Whole("conv.stride_w", "Stride across", 1, 16, 1, help="Columns it jumps."),
)
PAD = address.Choice(
    "conv.pad",
    "Padding",
    ("valid", "same", "custom"),
    "valid",
    {"valid": "Valid (none)", "same": "Same size", "custom": "Custom"}.get,
    help="Valid: no padding. Same: enough to keep the size when the stride is 1.",
)
SIDES = tuple(  # (top, bottom, left, right) when the padding is custom
    address.Whole(f"conv.pad_{side[0].lower()}", side, 0, 64, 1)
    for side in ("Top", "Bottom", "Left", "Right")
)
DILATION = (
    address.Whole("conv.dil_h", "Dilation down", 1, 8, 1, help="Gap between kernel rows."),
    address.Whole("conv.dil_w", "Dilation across", 1, 8, 1),
)
MODE = address.Choice(
    "conv.mode",
    "Padding mode",
    PADDING_MODES,
    PADDING_MODES[0],
    help="What the frame of padding is made of. Choose some padding above to use it.",
)
BIAS = address.Decimal("conv.bias", "Bias (added after the sum)", -10.0, 10.0, 0.0, 0.1)
RELU = address.Switch(
    "conv.relu",
    "ReLU",
    help="Rectified linear unit: negative outputs become 0, positive ones stay.",
)
FLIP = address.Switch(
    "conv.flip",
    "Flip kernel",
    help="True convolution: maths rotates the kernel by 180 degrees first; CNN layers don't.",
)
COMPARE_OPEN = address.Switch("conv.open.compare", "Compare with a second kernel")
COMPARE = address.Choice(
    "conv.compare", "Second kernel", tuple(KERNELS), next(iter(KERNELS)), lambda k: KERNELS[k].title
)
PARAMS = (
    COLOUR_MODE,
    *STRIDE,
    PAD,
    *SIDES,
    *DILATION,
    MODE,
    BIAS,
    RELU,
    FLIP,
    COMPARE_OPEN,
    COMPARE,
)


@dataclass(frozen=True)
class Window:
    """The controls a teacher changes most: how far the window jumps, and the padding."""

    stride: tuple[int, int]  # (rows, columns)
    shortcut: str  # "valid", "same" or "custom"
    custom: tuple[int, int, int, int]  # (top, bottom, left, right) when "custom"


def window_panel() -> Window:
    """Stride and padding (shortcuts, or each side), for the first screen."""
    stride = tuple(address.number(s, c) for s, c in zip(STRIDE, st.columns(2), strict=True))
    shortcut = address.choice(PAD, "segmented_control")
    custom = (0, 0, 0, 0)
    if shortcut == "custom":
        custom = tuple(address.number(s, c) for s, c in zip(SIDES, st.columns(4), strict=True))
    return Window(stride, shortcut or "valid", custom)


def settings_panel(kernel_shape: tuple[int, int], window: Window) -> ConvSettings:
    """Dilation, padding mode, bias, ReLU and flip; with ``window``, every setting."""
    dilation = tuple(address.number(d, c) for d, c in zip(DILATION, st.columns(2), strict=True))
    if window.shortcut == "custom":
        padding = window.custom
    elif window.shortcut == "same":
        padding = (
            *same_padding(kernel_shape[0], dilation=dilation[0]),
            *same_padding(kernel_shape[1], dilation=dilation[1]),
        )
    else:
        padding = (0, 0, 0, 0)
    mode = address.choice(MODE, "selectbox", disabled=max(padding) == 0)
    st.caption(f"**{mode}** {MODES[mode].words}")
    bias = address.number(BIAS)
    c1, c2 = st.columns(2)
    relu = address.switch(RELU, c1)
    flip = address.switch(FLIP, c2)
    return ConvSettings(window.stride, padding, mode, dilation, float(bias), bool(relu), bool(flip))


def why_not(error: ValueError, s: ConvSettings) -> str:
    """The reason settings failed together, as a sentence with what to change."""
    text = str(error)
    text = text[:1].upper() + text[1:].rstrip(".") + "."
    if MODES[s.padding_mode].within is not None and "padding asks for" in text:
        free = " or ".join(name for name, mode in MODES.items() if mode.within is None)
        text += (
            f" Lower the padding, make the working size larger, or choose {free} padding, "
            "which can add any amount."
        )
    return text


def mode_pictures() -> None:
    """A tiny 4x4 grid padded by 2 in each mode, numbers visible."""
    grid = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    pairs = [PADDING_MODES[i : i + 2] for i in range(0, len(PADDING_MODES), 2)]
    placed = [  # rows of two: the numbers stay large
        (column, mode)
        for modes in pairs
        for column, mode in zip(st.columns(2), modes, strict=False)  # the last row may hold one
    ]
    for column, mode in placed:
        padded = pad2d(grid, 2, mode=mode)
        inside = np.zeros_like(padded, bool)
        inside[2:-2, 2:-2] = True
        column.html(
            grid_html(
                padded, title=mode, cmap="cividis", limits=(0, 16), decimals=0, highlight=inside
            )
        )
        column.caption(MODES[mode].words)


def formula(height: int, width: int, kh: int, kw: int, s: ConvSettings) -> tuple[int, int] | None:
    """Show the output-size formula with the numbers; explain instead when nothing fits."""
    top, bottom, left, right = s.padding
    try:
        rows = size_formula(
            height, kh, stride=s.stride[0], padding=(top, bottom), dilation=s.dilation[0]
        )
        cols = size_formula(
            width, kw, stride=s.stride[1], padding=(left, right), dilation=s.dilation[1]
        )
    except ValueError as why:
        st.warning(f"**No output with these settings.** {why}", icon=":material/lightbulb:")
        return None
    st.markdown(
        "**Output size** = ⌊(input + padding before + padding after − dilation×(kernel − 1) − 1)"
        " / stride⌋ + 1"
    )
    st.markdown(f"- Height: {rows}\n- Width: {cols}")
    out_h, out_w = int(rows.rsplit("= ", 1)[1]), int(cols.rsplit("= ", 1)[1])
    left_rows = leftover(
        height, kh, stride=s.stride[0], padding=(top, bottom), dilation=s.dilation[0]
    )
    left_cols = leftover(
        width, kw, stride=s.stride[1], padding=(left, right), dilation=s.dilation[1]
    )
    if left_rows or left_cols:
        st.info(
            f"The ⌊ ⌋ rounds down: {left_rows} row(s) at the bottom and {left_cols} column(s) "
            "at the right of the padded input are never reached by a window, so they don't "
            "count (hatched purple along the bottom and right edge of the input).",
            icon=":material/crop:",
        )
    return out_h, out_w


def reached(height: int, width: int, kernel_shape, s: ConvSettings) -> tuple[int, int]:
    """Rows and columns of the padded input that some window covers (the rest is left over)."""
    top, bottom, left, right = s.padding
    out = []
    for n, k, st_, d, before, after in [
        (height, kernel_shape[0], s.stride[0], s.dilation[0], top, bottom),
        (width, kernel_shape[1], s.stride[1], s.dilation[1], left, right),
    ]:
        out.append(
            n + before + after - leftover(n, k, stride=st_, padding=(before, after), dilation=d)
        )
    return out[0], out[1]


def flip_lesson(key: PictureKey, image: np.ndarray, kernel: np.ndarray, s: ConvSettings) -> None:
    """Cross-correlation against true convolution on the current kernel, with the difference."""
    as_typed = kernel if not s.flip else kernel[..., ::-1, ::-1]
    flipped = as_typed[..., ::-1, ::-1]
    left, middle, right = st.columns(3)
    first = as_typed if as_typed.ndim == 2 else as_typed[0]
    left.html(grid_html(first, title="The kernel as typed"))
    second = flipped if flipped.ndim == 2 else flipped[0]
    middle.html(grid_html(second, title="Rotated by 180°"))
    options = {**s.options(), "bias": 0.0}
    try:
        a = cache.correlate(key, image, np.ascontiguousarray(as_typed), **options)
        b = cache.correlate(key, image, np.ascontiguousarray(flipped), **options)
    except ValueError:
        return
    gap = float(np.abs(a - b).max())
    with right:
        st.markdown(
            "A CNN layer computes **cross-correlation**: it lays the kernel on the picture as "
            "typed. Mathematics' **convolution** rotates the kernel by 180° first. The switch "
            "*Flip kernel* above chooses."
        )
        if gap < 1e-6:
            st.info(
                "This kernel looks the same rotated, so both give the same output. Try "
                "Sobel x or Emboss to see a difference."
            )
        else:
            st.warning(
                f"Here the two outputs differ by up to {gap:.4f}: for this kernel the "
                "choice matters (Sobel x even changes sign)."
            )


def learned_kernels() -> dict[str, np.ndarray | None]:
    """First-layer kernels of each shipped network, by title; None where the file is damaged."""
    from cnnviz.weights import MODEL_NAMES, WeightsError
    from ui import models

    found: dict[str, np.ndarray | None] = {}
    for name in MODEL_NAMES:
        try:
            found[f"Trained on {models.SUBJECTS[name]}"] = models.first_layer_kernels(name)
        except WeightsError:
            found[f"Trained on {models.SUBJECTS[name]}"] = None
    return found


# In the server's one budget, shared by the class and never copied: read-only bytes.
@cache.budgeted("linked")
def padded_floats(key: PictureKey, _image: np.ndarray, padding, mode: str) -> linked.Floats:
    """The padded working image named by ``key``: the numbers the browser explains."""
    return linked.Floats.of(pad2d(_image, padding, mode=mode))


@cache.budgeted("linked")
def input_png(key: PictureKey, _image: np.ndarray, padding, mode: str, used) -> linked.Png:
    """The padded input tinted (orange padding, purple never reached), shrunk to display."""
    rgb = views.padded_picture(key, _image, padding, mode, used)
    return linked.Png.of(views.fit(rgb, enlarge=False, largest=linked.LARGEST)[0])


@cache.budgeted("linked")
def output_png(key: tuple, _out: np.ndarray, cmap: str) -> tuple[linked.Png, str, tuple | None]:
    """The output named by ``key`` (picture, kernel, settings) as the browser draws it, its
    legend and its colour scale."""
    shown = output_picture(_out, cmap, largest=linked.LARGEST)
    return linked.Png.of(shown.picture), shown.legend, shown.limits
