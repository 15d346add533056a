"""The app's look: square pixels for enlarged maps, and projector mode (everything larger)."""

import streamlit as st

from ui import address

SHARP_PREFIX = "sharp-"  # pictures in containers keyed sharp-* are enlarged with square pixels
SHARP_CSS = f"""
<style>
  [class*="st-key-{SHARP_PREFIX}"] [data-testid="stImage"] img {{ image-rendering: pixelated; }}
  /* Choices too long for a narrow column wrap onto a second line instead of being cut. */
  [data-testid="stButtonGroup"] > div {{ flex-wrap: wrap; overflow: visible; }}
  /* A table's toolbar (search, download, full screen) sits in room kept above the table,
     not over the buttons just above it (the kernel editor's Reset). */
  [data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"]
    [data-testid="stDataFrame"]) {{ margin-top: 2.9rem; }}
</style>
"""
PROJECTOR_SCALE = 1.25  # projector type over normal type (20 px over 16 px): figures and
# number grids the server draws grow by the same factor
PROJECTOR_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
  [data-testid="stCaptionContainer"], [data-testid="stImageCaption"], label p,
  [data-testid="stMarkdownContainer"] td, [data-testid="stMarkdownContainer"] th,
  [data-testid="stTable"] td, [data-testid="stTable"] th, [data-testid="stExpander"] summary p,
  [data-testid="stTab"] p, [data-testid="stTooltipContent"] {
    font-size: 1.15rem !important;
  }
  h1 { font-size: 2.8rem !important; }
  h2, h3 { font-size: 2.1rem !important; }
  input, textarea, [data-baseweb="select"] div, [data-testid="stTickBarMinMax"],
  [data-testid="stSliderThumbValue"], button p { font-size: 1.15rem !important; }
  [data-testid="stMetricValue"] { font-size: 2.6rem !important; }
  /* Less empty room above the title: the lesson's first screen holds its pictures. */
  [data-testid="stMainBlockContainer"] { padding-top: 3.2rem !important; }
  /* Tables drawn on a canvas (the kernel editor, the results): their type grows too. */
  [data-testid="stDataFrame"] { zoom: 1.25; }
  [data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"]
    [data-testid="stDataFrame"]) { width: 80% !important; } /* x 1.25: the column's width */
  /* Colour bars and bar charts the server writes as HTML grow with the type. */
  [data-testid="stMarkdownContainer"] img[alt=""] { height: 1.4em !important; }
</style>
"""
PROJECTOR = address.Switch(
    "app.projector",
    "Projector mode (everything larger)",
    help="For a classroom: larger letters, numbers, pictures and marks everywhere, and each "
    "lesson's pictures on its first screen.",
)
PARAMS = (PROJECTOR,)


def apply() -> bool:
    """Square pixels everywhere, and a sidebar switch for projector mode; returns the switch.

    When on, larger type, tables, marks and figures on every page for the rest of the session.
    """
    st.html(SHARP_CSS)
    on = address.switch(PROJECTOR, st.sidebar)
    if on:
        st.html(PROJECTOR_CSS)
    return on


def projector_on() -> bool:
    """Whether this session shows the app in projector mode."""
    return bool(st.session_state.get(PROJECTOR.key))


def text_scale() -> float:
    """How much larger figures and number grids the server draws should write their text."""
    return PROJECTOR_SCALE if projector_on() else 1.0
