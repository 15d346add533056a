"""Pooling page pieces: settings, the map to pool, side by side, one window by hand, repeated
pooling, the convolution -> ReLU -> pooling pipeline, the shift test and the question."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import streamlit as st

from cnnviz import KERNELS, correlate2d
from cnnviz.charts import line_chart_svg
from cnnviz.images import to_grayscale
from cnnviz.invariance import DIRECTIONS, ShiftEffect, shift_effects
from cnnviz.plotting import colorize, image_to_rgb
from cnnviz.pooling import max_padding
from cnnviz.questions import draw_pool_map, draw_pool_shape, draw_pool_window, pool_formula
from cnnviz.shapes import leftover, output_size
from ui import address, cache, linked, quiz, theme, views
from ui.cache import PictureKey

MODES = {"max": "Max pooling", "avg": "Average pooling"}
SOURCES = {"picture": "The picture itself", "feature": "A feature map (convolution + ReLU)"}
ARROWS = {"right": "→ right", "down": "↓ down", "diagonal": "↘ diagonal"}
REPEATS = 4  # poolings in a row
MAX_SHIFT = 8  # pixels the shift test goes up to
CHANNELS = ("red", "green", "blue")
FEATURE_MAP = "magma"  # dark = 0, bright = strong response

# The Pooling page's settings in the address (widgets read their limits from here).
WHAT = address.Choice("pool.what", "What to pool", tuple(SOURCES), "picture", SOURCES.get)
KERNEL = address.Choice(
    "pool.kernel",
    "Kernel for the convolution",
    tuple(KERNELS),
    "sobel_x",
    lambda k: KERNELS[k].title,
    help="Used for the feature map, the pipeline and the shift test below.",
)
WINDOW = (  # height, width, stride down, stride across, padding rows, padding columns
    address.Whole("pool.kh", "Window height", 1, 16, 2, help="Rows in each window."),
    address.Whole("pool.kw", "Window width", 1, 16, 2, help="Columns in each window."),
    address.Whole("pool.sh", "Stride down", 1, 16, 2,
                  help="Rows the window jumps; usually the window height."),
    address.Whole("pool.sw", "Stride across", 1, 16, 2,
                  help="Columns the window jumps; usually the width."),
    address.Whole("pool.ph", "Padding top and bottom", 0, 8, 0,
                  help="Rows added above and below (at most half the window height). "
                  "Padding never wins a max."),
    address.Whole("pool.pw", "Padding left and right", 0, 8, 0,
                  help="Columns added left and right (at most half the window width). "
                  "Average pooling counts padding as 0."),
)  # fmt: skip
MODE = address.Choice(
    "pool.mode",
    "Pooling used below",
    tuple(MODES),
    "max",
    MODES.get,
    help="Max keeps the largest number of each window; average keeps their mean.",
)
SHIFT = address.Whole("pool.shift", "Shift the picture by (pixels)", 1, MAX_SHIFT, 1)
DIRECTION = address.Choice(
    "pool.direction", "Direction", tuple(DIRECTIONS), next(iter(DIRECTIONS)), ARROWS.get
)
PARAMS = (WHAT, KERNEL, *WINDOW, MODE, SHIFT, DIRECTION)


@dataclass(frozen=True)
class PoolSettings:
    """The window and how it moves."""

    size: tuple[int, int]  # window (rows, columns)
    stride: tuple[int, int]  # (rows, columns) the window jumps
    padding: tuple[int, int]  # rows added at top and bottom, columns at left and right
    mode: str  # "max" or "avg": for the hand check, the repeats, the pipeline and the shift test

    def options(self, mode: str | None = None) -> dict:
        """Keyword arguments for ``cnnviz.pool2d``."""
        return {"stride": self.stride, "padding": self.padding, "mode": mode or self.mode}

    def text(self) -> str:
        (kh, kw), (sh, sw), (ph, pw) = self.size, self.stride, self.padding
        return f"{kh} × {kw} window, stride {sh} × {sw}, padding {ph} × {pw}"


def _shape(array: np.ndarray) -> str:
    return views.shape_text(array)


def source_panel() -> tuple[str, str]:
    """What gets pooled, and the kernel used for feature maps, the pipeline and the shift test."""
    what = address.choice(WHAT, "radio")
    kernel = address.choice(KERNEL, "selectbox")
    st.caption(KERNELS[kernel].explanation)
    return what, kernel


def settings_panel() -> PoolSettings:
    """Window, stride, padding and the pooling used in the sections below."""
    columns = st.columns(2) * 3  # left, right, left, right, ...
    kh, kw, sh, sw, ph, pw = (
        int(address.number(param, where)) for param, where in zip(WINDOW, columns, strict=True)
    )
    mode = address.choice(MODE, "segmented_control")
    return PoolSettings((kh, kw), (sh, sw), (ph, pw), mode or "max")


def problem(height: int, width: int, s: PoolSettings) -> str | None:
    """A plain sentence when these settings cannot pool a ``height x width`` map, else None."""
    (kh, kw), (ph, pw), most = s.size, s.padding, max_padding(s.size)
    if ph > most[0] or pw > most[1]:
        return (
            f"**The padding is more than half the window.** A {kh} × {kw} window allows at "
            f"most {most[0]} row(s) and {most[1]} column(s) of padding on each side; more would "
            "make windows that see nothing but padding. Lower the padding or widen the window."
        )
    try:
        output_size(height, kh, stride=s.stride[0], padding=ph)
        output_size(width, kw, stride=s.stride[1], padding=pw)
    except ValueError:
        return (
            f"**The window does not fit.** A {kh} × {kw} window is larger than the "
            f"{height} × {width} map plus its padding ({ph} × {pw} on each side), so no window "
            "fits even once. Use a smaller window, or a larger working size in the sidebar."
        )
    return None


def formula(height: int, width: int, s: PoolSettings) -> tuple[int, int]:
    """Show the output-size formula with the user's numbers; returns the output size."""
    (kh, kw), (sh, sw), (ph, pw) = s.size, s.stride, s.padding
    st.markdown(
        "**Output size** = ⌊(input + padding before + padding after − window) / stride⌋ + 1"
    )
    st.markdown(
        f"- Height: {pool_formula(height, kh, stride=sh, padding=ph)}\n"
        f"- Width: {pool_formula(width, kw, stride=sw, padding=pw)}"
    )
    rows = leftover(height, kh, stride=sh, padding=ph)
    cols = leftover(width, kw, stride=sw, padding=pw)
    if rows or cols:
        st.info(
            f"The ⌊ ⌋ rounds down: {rows} row(s) at the bottom and {cols} column(s) at the "
            "right are never inside a window, so pooling drops them.",
            icon=":material/crop:",
        )
    return output_size(height, kh, stride=sh, padding=ph), output_size(
        width, kw, stride=sw, padding=pw
    )


