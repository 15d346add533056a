"""The drawing pad shared by the pages: white strokes on black, like the digit datasets."""

from __future__ import annotations

import streamlit as st


def drawing_pad(key: str, *, stroke_width: int = 20) -> bytes | None:
    """A 280 x 280 pad; returns the drawing as PNG bytes, or None before the first stroke."""
    from streamlit_drawable_canvas import st_canvas  # needs a running app to import

    st.caption("Draw with the mouse or a finger: white on black, like the digit datasets.")
    st.space("medium")  # the pad's toolbar floats above it: keep it off the caption
    try:
        result = st_canvas(
            stroke_width=stroke_width,
            stroke_color="#ffffff",
            background_color="#000000",
            width=280,
            height=280,
            return_image_data=True,
            key=key,
        )
        return result.image_bytes if result is not None else None
    except (AttributeError, KeyError, TypeError, ValueError):
        # The pad's state is not one the pad sends (a forged message, or a data URL that is
        # not base64): there is no drawing, and the decoder never sees it.
        st.caption("The drawing pad sent something that is not a drawing: draw again.")
        return None
