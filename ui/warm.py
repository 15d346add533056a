"""Warm the class server's shared caches in the background, once, at its first visit.

Without it the first students to open a page wait for what is then kept for everybody:
importing torch and matplotlib, loading the networks, searching the 10,000 test pictures.
The teacher usually opens the app before the class arrives; this uses that minute.
"""

from __future__ import annotations

import logging
import os
import threading

import streamlit as st

from cnnviz.weights import WeightsError

LOG = logging.getLogger(__name__)
SWITCH = "CNNVIZ_WARM_UP"  # "off": no warm-up (the page tests run many apps in one process)


def start() -> threading.Thread | None:
    """Start the warm-up thread, once per server process; returns it (None when off)."""
    return None if os.environ.get(SWITCH) == "off" else _start()


@st.cache_resource(show_spinner=False)
def _start() -> threading.Thread:
    thread = threading.Thread(target=warm, name="cnnviz-warm-up", daemon=True)
    thread.start()
    return thread


def warm() -> None:
    """Fill the caches the lesson pages share: the first sample, both networks, their peaks."""
    from cnnviz import samples
    from ui import cache, inside, models, pooling  # noqa: F401  (importing is half the work)

    cache.sample(next(iter(samples.SAMPLES)))
    for name in models.SUBJECTS:
        try:
            inside.warm(name)
        except WeightsError as error:  # the page explains a damaged file to whoever opens it
            LOG.warning("warm-up skipped the %s network: %s", name, error)