# --- the map to pool ---------------------------------------------------------------------------


@cache.budgeted("pool-map")
def grey(key: PictureKey, _pixels: np.ndarray) -> np.ndarray:
    """The working image as one grey channel ``(H, W)``."""
    return np.ascontiguousarray(to_grayscale(_pixels), dtype=np.float32)


@cache.budgeted("pool-map")
def convolved(key: PictureKey, _grey: np.ndarray, kernel: str) -> np.ndarray:
    """Valid convolution of the grey image with a preset kernel: ``(H - kh + 1, W - kw + 1)``."""
    return correlate2d(_grey, KERNELS[kernel].weights)


@dataclass(frozen=True)
class MapKey:
    """Names a map the page pools by where it came from: the shared cache's key for it."""

    picture: PictureKey  # the working picture's key (its content and size)
    kernel: str | None = None  # the preset convolved before ReLU; None: the picture itself
    channel: int | None = None  # one colour channel; None: all of them
    poolings: int = 0  # pooled this many times before, with the settings of this pooling

    def one_channel(self, index: int | None) -> MapKey:
        return replace(self, channel=index)

    def pooled(self) -> MapKey:
        return replace(self, poolings=self.poolings + 1)


def working_map(picked, what: str, kernel: str) -> tuple[np.ndarray, MapKey, bool]:
    """``(values, its key, is a feature map)``: the picture, or its convolution after ReLU."""
    if what == "picture":
        return picked.pixels, MapKey(picked.key), False
    conv = convolved(picked.key, grey(picked.key, picked.pixels), kernel)
    return np.maximum(conv, 0), MapKey(picked.key, kernel), True


