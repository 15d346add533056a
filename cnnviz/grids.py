"""Small arrays as HTML tables: coloured cells with each number written in.

For the numbers a student reads one by one (a kernel, the pixels under the window, their
products): text the browser sets is sharp at any projector size, can be read aloud and
copied, and costs a millisecond to build where a matplotlib figure costs a few hundred.
"""

from __future__ import annotations

from html import escape

import matplotlib
import numpy as np

from cnnviz.plotting import short_number, symmetric_limit

CELL = "min-width:2.6em;height:2.2em;padding:0 .3em;text-align:center;border:1px solid #fff"
INDEX = "color:#888;font-size:.75em;font-weight:normal;padding:0 .35em"


def _hex(rgba) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in rgba[:3]))


def grid_html(
    values: np.ndarray,
    *,
    title: str = "",
    cmap: str = "RdBu_r",
    limits: tuple[float, float] | None = None,
    decimals: int = 2,
) -> str:
    """One ``(h, w)`` array as a table of coloured cells, rows and columns numbered from 0.

    ``limits`` is the colour scale (default: symmetric around 0, for signed numbers).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"a grid needs a 2-D array (h, w), got shape {values.shape}")
    if limits is None:
        m = symmetric_limit(values)
        limits = (-m, m)
    low, high = limits
    span = (high - low) or 1.0
    colours = matplotlib.colormaps[cmap](np.clip((np.nan_to_num(values) - low) / span, 0, 1))
    head = "".join(f'<th style="{INDEX}">{j}</th>' for j in range(values.shape[1]))
    rows = [f'<tr><th style="{INDEX}"></th>{head}</tr>']
    for i, row in enumerate(values):
        cells = []
        for j, v in enumerate(row):
            r, g, b = colours[i, j, :3]
            ink = "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#000"
            style = f"{CELL};background:{_hex(colours[i, j])};color:{ink}"
            cells.append(f'<td style="{style}">{short_number(v, decimals)}</td>')
        rows.append(f'<tr><th style="{INDEX}">{i}</th>{"".join(cells)}</tr>')
    caption = (
        f'<caption style="caption-side:top;font-weight:600;white-space:nowrap">'
        f"{escape(title)}</caption>"
    )
    table = "border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:1.1rem"
    return f'<table style="{table}">{caption if title else ""}{"".join(rows)}</table>'


def worked_window_html(patch: np.ndarray, weights: np.ndarray, products: np.ndarray) -> str:
    """Input under the window × kernel = products, one line per channel, as tables.

    Each argument is ``(C, kh, kw)``; input values are shown in grey on a 0..1 scale.
    """
    if not patch.shape == weights.shape == products.shape or patch.ndim != 3:
        raise ValueError(
            "patch, weights and products must share one shape (C, kh, kw); got "
            f"{patch.shape}, {weights.shape}, {products.shape}"
        )
    sign = 'style="font-size:2em;align-self:center;padding:0 .4em"'
    lines = []
    for c in range(patch.shape[0]):
        label = f" (channel {c})" if patch.shape[0] > 1 else ""
        parts = [
            grid_html(patch[c], title=f"Input under the window{label}", cmap="gray", limits=(0, 1)),
            f"<span {sign}>×</span>",
            grid_html(weights[c], title="kernel"),
            f"<span {sign}>=</span>",
            grid_html(products[c], title="products"),
        ]
        inner = "".join(f"<div>{p}</div>" if p.startswith("<table") else p for p in parts)
        lines.append(
            '<div style="display:flex;flex-wrap:wrap;justify-content:center;gap:.3em;'
            f'margin-bottom:.8em">{inner}</div>'
        )
    return "".join(lines)
