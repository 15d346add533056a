"""The app's look: square pixels for enlarged maps, and projector mode (bigger type)."""

import streamlit as st

from ui import address

SHARP_PREFIX = "sharp-"  # pictures in containers keyed sharp-* are enlarged with square pixels
SHARP_CSS = f"""
<style>
  [class*="st-key-{SHARP_PREFIX}"] [data-testid="stImage"] img {{ image-rendering: pixelated; }}
</style>
"""
PROJECTOR_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
  [data-testid="stCaptionContainer"], label p { font-size: 1.15rem !important; }
  h1 { font-size: 3.2rem !important; }
  h2, h3 { font-size: 2.1rem !important; }
  input, textarea, [data-baseweb="select"] div, [data-testid="stTickBarMinMax"],
  [data-testid="stSliderThumbValue"], button p { font-size: 1.15rem !important; }
</style>
"""
PROJECTOR = address.Switch(
    "app.projector",
    "Projector mode (bigger text)",
    help="For a classroom: larger letters and numbers everywhere.",
)
PARAMS = (PROJECTOR,)


def apply() -> bool:
    """Square pixels everywhere, and a sidebar switch for projector mode; returns the switch.

    When on, larger type on every page for the rest of the session.
    """
    st.html(SHARP_CSS)
    on = address.switch(PROJECTOR, st.sidebar)
    if on:
        st.html(PROJECTOR_CSS)
    return on
