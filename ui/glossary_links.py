"""Glossary links that keep the student's session (see components/glossary_links.js)."""

from pathlib import Path

import streamlit as st

_links = st.components.v2.component(
    "cnnviz_glossary_links",
    js=(Path(__file__).parent / "components" / "glossary_links.js").read_text(),
)


def keep_session() -> None:
    """Mount once per run, before the page: glossary links then navigate inside the app."""
    _links(key="glossary_links")
