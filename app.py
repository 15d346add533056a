"""cnnviz: the one page registry. Run with `streamlit run app.py`."""

import streamlit as st

from ui import glossary_links, theme, warm

st.set_page_config(
    page_title="cnnviz: see how convolution and pooling work",
    page_icon="🔲",  # an emoji favicon is drawn by the browser; a :material/ one is fetched
    # from Google's font CDN, which fails offline and tells a third party who is in class
    layout="wide",
)

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/convolution.py", title="Convolution", icon=":material/blur_on:"),
    st.Page("pages/learn_kernel.py", title="How a kernel learns", icon=":material/school:"),
    st.Page("pages/pooling.py", title="Pooling", icon=":material/grid_view:"),
    st.Page("pages/four_filters.py", title="Four filters", icon=":material/filter_4:"),
    st.Page("pages/inside_cnn.py", title="Inside a CNN", icon=":material/hub:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
]

page = st.navigation(PAGES)
warm.start()
theme.apply()
with st.sidebar:  # an empty element there takes no room from the lesson's first screen
    glossary_links.keep_session()  # glossary links then keep the session
page.run()
