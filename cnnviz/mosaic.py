"""A network's insides as pictures drawn with numpy and OpenCV: no matplotlib figure per picture.

A feature mosaic lays a layer's ``(C, h, w)`` maps out row by row, ``columns`` to a row, every
map cell enlarged to ``scale`` x ``scale`` screen pixels, ``gap`` pixels between tiles, one
colour scale for the whole layer. A top margin holds the column numbers and a left margin the
number of each row's first map, written large enough to read on a projector. The geometry
stays with the picture (:class:`Mosaic`), so a screen position maps back to (map, row,
column) exactly. Also here: the enlarged close-up of one map, a colour bar per colour map, the
sheet of a channel's favourite patches, and bar charts as HTML (numbers the browser writes).
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import cv2
import numpy as np

from cnnviz.plotting import (
    colorize,
    colour_table,
    image_to_rgb,
    mark_box,
    short_number,
    symmetric_limit,
)

SIGNED_MAP = "RdBu_r"  # before ReLU: red positive, white 0, blue negative
UNSIGNED_MAP = "magma"  # after ReLU: black 0, bright strong
TILE_PX = 80  # a default scale enlarges each map to at most this many pixels a side
GAP_PX = 6  # between tiles
BACKGROUND = (255, 255, 255)  # margins and empty places
INK = (40, 40, 40)  # the numbers
GAP_COLOUR = (222, 222, 222)  # between tiles: a pale map still shows its edges
BAD = (160, 160, 160)  # a value that is not a number (a diverged network) is grey
MARK = (0, 208, 255)  # the outline of the strongest cell in a close-up
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 1.0  # digits about 22 px tall: readable from the back of a classroom
THICKNESS = 2
PAD = 6  # pixels between a number and what it labels


@dataclass(frozen=True, eq=False)
class Mosaic:
    """One layer's maps as one picture, with the geometry to find a map cell from a pixel.

    Tile ``i`` (map ``i``) sits in tile row ``i // columns``, tile column ``i % columns``; its
    top-left pixel is :meth:`tile_origin`, and map cell ``(r, c)`` covers the ``scale`` x
    ``scale`` pixels from ``origin + (r * scale, c * scale)``.
    """

    picture: np.ndarray  # (H, W, 3) uint8: margins with the numbers, then the tiles
    columns: int  # tiles per row
    count: int  # tiles: the number of maps
    tile_h: int  # rows of one map, in map cells
    tile_w: int  # columns of one map, in map cells
    scale: int  # screen pixels per map cell, each way
    gap: int  # pixels between neighbouring tiles, across and down
    margin_top: int  # pixels above the first tile row (the column numbers)
    margin_left: int  # pixels left of the first tile column (the row numbers)
    cmap: str  # the colour map's name
    limits: tuple[float, float]  # the values drawn with the colour map's two ends

    @property
    def rows(self) -> int:
        """Tile rows."""
        return -(-self.count // self.columns)

    @property
    def step(self) -> tuple[int, int]:
        """Pixels from one tile's origin to the next one's, down and across."""
        return self.tile_h * self.scale + self.gap, self.tile_w * self.scale + self.gap

    def tile_origin(self, index: int) -> tuple[int, int]:
        """``(y, x)`` pixel of map ``index``'s top-left cell."""
        if not 0 <= index < self.count:
            raise ValueError(f"map number must be in 0..{self.count - 1}, got {index}")
        row, col = divmod(index, self.columns)
        down, across = self.step
        return self.margin_top + row * down, self.margin_left + col * across

    def cell_at(self, y: float, x: float) -> tuple[int, int, int] | None:
        """``(map, row, col)`` under pixel ``(y, x)`` of the picture; None over a margin, a
        gap, an empty place or outside."""
        y, x = math.floor(y) - self.margin_top, math.floor(x) - self.margin_left
        if y < 0 or x < 0:
            return None
        down, across = self.step
        tile_row, dy = divmod(y, down)
        tile_col, dx = divmod(x, across)
        index = tile_row * self.columns + tile_col
        inside = dy < self.tile_h * self.scale and dx < self.tile_w * self.scale
        if tile_col >= self.columns or index >= self.count or not inside:
            return None
        return index, dy // self.scale, dx // self.scale