@cache.budgeted("picture")
def picture(values: np.ndarray, top: float | None) -> np.ndarray:
    """RGB of a map: a photo as it is, a feature map dark (0) to bright (``top``); coloured
    once per content (thirty students pool the same maps: hashing costs less than colouring)."""
    if top is None:
        return image_to_rgb(values)
    return colorize(values, cmap=FEATURE_MAP, limits=(0.0, max(float(top), 1e-6)))


def show_map(where, rgb: np.ndarray, caption: str) -> None:
    """A map filling its column, shrunk if huge; inside ``views.sharp_pixels`` a small one is
    enlarged with square pixels (one per number)."""
    views.show(where, views.fit(rgb, enlarge=False)[0], caption=caption)


def legend(top: float | None) -> str:
    if top is None:
        return "Shown as a picture: black is 0, white is 1."
    return f"Feature map colours: black is 0, bright yellow is {top:.3g} (the largest value)."


# --- 4. side by side ---------------------------------------------------------------------------


def side_by_side(key: MapKey, values: np.ndarray, s: PoolSettings, top: float | None) -> None:
    """The map, its max pooling and its average pooling, same display size, with shapes."""
    pooled = {m: cache.pool(key, values, s.size, **s.options(m)) for m in MODES}
    columns = views.sharp_pixels(st, "pool-side").columns(3)
    show_map(columns[0], picture(values, top), f"Before: {_shape(values)}")
    for column, (m, out) in zip(columns[1:], pooled.items(), strict=True):
        show_map(column, picture(out, top), f"{MODES[m]}: {_shape(out)}")
    st.caption(
        legend(top) + " The smaller maps are blown up to the same size: each square is one number."
    )
    before, after = (
        values.shape[-2] * values.shape[-1],
        pooled["max"].shape[-2] * pooled["max"].shape[-1],
    )
    st.markdown(
        f"**Shapes:** before `{_shape(values)}` → max pooling `{_shape(pooled['max'])}`, "
        f"average pooling `{_shape(pooled['avg'])}` ({s.text()}): {after:,} of {before:,} "
        f"numbers per channel are left ({after / before:.1%})."
    )
    st.markdown(
        f"**Mean value:** before {values.mean():.4f}, after max pooling "
        f"{pooled['max'].mean():.4f}, after average pooling {pooled['avg'].mean():.4f}. Max "
        "pooling keeps the strongest number of each window, so bright details survive and the "
        "map gets brighter; average pooling blends each window, so it looks like a blurred, "
        "smaller copy."
    )


# --- 2. one window by hand ---------------------------------------------------------------------


def linked_windows(key: MapKey, values: np.ndarray, s: PoolSettings, top: float | None) -> None:
    """The map and its pooled map, linked in the browser: hover a pooled cell to see its
    window, its numbers and the winner (max) or the mean (average)."""
    plane, index = values, None
    if values.ndim == 3:
        index = st.radio(
            "Colour channel",
            [0, 1, 2],
            key="pool.channel",
            horizontal=True,
            format_func=CHANNELS.__getitem__,
            persist_state="session",
        )
        plane = values[index]
    pooled = cache.pool(key.one_channel(index), plane, s.size, **s.options())
    (ph, pw), mode = s.padding, MODES[s.mode].lower()
    framed = np.pad(picture(plane, top), ((ph, ph), (pw, pw), (0, 0)))
    framed[:ph], framed[framed.shape[0] - ph :] = views.PADDING_TINT, views.PADDING_TINT
    framed[:, :pw], framed[:, framed.shape[1] - pw :] = views.PADDING_TINT, views.PADDING_TINT
    channel = "" if index is None else f", {CHANNELS[index]} channel"
    linked.pool_view(
        "pool.linked",
        plane=plane,
        plane_rgb=views.fit(framed, enlarge=False)[0],
        output_rgb=views.fit(picture(pooled, top), enlarge=False)[0],
        output_shape=pooled.shape,
        size=s.size,
        stride=s.stride,
        padding=s.padding,
        mode=s.mode,
        limits=(0.0, 1.0) if top is None else (0.0, max(float(top), 1e-6)),
        cmap="gray" if top is None else FEATURE_MAP,
        captions={
            "input_title": "Before",
            "input": f"{_shape(plane)}{channel}" + (" (orange frame: padding)" if ph or pw else ""),
            "output_title": f"After {mode}",
            "output": f"{_shape(pooled)}: hover or tap a cell",
        },
    )


