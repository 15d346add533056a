"""Small arrays as HTML tables: coloured cells with each number written in.

For the numbers a student reads one by one (a kernel, the pixels under the window, their
products): text the browser sets is sharp at any projector size, can be read aloud and
copied, and costs a millisecond to build where a matplotlib figure costs a few hundred.
"""

from __future__ import annotations

from html import escape

import numpy as np

from cnnviz.plotting import colour_table, short_number, symmetric_limit

CELL = "min-width:2.4em;height:2.1em;padding:0 .25em;text-align:center;border:1px solid #fff"
MARKED = "outline:3px solid #ffb000;outline-offset:-3px"  # a highlighted cell
INDEX = "color:#888;font-size:.75em;font-weight:normal;padding:0 .3em"
ROW = "display:flex;flex-wrap:wrap;justify-content:center;align-items:flex-end;gap:.6em"
SIGN = "font-size:1.8em;padding:0 .25em .55em"  # the x and = between tables


def _hex(rgba) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in rgba[:3]))


def grid_html(
    values: np.ndarray,
    *,
    title: str = "",
    cmap: str = "RdBu_r",
    limits: tuple[float, float] | None = None,
    decimals: int = 2,
    highlight: np.ndarray | None = None,
    fit: bool = True,
) -> str:
    """One ``(h, w)`` array as a table of coloured cells, rows and columns numbered from 0.

    ``limits`` is the colour scale (default: symmetric around 0, for signed numbers);
    ``highlight`` an optional boolean ``(h, w)`` mask of cells outlined in orange. With
    ``fit`` the type shrinks to fit the column (a 15 x 15 kernel still fits beside the
    picture); without, the table keeps its size (for tables side by side in a row).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"a grid needs a 2-D array (h, w), got shape {values.shape}")
    if highlight is not None and np.shape(highlight) != values.shape:
        raise ValueError(f"highlight must have the grid's shape {values.shape}")
    if limits is None:
        m = symmetric_limit(values)
        limits = (-m, m)
    low, high = limits
    span = (high - low) or 1.0
    scaled = np.clip((np.nan_to_num(values) - low) / span, 0, 1)
    colours = colour_table(cmap)[(scaled * 255 + 0.5).astype(np.intp)] / 255.0
    texts = [[short_number(v, decimals) for v in row] for row in values]
    head = "".join(f'<th style="{INDEX}">{j}</th>' for j in range(values.shape[1]))
    rows = [f'<tr><th style="{INDEX}"></th>{head}</tr>']
    for i, row in enumerate(texts):
        cells = []
        for j, text in enumerate(row):
            r, g, b = colours[i, j, :3]
            ink = "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#000"
            style = f"{CELL};background:{_hex(colours[i, j])};color:{ink}"
            if highlight is not None and highlight[i, j]:
                style += f";{MARKED}"
            cells.append(f'<td style="{style}">{text}</td>')
        rows.append(f'<tr><th style="{INDEX}">{i}</th>{"".join(cells)}</tr>')
    # Type as large as the column allows: a digit is about 0.5 em wide, a cell at least
    # CELL's 2.4 em; cqi is 1 % of the column's width (the wrapper is the container).
    longest = max((len(t) for row in texts for t in row), default=1)
    width_em = values.shape[1] * max(2.4, 0.5 * longest + 0.6) + 1.2
    size = f"min(1.1rem, calc(100cqi / {width_em:.1f}))" if fit else "1.1rem"
    caption = (
        '<caption style="caption-side:top;font-weight:600;white-space:nowrap">'
        f"{escape(title)}</caption>"
        if title
        else ""
    )
    table = f"border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:{size}"
    body = f'<table style="{table}">{caption}{"".join(rows)}</table>'
    return f'<div style="container-type:inline-size">{body}</div>' if fit else body


def _group(sign: str, table: str) -> str:
    """A sign and the table it introduces, kept on one line when the row wraps."""
    mark = f'<span style="{SIGN}">{sign}</span>' if sign else ""
    return f'<div style="display:flex;align-items:flex-end">{mark}{table}</div>'


def worked_window_html(patch: np.ndarray, weights: np.ndarray, products: np.ndarray) -> str:
    """Input under the window × kernel = products, one line per channel, as tables.

    Each argument is ``(C, kh, kw)``; input values are shown in grey on a 0..1 scale.
    """
    if not patch.shape == weights.shape == products.shape or patch.ndim != 3:
        raise ValueError(
            "patch, weights and products must share one shape (C, kh, kw); got "
            f"{patch.shape}, {weights.shape}, {products.shape}"
        )
    lines = []
    for c in range(patch.shape[0]):
        heading = (
            f'<div style="font-weight:600;margin-top:.4em">Channel {c}</div>'
            if patch.shape[0] > 1
            else ""
        )
        groups = [
            _group(
                "",
                grid_html(
                    patch[c], title="Input under the window", cmap="gray", limits=(0, 1), fit=False
                ),
            ),
            _group("×", grid_html(weights[c], title="kernel", fit=False)),
            _group("=", grid_html(products[c], title="products", fit=False)),
        ]
        lines.append(f'{heading}<div style="{ROW}">{"".join(groups)}</div>')
    return "".join(lines)
