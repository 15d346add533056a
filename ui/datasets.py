"""Missing datasets: say where they are looked for and download them on request."""

from __future__ import annotations

import logging

import streamlit as st

from cnnviz.data import DATA_DIR_ENV, DatasetError, data_root, download_dataset
from cnnviz.messages import without_paths

LOG = logging.getLogger(__name__)
TITLES = {"fashion-mnist": "Fashion-MNIST (clothes)", "mnist": "MNIST (digits)"}


def offer_download(name: str, *, key: str, what: str, meanwhile: str = "") -> None:
    """A warning that ``name`` is absent, where the app looks, and a download button.

    ``what`` names what is missing ("test pictures", "images"); ``meanwhile`` says what the
    page can still do without the data. ``key`` is the button's widget key.
    """
    title, folder = TITLES[name], data_root() / name
    LOG.warning("the %s files are not in %s", name, folder)  # for whoever runs the server
    st.warning(f"The {title} {what} are not on this server yet.", icon=":material/cloud_download:")
    st.markdown(
        f"The app looks for the four `.gz` files of {title} (about 30 MB) in the `{name}/` "
        "folder of its data folder (the server's log names it). Press the button to download "
        "them from the official source, copy them there yourself, or set the environment "
        f"variable `{DATA_DIR_ENV}` to a folder holding `{name}/`. " + meanwhile
    )
    if st.button(f"Download {title}", key=key, icon=":material/download:"):
        bar = st.progress(0.0, text="Starting the download…")

        def report(file: str, received: int, total: int | None) -> None:
            share = received / total if total else 0.0
            bar.progress(min(share, 1.0), text=f"{file}: {received / 1e6:.1f} MB")

        try:
            download_dataset(name, progress=report)
        except (DatasetError, OSError) as error:
            st.error(
                f"The download did not work: {without_paths(str(error))}", icon=":material/error:"
            )
        else:
            st.rerun()