# --- 5. again and again ------------------------------------------------------------------------


def repeated(key: MapKey, values: np.ndarray, s: PoolSettings, top: float | None) -> None:
    """The map after 0..REPEATS poolings with the same settings, shown at the same size."""
    maps, keys = [values], [key]
    stopped = None
    for _ in range(REPEATS):
        stopped = problem(*maps[-1].shape[-2:], s)
        if stopped:
            break
        maps.append(cache.pool(keys[-1], maps[-1], s.size, **s.options()))
        keys.append(keys[-1].pooled())
    columns = views.sharp_pixels(st, "pool-repeated").columns(REPEATS + 1)
    for i, (column, m) in enumerate(zip(columns, maps, strict=False)):
        name = "Start" if i == 0 else f"After {i} pooling{'s' if i > 1 else ''}"
        show_map(column, picture(m, top), f"{name}: {_shape(m)}")
    sizes = " → ".join(f"`{_shape(m)}`" for m in maps)
    first, last = maps[0].shape[-2] * maps[0].shape[-1], maps[-1].shape[-2] * maps[-1].shape[-1]
    st.markdown(
        f"**Sizes:** {sizes}. After {len(maps) - 1} pooling(s), {last:,} of {first:,} "
        f"numbers per channel are left ({last / first:.2%})."
    )
    if stopped:
        st.info(
            f"Pooling stops after {len(maps) - 1} round(s): the map is too small for another "
            "window.",
            icon=":material/block:",
        )


# --- 6. the pipeline ---------------------------------------------------------------------------


def pipeline(picked, kernel: str, s: PoolSettings) -> None:
    """Grey input -> convolution -> ReLU -> pooling, each map with its shape."""
    g = grey(picked.key, picked.pixels)
    try:
        conv = convolved(picked.key, g, kernel)
    except ValueError as why:
        st.warning(f"The picture is too small for this kernel: {why}", icon=":material/lightbulb:")
        return
    relu = np.maximum(conv, 0)
    why = problem(*relu.shape, s)
    if why:
        st.warning(why, icon=":material/lightbulb:")
        return
    pooled = cache.pool(MapKey(picked.key, kernel), relu, s.size, **s.options())
    top = float(relu.max())
    signed, limits = views.signed_picture(conv, "RdBu_r")
    steps = [
        (image_to_rgb(g), f"1. Input (grey): {_shape(g)}"),
        (signed, f"2. Convolution ({KERNELS[kernel].title}): {_shape(conv)}"),
        (picture(relu, top), f"3. ReLU (negatives → 0): {_shape(relu)}"),
        (picture(pooled, top), f"4. {MODES[s.mode]}: {_shape(pooled)}"),
    ]
    for column, (rgb, caption) in zip(
        views.sharp_pixels(st, "pool-pipeline").columns(4), steps, strict=True
    ):
        show_map(column, rgb, caption)
    kh, kw = KERNELS[kernel].weights.shape
    st.markdown(
        f"**Shapes:** `{_shape(g)}` → convolution {kh} × {kw} (no padding) → "
        f"`{_shape(conv)}` → ReLU → `{_shape(relu)}` → {MODES[s.mode].lower()} "
        f"({s.text()}) → `{_shape(pooled)}`"
    )
    st.caption(
        f"Convolution: blue is negative, red positive, white 0 (from {limits[0]:.3g} to "
        f"{limits[1]:.3g}). ReLU and pooling: black is 0, bright yellow {top:.3g}."
    )


# --- 7. the shift test -------------------------------------------------------------------------


