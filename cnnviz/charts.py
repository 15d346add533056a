"""Small line charts as SVG text: sharp at any projector size, a millisecond to build.

A leaf: no numpy needed, no matplotlib figure per interaction. The browser draws the lines
and writes the numbers, so they scale with the page's type.
"""

from __future__ import annotations

import math
from html import escape

COLOURS = ("#1f6feb", "#e8710a", "#2da44e", "#8250df")  # colour-blind-safe, distinct in grey


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / (count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _number(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def line_chart_svg(
    x: tuple[float, ...],
    lines: dict[str, tuple[float, ...]],
    *,
    xlabel: str,
    ylabel: str,
    mark: float | None = None,
    width: int = 560,
    height: int = 340,
    text: float = 1.0,
) -> str:
    """One line with dots per entry of ``lines`` over ``x`` (y from 0), a legend naming them;
    ``mark``: a dashed vertical line at that x. Non-finite y values are left out.

    ``text`` scales the numbers, labels, lines and dots against the plot (1.25 for a
    projector: the type grows, the room for the plot shrinks).
    """
    if not x or any(len(y) != len(x) for y in lines.values()):
        raise ValueError("every line needs one y value per x value")
    if not (math.isfinite(text) and 0.5 <= text <= 3):
        raise ValueError(f"text must be a scale between 0.5 and 3, got {text}")
    small, label = 15 * text, 16 * text  # font sizes in the chart's own units

    def size(v: float) -> float:
        return round(v * text, 1)

    left, right, top, bottom = size(64), 16, size(44), size(52)
    w, h = width - left - right, height - top - bottom
    finite = [v for y in lines.values() for v in y if math.isfinite(v)]
    ticks = _ticks(max(finite, default=1.0))
    x0, x1 = min(x), max(x)
    span = (x1 - x0) or 1.0

    def px(v: float) -> float:
        return left + (v - x0) / span * w

    def py(v: float) -> float:
        return top + h - v / ticks[-1] * h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'style="width:100%;max-width:{width * 1.6:.0f}px;font-family:sans-serif" role="img" '
        f'aria-label="{escape(ylabel)} against {escape(xlabel)}">'
    ]
    for t in ticks:
        y = py(t)
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 8}" y="{y + size(5):.1f}" text-anchor="end" '
            f'font-size="{small:g}">{_number(t)}</text>'
        )
    for v in x:
        parts.append(
            f'<text x="{px(v):.1f}" y="{top + h + size(22):.1f}" text-anchor="middle" '
            f'font-size="{small:g}">{_number(v)}</text>'
        )
    parts.append(
        f'<text x="{left + w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'font-size="{label:g}">{escape(xlabel)}</text>'
        f'<text transform="translate({size(16)} {top + h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-size="{label:g}">{escape(ylabel)}</text>'
    )
    if mark is not None:
        parts.append(
            f'<line x1="{px(mark):.1f}" x2="{px(mark):.1f}" y1="{top}" y2="{top + h}" '
            f'stroke="#555" stroke-width="{size(1.5)}" stroke-dasharray="6 4"/>'
        )
    for i, (name, ys) in enumerate(lines.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = [(px(a), py(b)) for a, b in zip(x, ys, strict=True) if math.isfinite(b)]
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{size(3)}"/>'
            + "".join(
                f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{size(4.5)}" fill="{colour}"/>'
                for a, b in points
            )
        )
        lx = left + 8 + i * size(170)
        parts.append(
            f'<rect x="{lx:g}" y="{size(10)}" width="{size(18)}" height="{size(6)}" '
            f'fill="{colour}"/>'
            f'<text x="{lx + size(24):g}" y="{size(18)}" font-size="{small:g}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