def map_limits(values: np.ndarray, *, signed: bool) -> tuple[str, tuple[float, float]]:
    """The colour map and limits for maps: ``(-m, m)`` if ``signed``, else ``(0, m)``, with
    ``m`` the largest absolute (finite) value."""
    m = symmetric_limit(np.asarray(values))
    return (SIGNED_MAP, (-m, m)) if signed else (UNSIGNED_MAP, (0.0, m))


def colours(values: np.ndarray, cmap: str, limits: tuple[float, float]) -> np.ndarray:
    """``values`` of any shape -> uint8 colours of shape ``(..., 3)``; NaN and inf are grey."""
    values = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(values)
    out = colorize(np.where(finite, values, 0), cmap=cmap, limits=limits)
    if not finite.all():
        out[~finite] = BAD
    return out


@functools.lru_cache(maxsize=4096)
def _metrics(text: str) -> tuple[int, int, int]:
    """``(width, height, baseline)`` of ``text`` in the label font. Kept: the labels are a few
    hundred short numbers, and OpenCV's measuring costs more than the drawing."""
    (width, height), baseline = cv2.getTextSize(text, FONT, FONT_SCALE, THICKNESS)
    return width, height, baseline


def text_size(text: str) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``text`` in the label font, descenders included."""
    width, height, baseline = _metrics(text)
    return width, height + baseline


def _write(picture: np.ndarray, text: str, centre: tuple[int, int], align="centre") -> None:
    """Write ``text`` on ``picture`` in place, centred on ``centre`` ``(y, x)`` (or ending at
    its ``x`` for ``align="right"``)."""
    width, height, baseline = _metrics(text)
    y, x = centre
    left = x - width if align == "right" else x - width // 2
    bottom = y + (height - baseline) // 2 + baseline // 2
    cv2.putText(picture, text, (left, bottom), FONT, FONT_SCALE, INK, THICKNESS, cv2.LINE_AA)


@functools.lru_cache(maxsize=512)
def _label_strip(
    texts: tuple[str, ...], centres: tuple[int, ...], height: int, width: int, down: bool
) -> np.ndarray:
    """A read-only white ``(height, width, 3)`` margin with each text written at its centre:
    along the strip (x) and halfway up, or, ``down``, at y and ending ``PAD`` before the right
    edge. Drawn once per layout: with other threads running, each OpenCV call costs more (the
    lock hand-over; measured about 0.3 ms per call in a page) than copying the strip."""
    strip = np.full((height, width, 3), BACKGROUND, np.uint8)
    for text, centre in zip(texts, centres, strict=True):
        if down:
            _write(strip, text, (centre, width - PAD), "right")
        else:
            _write(strip, text, (height // 2, centre))
    strip.flags.writeable = False
    return strip


def _number(picture: np.ndarray, top: int, left: int, across: dict, down: dict) -> None:
    """Write the margins of ``picture`` in place: ``across`` maps x centres to the numbers of
    the top margin, ``down`` y centres (below ``top``) to those of the left margin."""
    height, width = picture.shape[:2]
    picture[:top] = _label_strip(tuple(across.values()), tuple(across), top, width, False)
    picture[top:, :left] = _label_strip(tuple(down.values()), tuple(down), height - top, left, True)


def _every(labels: Sequence[str], room: int) -> int:
    """Write every n-th label so that neighbours do not touch, with ``room`` pixels each."""
    widest = max((text_size(t)[0] for t in labels), default=0)
    return max(1, math.ceil((widest + 2 * PAD) / max(room, 1)))


def _spread(
    margin: int, tiles: int, cells: int, scale: int, gap: int, after: int = 0
) -> np.ndarray:
    """Which sheet row (or column) each picture row (column) shows, along one axis: ``margin``
    pixels of blank, then per tile ``cells * scale`` pixels of its cells and ``gap`` of gap,
    then ``after`` pixels of blank.

    The sheet holds each tile's cells followed by one gap cell, then one blank cell at the end.
    """
    blank = tiles * (cells + 1)
    block = np.concatenate([np.arange(cells * scale) // scale, np.full(gap, cells)])
    spread = (np.arange(tiles)[:, None] * (cells + 1) + block).ravel()
    if gap:
        spread[-gap:] = blank  # the gap after the last tile is margin
    return np.concatenate([np.full(margin, blank), spread, np.full(after, blank)])


def default_scale(h: int, w: int) -> int:
    """Screen pixels per cell so that an ``h`` x ``w`` map is at most ``TILE_PX`` a side."""
    return max(1, TILE_PX // max(h, w))


def _check_scale(scale: int | None) -> None:
    if scale is not None and (int(scale) != scale or scale < 1):
        raise ValueError(f"scale must be a whole number of pixels, at least 1, got {scale}")


def _limits(values, signed: bool, limits) -> tuple[str, tuple[float, float]]:
    cmap, default = map_limits(values, signed=signed)
    if limits is None:
        return cmap, default
    low, high = float(limits[0]), float(limits[1])
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"limits must be two finite numbers, low < high, got {limits}")
    return cmap, (low, high)


def _tiles(
    cells: np.ndarray, columns: int, scale: int, gap: int, top: int, left: int, right: int = 0
) -> np.ndarray:
    """A white picture with margins ``top`` and ``left``, then ``cells`` ``(C, h, w, 3)``
    enlarged ``scale`` times in rows of ``columns``, gaps between them (and one after each),
    then ``right`` more pixels of margin.

    The maps are first laid out at one pixel per cell with one gap cell after each and one
    blank cell at the end; two ``take``s then repeat those cells into the whole picture
    (across on the small sheet, then whole rows down), with nothing else copied.
    """
    count, h, w, _ = cells.shape
    rows = -(-count // columns)  # ceiling division
    sheet = np.empty((rows, h + 1, columns, w + 1, 3), np.uint8)
    sheet[:] = GAP_COLOUR
    padded = np.full((rows * columns, h, w, 3), BACKGROUND, np.uint8)  # empty places: blank
    padded[:count] = cells
    sheet[:, :h, :, :w] = padded.reshape(rows, columns, h, w, 3).transpose(0, 2, 1, 3, 4)
    sheet = sheet.reshape(rows * (h + 1), columns * (w + 1), 3)
    sheet = np.pad(sheet, ((0, 1), (0, 1), (0, 0)), constant_values=255)  # the blank cell
    wide = sheet.take(_spread(left, columns, w, scale, gap, right), axis=1)
    return wide.take(_spread(top, rows, h, scale, gap), axis=0)


def feature_mosaic(
    maps: np.ndarray,
    *,
    columns: int = 16,
    signed: bool,
    scale: int | None = None,
    limits: tuple[float, float] | None = None,
    gap: int = GAP_PX,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
) -> Mosaic:
    """``(C, h, w)`` maps as one labelled picture with one colour scale.

    ``signed`` maps (before ReLU, kernels) use ``SIGNED_MAP`` centred at 0, others
    ``UNSIGNED_MAP`` from 0; ``limits`` overrides the scale. ``scale`` defaults to
    :func:`default_scale`. Default labels: the first map number of each tile row on the left,
    the column number (added to it) on top; labels that would touch their neighbours are
    thinned out to every n-th.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3 or 0 in maps.shape:
        raise ValueError(f"maps must be a non-empty (C, h, w) array, got shape {maps.shape}")
    if columns < 1 or gap < 0:
        raise ValueError(f"columns must be at least 1 and gap at least 0: {columns}, {gap}")
    _check_scale(scale)
    count, h, w = maps.shape
    columns = min(int(columns), count)
    rows = -(-count // columns)
    scale = default_scale(h, w) if scale is None else int(scale)
    cmap, limits = _limits(maps, signed, limits)
    row_labels = [str(r * columns) for r in range(rows)] if row_labels is None else row_labels
    column_labels = [str(c) for c in range(columns)] if column_labels is None else column_labels
    if len(row_labels) != rows or len(column_labels) != columns:
        raise ValueError(f"{count} maps in {columns} columns need {rows} row labels and "
                         f"{columns} column labels")  # fmt: skip

    top = text_size("0")[1] + 2 * PAD
    left = max(text_size(t)[0] for t in row_labels) + 2 * PAD
    overhang = max(text_size(t)[0] for t in column_labels) // 2 - w * scale // 2 - gap
    picture = _tiles(colours(maps, cmap, limits), columns, scale, gap, top, left, max(0, overhang))
    down, across = h * scale + gap, w * scale + gap
    _number(
        picture,
        top,
        left,
        {left + c * across + w * scale // 2: column_labels[c]
         for c in range(0, columns, _every(column_labels, across))},
        {r * down + h * scale // 2: row_labels[r]
         for r in range(0, rows, max(1, math.ceil((text_size("0")[1] + PAD) / down)))},
    )  # fmt: skip
    return Mosaic(picture, columns, count, h, w, scale, gap, top, left, cmap, limits)


SHEET_PX = 1300  # a kernel sheet is at most about this wide


def kernel_sheet(weights: np.ndarray, *, width: int = SHEET_PX) -> Mosaic:
    """Kernels ``(out, in, k, k)`` as one sheet: one column per filter (output channel), one
    row per input channel, numbered on top and on the left, one colour scale centred at 0.

    Tile ``i`` of the mosaic is filter ``i % out``, slice ``i // out``.
    """
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim != 4 or 0 in weights.shape:
        raise ValueError(f"kernels must be a non-empty (out, in, k, k) array, got {weights.shape}")
    out_count, in_count, kh, kw = weights.shape
    gap = 2
    scale = max(1, min(default_scale(kh, kw), (width // out_count - gap) // max(kh, kw)))
    slices = weights.transpose(1, 0, 2, 3).reshape(-1, kh, kw)  # (in * out, k, k), row by row
    labels = [str(i) for i in range(in_count)]
    return feature_mosaic(slices, columns=out_count, signed=True, scale=scale, gap=gap,
                          row_labels=labels)  # fmt: skip


CLOSE_UP_PX = 364  # one map is enlarged to about this many pixels a side


def close_up(
    values: np.ndarray,
    *,
    signed: bool,
    limits: tuple[float, float] | None = None,
    mark: tuple[int, int] | None = None,
    side: int = CLOSE_UP_PX,
) -> Mosaic:
    """One ``(h, w)`` map enlarged to about ``side`` pixels, rows and columns numbered in the
    margins, the cell ``mark`` (row, col) outlined; a :class:`Mosaic` of one map."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 2 or 0 in values.shape:
        raise ValueError(f"a map must be a non-empty (h, w) array, got shape {values.shape}")
    h, w = values.shape
    scale = max(1, side // max(h, w))
    cmap, limits = _limits(values, signed, limits)
    widest = text_size(str(max(h, w) - 1))[0]
    every = next(n for n in (1, 2, 5, 10, 20, 50, 10**9) if n * scale >= widest + PAD)
    top, left = text_size("0")[1] + 2 * PAD, widest + 2 * PAD
    picture = _tiles(colours(values[None], cmap, limits), 1, scale, 0, top, left)
    below, right = text_size("0")[1] // 2 + PAD, widest // 2 + PAD  # room for the last numbers
    picture = np.pad(picture, ((0, below), (0, right), (0, 0)), constant_values=255)
    _number(
        picture,
        top,
        left,
        {left + i * scale + scale // 2: str(i) for i in range(0, w, every)},
        {i * scale + scale // 2: str(i) for i in range(0, h, every)},
    )
    if mark is not None:
        row, col = mark
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"mark {mark} is outside the {h} x {w} map")
        thick = max(3, scale // 5)
        y, x = top + row * scale, left + col * scale
        picture[:] = mark_box(picture, y, x, scale, scale, color=MARK, thickness=thick)
    return Mosaic(picture, 1, 1, h, w, scale, 0, top, left, cmap, limits)


def colour_bar(cmap: str, *, width: int = 256, height: int = 18) -> np.ndarray:
    """The colour map ``cmap`` from its low end (left) to its high end: uint8
    ``(height, width, 3)``. Built once per colour map by the page; its numbers are text."""
    table = np.ascontiguousarray(colour_table(cmap)[None])  # (1, 256, 3)
    if width != table.shape[1]:
        table = cv2.resize(table, (width, 1), interpolation=cv2.INTER_LINEAR)
    return np.repeat(table, height, axis=0)


def strip(
    values: np.ndarray,
    *,
    width: int,
    height: int,
    cmap: str = UNSIGNED_MAP,
    limits: tuple[float, float] | None = None,
) -> np.ndarray:
    """A row of ``n`` numbers as a colour band at most ``width`` pixels wide, each number a
    whole number of pixels wide: uint8 ``(height, w, 3)``; more numbers than pixels wrap onto
    equal lines ``height`` tall, ``PAD`` apart. Default limits ``(0, largest)``."""
    values = np.asarray(values, dtype=np.float32).ravel()
    if values.size == 0 or width < 1 or height < 1:
        raise ValueError("a strip needs at least one number, a width and a height")
    if limits is None:
        limits = (0.0, symmetric_limit(values))
    lines = -(-values.size // width)
    per_line = -(-values.size // lines)
    cell = max(1, width // per_line)
    band = np.full((lines, height + PAD, per_line * cell, 3), BACKGROUND, np.uint8)
    for i in range(lines):
        row = np.repeat(colours(values[i * per_line : (i + 1) * per_line], cmap, limits), cell, 0)
        band[i, :height, : len(row)] = row
    return band.reshape(-1, per_line * cell, 3)[:-PAD]


PATCH_PX = 112  # a patch and its whole picture are each drawn this many pixels a side
BOX = (255, 176, 0)  # the patch's square on its whole picture: orange


def patch_sheet(
    patches: np.ndarray,
    pictures: np.ndarray,
    boxes: np.ndarray,
    *,
    above: Sequence[str],
    below: Sequence[Sequence[str]],
) -> np.ndarray:
    """One column per patch, strongest first: ``above[i]`` (its activation), the patch
    ``(k, s, s)`` floats in [0, 1] enlarged, its whole picture ``(k, H, W)`` uint8 with the
    patch's ``boxes[i]`` (top, left, bottom, right) outlined, then the lines ``below[i]``."""
    k = len(patches)
    if not (len(pictures) == len(boxes) == len(above) == len(below) == k) or k == 0:
        raise ValueError("one picture, box and label per patch, and at least one patch")
    lines = max(len(b) for b in below)
    widest = max(text_size(t)[0] for t in [*above, *(t for b in below for t in b)])
    column = max(PATCH_PX, widest) + 2 * PAD
    line = text_size("Ag")[1] + PAD
    height = line + 2 * (PATCH_PX + PAD) + lines * line + PAD
    sheet = np.full((height, k * column, 3), 255, np.uint8)
    for i in range(k):
        x = i * column + (column - PATCH_PX) // 2
        centre = i * column + column // 2
        _write(sheet, above[i], (line // 2 + PAD // 2, centre))
        patch = np.asarray(patches[i], np.float32)
        p = max(1, PATCH_PX // max(patch.shape))
        big = np.repeat(np.repeat(image_to_rgb(patch), p, 0), p, 1)
        y = line + (PATCH_PX - big.shape[0]) // 2
        sheet[y : y + big.shape[0], x : x + big.shape[1]] = big
        whole = np.asarray(pictures[i])
        f = max(1, PATCH_PX // max(whole.shape))
        rgb = np.repeat(np.repeat(image_to_rgb(whole / np.float32(255)), f, 0), f, 1)
        top, left, bottom, right = (int(v) * f for v in boxes[i])
        rgb = mark_box(rgb, top, left, bottom - top, right - left, color=BOX, thickness=3)
        y = line + PATCH_PX + PAD
        sheet[y : y + rgb.shape[0], x : x + rgb.shape[1]] = rgb
        for j, text in enumerate(below[i]):
            _write(sheet, text, (y + PATCH_PX + PAD + j * line + line // 2, centre))
    return sheet


def encode_png(picture: np.ndarray) -> bytes:
    """Lossless PNG of an ``(H, W, 3)`` uint8 picture made of enlarged cells, quickly.

    Each row of such a picture repeats the one above it ``scale`` times, so PNG's "up" filter
    alone turns most rows into zeros; letting the encoder try every filter on every row (the
    default) costs about four times as long for a file no smaller (measured: 7 ms against 27
    ms for a 1400 x 380 mosaic).
    """
    bgr = cv2.cvtColor(np.ascontiguousarray(picture), cv2.COLOR_RGB2BGR)
    options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    ok, data = cv2.imencode(".png", bgr, options)
    if not ok:
        raise ValueError(f"could not encode a picture of shape {picture.shape} as PNG")
    return data.tobytes()


SCALE_LINE = "display:flex;align-items:center;gap:.5em;flex-wrap:wrap;margin:.2em 0 1em"
SCALE_BAR = "width:14em;height:1.1em;border:1px solid #999"


@functools.cache
def colour_bar_uri(cmap: str) -> str:
    """:func:`colour_bar` of ``cmap`` as a ``data:`` URI of a small PNG, made once per name."""
    return "data:image/png;base64," + base64.b64encode(encode_png(colour_bar(cmap))).decode()


def colour_scale_html(cmap: str, limits: tuple[float, float], words: str = "") -> str:
    """One line: the low number, the colour bar of ``cmap``, the high number, then ``words``
    (e.g. what the colours mean)."""
    low, high = (short_number(v, 2) for v in limits)
    bar = f'<img src="{colour_bar_uri(cmap)}" alt="" style="{SCALE_BAR}">'
    tail = f"<span>{escape(words)}</span>" if words else ""
    return f'<div style="{SCALE_LINE}"><b>{low}</b>{bar}<b>{high}</b>{tail}</div>'


# --- bar charts as HTML: the browser writes the numbers, sharp at any size ---------------------

BAR = "#1f6feb"  # blue
BEST = "#e8710a"  # orange: the winning class
TABLE = "border-collapse:collapse;border:none;width:100%;max-width:44em"
CELL = "border:none;padding:.15em .6em;white-space:nowrap;text-align:right"
NUMBER = f"{CELL};font-variant-numeric:tabular-nums"
AXIS = "position:absolute;left:50%;top:-.2em;bottom:-.2em;border-left:1px solid #555"


def _bar(value: float, size: float, colour: str, signed: bool) -> str:
    """A bar ``size`` % of its cell long (half of it each way if ``signed``)."""
    if not signed:
        return f'<div style="height:1.1em;width:{size:.2f}%;background:{colour}"></div>'
    start = 50.0 - size / 2 if value < 0 else 50.0
    bar = f"position:absolute;left:{start:.2f}%;width:{size / 2:.2f}%;height:100%"
    return (
        f'<div style="position:relative;height:1.1em"><div style="{AXIS}"></div>'
        f'<div style="{bar};background:{colour}"></div></div>'
    )


def bars_html(
    values: Sequence[float],
    names: Sequence[str],
    *,
    best: int | None = None,
    signed: bool = False,
    unit: str = "",
    decimals: int = 1,
) -> str:
    """One table row per value: its name, a bar, the number; row ``best`` in bold orange.

    Unsigned bars grow from the left (with ``unit="%"`` a full row is 100 %, else the largest
    value); ``signed`` ones grow left or right of a middle line, scaled to the largest size.
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), posinf=0.0, neginf=0.0)
    if len(values) != len(names):
        raise ValueError(f"{len(values)} values but {len(names)} names")
    full = 100.0 if unit == "%" and not signed else float(np.abs(values).max(initial=0)) or 1.0
    suffix = f" {unit}" if unit else ""
    rows = []
    for i, (value, name) in enumerate(zip(values, names, strict=True)):
        colour, weight = (BEST, "font-weight:bold;") if i == best else (BAR, "")
        bar = _bar(value, min(100.0, 100.0 * abs(value) / full), colour, signed)
        rows.append(
            f'<tr><td style="{weight}{CELL}">{escape(str(name))}</td>'
            f'<td style="border:none;width:100%;padding:.15em 0">{bar}</td>'
            f'<td style="{weight}{NUMBER}">{value:.{decimals}f}{suffix}</td></tr>'
        )
    return f'<table style="{TABLE}">{"".join(rows)}</table>'