@cache.budgeted("shift-test")
def _effects(key, _grey, kernel, direction, s: PoolSettings) -> list[ShiftEffect]:
    return shift_effects(
        _grey,
        KERNELS[kernel].weights,
        MAX_SHIFT,
        direction=direction,
        size=s.size,
        stride=s.stride,
        padding=s.padding,
        mode=s.mode,
    )


def _finite(x: float) -> float:
    return x if np.isfinite(x) else float("nan")


def _percent(x: float) -> str:
    return "∞" if not np.isfinite(x) else f"{x:.1%}"


def shift_test(picked, kernel: str, s: PoolSettings) -> None:
    """Shift the grey picture by k pixels: how much the feature map and the pooled map change."""
    a, b = st.columns(2)
    k = address.slider(SHIFT, a)
    direction = address.choice(DIRECTION, "radio", b, horizontal=True)
    g = grey(picked.key, picked.pixels)
    try:
        effects = _effects(picked.key, g, kernel, direction, s)
    except ValueError as why:
        st.warning(f"The shift test needs a larger picture: {why}", icon=":material/lightbulb:")
        return
    e = effects[k - 1]
    m1, m2, m3 = st.columns(3)
    m1.metric("Feature map changed by", _percent(e.feature_change))
    m2.metric("Pooled map changed by", _percent(e.pooled_change))
    hidden = 1 - e.pooled_change / e.feature_change if e.feature_change > 0 else 0.0
    m3.metric("Change hidden by pooling", f"{hidden:.0%}")
    st.markdown(
        f"Shifted {k} pixel{'s' if k > 1 else ''} {direction}: the feature map changed "
        f"by **{_percent(e.feature_change)}**, the pooled map by "
        f"**{_percent(e.pooled_change)}** (change = mean size of the difference ÷ mean "
        "size of the map before the shift)."
    )
    if e.pooled_change < e.feature_change:
        st.success(
            "Pooling made the map less sensitive to the shift: inside a window, the "
            "winner often stays the winner.",
            icon=":material/check_circle:",
        )
    else:
        st.info(
            "Here pooling did not help: a shift as large as the stride simply moves the "
            "pooled map by whole cells. Pooling forgives shifts smaller than its window.",
            icon=":material/info:",
        )
    scale = max(float(e.feature_difference.max()), 1e-6)
    maps, chart = st.columns([4, 3])
    x, y = views.sharp_pixels(maps, "pool-shift").columns(2)
    show_map(
        x,
        picture(e.feature_difference, scale),
        f"What changed in the feature map: {_shape(e.feature_difference)}",
    )
    show_map(
        y,
        picture(e.pooled_difference, scale),
        f"What changed in the pooled map: {_shape(e.pooled_difference)}",
    )
    st.caption(
        f"Black: no change; bright yellow: a change of {scale:.3g} or more. Same scale "
        "on both sides. The chart shows the change for every shift from 1 to "
        f"{MAX_SHIFT} pixels (dashed: the shift shown)."
    )
    lines = {  # an infinite change (the map was all zeros) is left out of the chart
        "feature map": tuple(_finite(100 * x.feature_change) for x in effects),
        "pooled map": tuple(_finite(100 * x.pooled_change) for x in effects),
    }
    shifts = tuple(x.shift for x in effects)
    svg = line_chart_svg(
        shifts, lines, xlabel="shift (pixels)", ylabel="change (%)", mark=k, text=theme.text_scale()
    )
    chart.image(svg, width="stretch")  # SVG: the browser draws it, sharp at any size


# --- 8. the questions --------------------------------------------------------------------------


def question(values: np.ndarray, s: PoolSettings, out_shape) -> None:
    """Three kinds of question with drawn numbers: never the shapes this page prints."""
    height, width = values.shape[-2:]
    avoid = {f"{h} × {w}" for h, w in [(height, width), out_shape]}
    quiz.lesson(
        "pool",
        {
            "shape": ("An output shape", partial(draw_pool_shape, avoid=avoid)),
            "window": ("One window", draw_pool_window),
            "map": ("Which map comes out?", draw_pool_map),
        },
    )
