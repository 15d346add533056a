"""Glossary: every word of the lessons, with an example and where the app shows it."""

import streamlit as st

from cnnviz.glossary import GLOSSARY
from ui.boot import run_under_app
from ui.lessons import registered

run_under_app()

st.title("Glossary")
st.markdown(
    "The words the lessons use, each in one sentence, with a small example and a link to the "
    "page where you can try it. Links like [kernel](/glossary#kernel-filter) on the other "
    "pages jump straight here, in the same tab: your browser's Back button (or the menu) takes "
    "you back to the lesson with your picture and settings as you left them."
)
wanted = st.text_input("Find a word", key="glossary.find", placeholder="e.g. stride").lower()
shown = [t for t in GLOSSARY.values() if wanted in (t.word + " " + t.definition).lower()]
st.caption(f"{len(shown)} of {len(GLOSSARY)} words")
for term in shown:
    with st.container(border=True):
        st.subheader(term.word, anchor=term.anchor)
        st.markdown(term.definition)
        st.markdown(f"**Example:** {term.example}")
        if term.page in registered():
            st.page_link(term.page, label="Try it", icon=":material/arrow_forward:")
