"""cnnviz: the one page registry. Run with `streamlit run app.py`."""

import streamlit as st

from ui import glossary_links, theme, warm
from ui.lessons import HOME, PAGES

st.set_page_config(
    page_title="cnnviz: see how convolution and pooling work",
    page_icon="🔲",  # an emoji favicon is drawn by the browser; a :material/ one is fetched
    # from Google's font CDN, which fails offline and tells a third party who is in class
    layout="wide",
)

PAGE_OBJECTS = "app.pages"  # this session's st.Page objects


def registered() -> list[st.Page]:
    """The pages and their order (ui/lessons.py PAGES) as st.Page objects, made once per
    session: making one resolves its file on disk, which every rerun of every student paid
    for (a session's runs never overlap, so its objects are never shared)."""
    if PAGE_OBJECTS not in st.session_state:
        st.session_state[PAGE_OBJECTS] = [
            st.Page(p.file, title=p.title, icon=p.icon, default=p.file == HOME) for p in PAGES
        ]
    return st.session_state[PAGE_OBJECTS]


page = st.navigation(registered())
warm.start()
theme.apply()
with st.sidebar:  # an empty element there takes no room from the lesson's first screen
    glossary_links.keep_session()  # glossary links then keep the session
page.run()
