"""Make every page run under app.py, even when a share link is the server's first request.

Streamlit decides once per process whether an app is an old-style multipage app: if the
very first request is a deep link (``/convolution``) and a ``pages/`` folder sits beside the
entry point, it runs that page on its own, without app.py's navigation, layout and sidebar.
It switches to app.py's ``st.navigation`` only when app.py first runs. A page that finds
itself in that state flips the switch and reruns, so the same link opens properly.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def run_under_app() -> None:
    """Call first in every page: rerun through app.py if Streamlit skipped it."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        st.rerun()
