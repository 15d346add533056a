"""cnnviz: the one page registry. Run with `streamlit run app.py`."""

import streamlit as st

st.set_page_config(
    page_title="cnnviz: see how convolution and pooling work",
    page_icon=":material/grid_on:",
    layout="wide",
)

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/convolution.py", title="Convolution", icon=":material/blur_on:"),
]

st.navigation(PAGES).run()
