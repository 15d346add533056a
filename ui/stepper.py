"""The step-through: pick an output pixel (click or sliders), see its window and its sum.

Play walks the window across a small region (6 x 6 output pixels from where it started),
one step a second, so a teacher can narrate it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import explain_pixel
from cnnviz.plotting import image_to_rgb, mark_box
from ui import conv, views

PLAY_REGION = 6  # output pixels per side that Play walks over
PLAY_SECONDS = 1.5


@dataclass(frozen=True)
class OutputPicture:
    picture: np.ndarray  # (H', W', 3) uint8
    legend: str  # how the numbers became colours
    limits: tuple[float, float] | None  # signed scale, for a colour bar


def output_picture(out: np.ndarray, cmap: str) -> OutputPicture:
    """Pick how to show an output: as a picture when it is in 0..1, else signed colours."""
    if out.min() >= 0 and out.max() <= 1:
        return OutputPicture(
            image_to_rgb(out),
            "All values are between 0 and 1: shown as a picture, black is 0 and white is 1.",
            None,
        )
    if out.ndim == 3:
        return OutputPicture(
            image_to_rgb(out),
            "Each colour channel is shown as a picture: "
            "values below 0 look black and above 1 look full colour. The step-"
            "through below gives the exact numbers.",
            None,
        )
    picture, limits = views.signed_picture(out, cmap)
    return OutputPicture(
        picture,
        "Negative numbers are blue, positive red, zero white: the "
        "stronger the colour, the bigger the number.",
        limits,
    )


def _clamp(key: str, high: int) -> None:
    st.session_state[key] = int(min(max(st.session_state.get(key, 0), 0), high))


def _advance(p: str, out_h: int, out_w: int, step: int) -> None:
    """Move the chosen pixel by ``step`` inside the play region, row by row."""
    r0, c0 = st.session_state.get(f"{p}.anchor", (0, 0))
    rows, cols = min(PLAY_REGION, out_h - r0), min(PLAY_REGION, out_w - c0)
    r, c = st.session_state[f"{p}.row"] - r0, st.session_state[f"{p}.col"] - c0
    index = ((r if 0 <= r < rows else 0) * cols + (c if 0 <= c < cols else 0) + step) % (
        rows * cols
    )
    st.session_state[f"{p}.row"], st.session_state[f"{p}.col"] = (
        r0 + index // cols,
        c0 + index % cols,
    )


def _toggle_play(p: str) -> None:
    playing = not st.session_state.get(f"{p}.playing", False)
    st.session_state[f"{p}.playing"] = playing
    if playing:
        st.session_state[f"{p}.anchor"] = (
            st.session_state[f"{p}.row"],
            st.session_state[f"{p}.col"],
        )


def _take_click(p: str, click: dict | None, out_h: int, out_w: int) -> None:
    """Turn a new click on the output picture into the chosen pixel."""
    if not click or click.get("unix_time") == st.session_state.get(f"{p}.last_click"):
        return
    st.session_state[f"{p}.last_click"] = click.get("unix_time")
    st.session_state[f"{p}.row"] = min(out_h - 1, int(click["y"] / click["height"] * out_h))
    st.session_state[f"{p}.col"] = min(out_w - 1, int(click["x"] / click["width"] * out_w))


def step_through(p, image, kernel, out, padded_rgb, s: conv.ConvSettings, cmap: str) -> None:
    """Controls, the window on the input, the chosen output pixel and the worked sum."""
    out_h, out_w = out.shape[-2:]
    height = image.shape[-2]
    playing = st.session_state.get(f"{p}.playing", False)

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def section():
        if st.session_state.get(f"{p}.playing"):
            _advance(p, out_h, out_w, 1)
        _clamp(f"{p}.row", out_h - 1)
        _clamp(f"{p}.col", out_w - 1)
        buttons = st.columns([1, 1, 1, 3])
        buttons[0].button(
            "◀ Step back", key=f"{p}.back", on_click=_advance, args=(p, out_h, out_w, -1)
        )
        buttons[1].button(
            "Pause" if playing else "▶ Play", key=f"{p}.play", on_click=_toggle_play, args=(p,)
        )
        buttons[2].button("Step ▶", key=f"{p}.next", on_click=_advance, args=(p, out_h, out_w, 1))
        sliders = st.columns(2 if image.ndim == 2 or kernel.ndim == 3 else 3)
        row = sliders[0].slider(
            "Output row", 0, max(out_h - 1, 1), key=f"{p}.row", disabled=out_h == 1
        )
        col = sliders[1].slider(
            "Output column", 0, max(out_w - 1, 1), key=f"{p}.col", disabled=out_w == 1
        )
        channel = 0
        if len(sliders) == 3:
            channel = sliders[2].radio(
                "Colour channel",
                [0, 1, 2],
                key=f"{p}.channel",
                horizontal=True,
                format_func=["red", "green", "blue"].__getitem__,
            )
        info = explain_pixel(image, kernel, row, col, channel=channel, **s.options())
        top, _, left, _ = s.padding
        a, z, b = st.columns([4, 3, 4])
        views.show(
            a,
            views.with_window(padded_rgb, info.rows + top, info.cols + left),
            caption="Where the window is on the padded input (gold box)",
            sharp=f"{p}-step-window",
        )
        views.show(
            z,
            views.zoom_window(padded_rgb, info.rows + top, info.cols + left),
            sharp=f"{p}-step-zoom",
            caption=f"Zoomed in: the {len(info.rows)} × {len(info.cols)} cells the kernel "
            f"touches, rows {info.rows[0]}…{info.rows[-1]} and columns "
            f"{info.cols[0]}…{info.cols[-1]} of the picture (outside 0…{height - 1} means "
            "padding)",
        )
        shown, scale = views.fit(output_picture(out, cmap).picture)
        marked = mark_box(
            shown,
            round(row * scale),
            round(col * scale),
            max(2, round(scale)),
            max(2, round(scale)),
            color=(255, 215, 0),
            thickness=2,
        )
        with b:
            _click_or_show(p, marked, out_h, out_w)
        conv.step_table(image, kernel, row, col, channel, s)
        value = out[channel, row, col] if out.ndim == 3 else out[row, col]
        st.success(
            f"The output picture holds {value:.4f} at row {row}, column {col}: the same number.",
            icon=":material/check_circle:",
        )

    section()


def _click_or_show(p: str, picture: np.ndarray, out_h: int, out_w: int) -> None:
    """The output with the chosen pixel marked; clicking it picks a pixel."""
    try:
        from streamlit_image_coordinates import streamlit_image_coordinates
    except ImportError:  # the component is optional: the sliders do the same
        views.show(st, picture, sharp=f"{p}-step-output")
        return
    click = streamlit_image_coordinates(
        picture,
        key=f"{p}.click",
        use_column_width="always",
        cursor="crosshair",
        # JPEG: the component encodes on every rerun, PNG took a tenth of the page's time;
        # at this quality the enlarged pixels' edges stay clean.
        image_format="JPEG",
        jpeg_quality=95,
    )
    st.caption("Click the output to pick a pixel (gold box: the chosen one).")
    if click and click.get("unix_time") != st.session_state.get(f"{p}.last_click"):
        _take_click(p, click, out_h, out_w)
        st.rerun(scope="fragment")
