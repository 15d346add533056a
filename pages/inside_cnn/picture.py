"""Inside a CNN, section 1: the picture given to the network (test set, upload or drawing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from cnnviz import images
from cnnviz.data import (
    DatasetError,
    data_root,
    dataset_available,
    load_dataset,
)
from cnnviz.model import to_tensor
from cnnviz.preprocess import Preprocessed, to_dataset_style
from pages.inside_cnn.model import SOURCE, Chosen, index_param
from ui import address, cache
from ui.datasets import TITLES, offer_download
from ui.drawing import drawing_pad


@dataclass(frozen=True)
class PictureName:
    """Names the network's input picture in the caches, by its fields."""

    source: str  # "test" (the test set) or "file" (an upload or a drawing)
    name: str  # the test picture's index, or the sha256 of the file
    dataset: str  # whose test set, or the style the file was made into


@dataclass(frozen=True)
class Picture:
    """What the network is given."""

    pixels: np.ndarray  # float32 (28, 28) in [0, 1], white on black
    key: PictureName  # names this picture in the caches
    label: str  # what it is, for captions
    truth: int | None = None  # the test set's answer, when known
    steps: Preprocessed | None = None  # how an upload or drawing was made into pixels


@cache.resource(spinner="Loading the 10,000 test pictures (once)…", max_entries=4)
def test_set(name: str, root: str) -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = load_dataset(name, "test", root=root)
    pixels.setflags(write=False)  # shared by every user
    labels.setflags(write=False)
    return pixels, labels


def test_pictures(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The test images uint8 ``(10000, 28, 28)`` and labels of ``name``, or None if absent."""
    if not dataset_available(name):
        return None
    try:
        return test_set(name, str(data_root()))
    except DatasetError as error:
        st.error(f"The {TITLES[name]} files are damaged: {error}", icon=":material/error:")
        return None


def missing_data(name: str) -> None:
    """Say that the test set is absent, where it is looked for, and offer to download it."""
    offer_download(
        name,
        key="inside.download",
        what="test pictures",
        meanwhile="Meanwhile you can **upload** a picture or **draw** one: choose it above.",
    )


def _random_index(count: int) -> None:
    st.session_state["inside.index"] = int(np.random.default_rng().integers(count))


def _fromtest_set(chosen: Chosen) -> Picture | None:
    data = test_pictures(chosen.dataset)
    if data is None:
        missing_data(chosen.dataset)
        return None
    pixels, labels = data
    index = address.number(index_param(len(pixels)))  # the controls column is narrow:
    st.button(  # the button goes under the number, its words whole
        "Another test picture",
        key="inside.random",
        icon=":material/casino:",
        on_click=_random_index,
        args=(len(pixels),),
    )
    truth = int(labels[index])
    return Picture(
        to_tensor(pixels[index]).numpy()[0, 0],
        PictureName("test", str(index), chosen.dataset),
        f"test picture #{index}",
        truth,
    )


@cache.budgeted("inside upload")
def _prepared(digest: str, style: str, _pixels: np.ndarray) -> Preprocessed:
    return to_dataset_style(_pixels, style=style)


def _from_bytes(name: str, data: bytes, chosen: Chosen) -> Picture | None:
    digest = hashlib.sha256(data).hexdigest()
    try:
        decoded = cache.decode(digest, data)
    except images.ImageError as error:
        st.error(f"This file could not be used. {error}", icon=":material/broken_image:")
        return None
    done = _prepared(digest, chosen.dataset, decoded.pixels)
    return Picture(done.image, PictureName("file", digest, chosen.dataset), name, steps=done)


def _from_upload(chosen: Chosen) -> Picture | None:
    thing = "one piece of clothing" if chosen.dataset == "fashion-mnist" else "one digit"
    upload = st.file_uploader(
        f"A photo or drawing of {thing} (PNG, JPEG, WebP, BMP, GIF or TIFF; at most "
        f"{images.MAX_MEGABYTES} MB)",
        key="inside.upload",
        max_upload_size=images.MAX_MEGABYTES,  # the browser refuses what decode_image would
    )
    if upload is None:
        st.info("Pick a file from your computer or phone, or drag it here.")
        return None
    return _from_bytes("your upload", upload.getvalue(), chosen)


def _from_drawing(chosen: Chosen) -> Picture | None:
    if chosen.dataset != "mnist":
        st.caption("Drawing suits the digits network best; clothes are hard to draw (try one!).")
    data = drawing_pad("inside.canvas", stroke_width=22)
    if not data:
        st.info("Draw a digit in the black square.")
        return None
    picture = _from_bytes("your drawing", data, chosen)
    if picture is not None and not picture.steps.found_content:
        st.info("The square is still empty: draw a digit in it.")
        return None
    return picture


def choose_picture(chosen: Chosen) -> Picture | None:
    """Where the picture comes from, and the picture (None until there is one)."""
    has_data = dataset_available(chosen.dataset)
    default = "test" if has_data else "upload"
    source = address.choice(replace(SOURCE, default=default), "radio", horizontal=True)
    if source == "test":
        return _fromtest_set(chosen)
    return _from_upload(chosen) if source == "upload" else _from_drawing(chosen)
