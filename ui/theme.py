"""Projector mode: bigger type for the back row, switched on in the sidebar."""

import streamlit as st

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


def projector_toggle() -> bool:
    """A sidebar switch; when on, larger type on every page for the rest of the session."""
    on = st.sidebar.toggle(
        "Projector mode (bigger text)",
        key="app.projector",
        persist_state="session",
        bind="query-params",
        help="For a classroom: larger letters and numbers everywhere.",
    )
    if on:
        st.html(PROJECTOR_CSS)
    return on
