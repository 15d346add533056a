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

page = st.navigation(  # the pages and their order: ui/lessons.py PAGES
    [st.Page(p.file, title=p.title, icon=p.icon, default=p.file == HOME) for p in PAGES]
)
warm.start()
theme.apply()
with st.sidebar:  # an empty element there takes no room from the lesson's first screen
    glossary_links.keep_session()  # glossary links then keep the session
page.run()
