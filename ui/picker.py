"""The image picker shared by the lesson pages: chosen once, it follows the user around.

Widget values persist across pages with ``persist_state="session"``; uploads, camera shots
and drawings are kept as bytes in the user's own session state.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import images, samples
from ui import address, cache
from ui.drawing import drawing_pad

SOURCES = {
    "sample": "Sample gallery",
    "upload": "Upload a picture",
    "camera": "Camera snapshot",
    "draw": "Draw your own",
}
SIZES = {"32": 32, "64": 64, "128": 128, "256": 256, "512": 512, "1024": 1024, "full": None}


def sample_title(name: str) -> str:
    """``stripes_45`` -> ``Stripes 45``."""
    return name.replace("_", " ").capitalize()


SOURCE = address.Choice(
    "input.source", "Where does the picture come from?", tuple(SOURCES), "sample", SOURCES.get
)
SAMPLE = address.Choice(
    "input.sample", "Sample", tuple(samples.SAMPLES), next(iter(samples.SAMPLES)), sample_title
)
COLOUR = address.Switch(
    "input.colour",
    "Keep colour",
    default=True,
    help="Off: the picture is turned grey (one channel) before the lesson starts.",
)
SIZE = address.Choice(
    "input.size",
    "Working size (longest side, pixels)",
    tuple(SIZES),
    "256",
    help="Small sizes show single pixels clearly; 'full' keeps every pixel.",
)
PARAMS = (SOURCE, SAMPLE, COLOUR, SIZE)  # the address's say in the sidebar


@dataclass(frozen=True)
class Picked:
    """The working image of this user."""

    pixels: np.ndarray  # (H, W) or (3, H, W) float32 in [0, 1]
    key: cache.PictureKey  # names this exact working image in the caches
    label: str  # what it is, for captions
    notes: tuple[str, ...] = ()  # sentences about how it was decoded


def _plain(name: str) -> str:
    """A file name shown as text: markdown characters in it are escaped, length capped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~:$])", r"\\\1", name[:80])


def _remember(slot: str, name: str, data: bytes) -> None:
    """Keep raw bytes of an upload, snapshot or drawing in this user's session."""
    st.session_state[f"input.{slot}"] = (name, data, hashlib.sha256(data).hexdigest())


def _decoded(slot: str):
    """Decode what ``slot`` holds; show the reason and return None when it cannot be."""
    stored = st.session_state.get(f"input.{slot}")
    if stored is None:
        return None
    name, data, digest = stored
    try:
        return name, digest, cache.decode(digest, data)
    except images.ImageError as error:
        st.error(f"**{_plain(name)}** could not be used. {error}", icon=":material/broken_image:")
        return None


def _from_upload():
    upload = st.file_uploader(
        f"Choose a photo or picture (PNG, JPEG, WebP, BMP, GIF, TIFF; at most "
        f"{images.MAX_MEGABYTES} MB)",
        # No type= filter: the browser would grey out an iPhone's HEIC without a word, and
        # the server would raise on a renamed file. decode_image checks the content and
        # explains every refusal.
        key="uploader.input",
        max_upload_size=images.MAX_MEGABYTES,  # the browser refuses what decode_image would
    )
    earlier = st.session_state.get("input.upload")
    if upload is not None and st.session_state.get("input.upload_id") != upload.file_id:
        _remember("upload", upload.name, upload.getvalue())
        st.session_state["input.upload_id"] = upload.file_id
        st.session_state[UPLOADED_ON_PAGE] = False
    elif earlier is None:
        st.info("Pick a file from your computer or phone, or drag it here.")
    elif st.session_state.get(UPLOADED_ON_PAGE):
        st.caption(f":material/info: Showing **{_plain(earlier[0])}**, uploaded on the page.")
    elif upload is None:  # removed, or refused by the browser (too large): say what is shown
        st.caption(
            f":material/info: Still showing your earlier file, **{_plain(earlier[0])}**. A "
            f"file over {images.MAX_MEGABYTES} MB is refused before it reaches the app."
        )
    return _decoded("upload")


def _from_camera():
    shot = st.camera_input("Take a snapshot", key="uploader.camera")
    if shot is not None:
        _remember("camera", "camera snapshot", shot.getvalue())
    return _decoded("camera")


def _from_drawing():
    data = drawing_pad("canvas.input", stroke_width=18)
    if data:
        _remember("draw", "your drawing", data)
    return _decoded("draw")


def image_picker() -> Picked | None:
    """Sidebar controls to choose the image; returns the working image or None."""
    with st.sidebar:
        st.header("Your image")
        source = address.choice(SOURCE, "radio")
        if source == "sample":
            name = address.choice(SAMPLE, "selectbox")
            st.caption(samples.SAMPLES[name].description)
            raw, label, digest, notes = cache.sample(name), sample_title(name), name, ()
            decoded = None
        else:
            found = {"upload": _from_upload, "camera": _from_camera, "draw": _from_drawing}[
                source
            ]()
            if found is None:
                return None
            label, digest, decoded = found
            raw, notes = decoded.pixels, decoded.notes
        colour = address.switch(COLOUR, disabled=raw.ndim == 2)
        size = address.choice(SIZE, "select_slider")
        capped = decoded is not None and capped_sentence(decoded, SIZES[size])
        notes = (*notes, capped) if capped else notes
        for note in notes:
            st.caption(f":material/info: {note}")
    colour = colour and raw.ndim == 3
    key = cache.PictureKey(source, digest, colour, size)
    pixels = cache.prepared(key, raw, colour, SIZES[size])
    return Picked(pixels, key, label, notes)


def capped_sentence(decoded: images.DecodedImage, max_side: int | None) -> str | None:
    """Why the working size is smaller than asked, when the decoder shrank a huge picture
    (``cache.work_pixels()``) and the chosen size would have needed more; else None."""
    height, width = decoded.pixels.shape[-2:]
    if not decoded.shrunk or (max_side is not None and max_side <= max(height, width)):
        return None
    stored = decoded.original_size[0] * decoded.original_size[1]
    return (
        f"This picture has {_millions(stored)} million pixels; the lesson works on at most "
        f"{_millions(cache.work_pixels())} million, so the server stays quick for the whole "
        f"class: “full” is {width:,} × {height:,} here."
    )


def _millions(pixels: int) -> str:
    """40_000_000 -> ``40``, 12_192_768 -> ``12.2``."""
    return f"{pixels / 1e6:.3g}"


# --- the choice on the page itself ---------------------------------------------------------------
# On a phone the sidebar is folded away, and the picture with it. A compact button on the page
# offers the gallery and an upload; it writes the sidebar's own widgets (so the address and
# every page follow), and hides while the sidebar is open (a desktop keeps its first screen).
ON_PAGE = "picker-on-page"  # its container's key
PAGE_SAMPLE = "input.page_sample"  # the page's copy of the sample choice: not in the address
PAGE_UPLOAD = "uploader.page"
UPLOADED_ON_PAGE = "input.upload_on_page"  # the stored upload came from the page's button
ON_PAGE_CSS = f"""
<style>
  body:has([data-testid="stSidebar"][data-collapsed="false"])
    [data-testid="stLayoutWrapper"]:has(> .st-key-{ON_PAGE}) {{ display: none; }}
</style>
"""  # the wrapper, not only the button: a hidden box would still take the gap around it


def _take_sample() -> None:
    st.session_state[SOURCE.key] = "sample"
    st.session_state[SAMPLE.key] = st.session_state[PAGE_SAMPLE]


def _take_upload() -> None:
    upload = st.session_state.get(PAGE_UPLOAD)
    if upload is None:  # the file was removed from the button: keep showing the picture
        return
    _remember("upload", upload.name, upload.getvalue())
    st.session_state[UPLOADED_ON_PAGE] = True
    st.session_state[SOURCE.key] = "upload"


def choice_on_page(picked: Picked | None) -> None:
    """A "Picture: <name> — change" button on the page: the gallery, an upload, and where the
    other choices are."""
    st.html(ON_PAGE_CSS)
    shown = _plain(picked.label) if picked is not None else "none yet"
    with (
        st.container(key=ON_PAGE),
        st.popover(f"Picture: {shown} — change", icon=":material/image:"),
    ):
        st.session_state[PAGE_SAMPLE] = st.session_state.get(SAMPLE.key, SAMPLE.default)
        st.selectbox(
            "A picture from the gallery",
            SAMPLE.options,
            format_func=sample_title,
            key=PAGE_SAMPLE,
            on_change=_take_sample,
        )
        st.file_uploader(
            f"Or upload a photo (at most {images.MAX_MEGABYTES} MB)",
            key=PAGE_UPLOAD,
            max_upload_size=images.MAX_MEGABYTES,
            on_change=_take_upload,
        )
        st.caption(
            "The camera, drawing, colour and working size are in the sidebar: the » button "
            "at the top left opens it."
        )


def picture_or_stop() -> Picked:
    """The picture chosen in the sidebar or with the button on the page; until there is one,
    a hint on the page and the page stops there."""
    picked = image_picker()
    choice_on_page(picked)
    if picked is None:
        st.info(
            "Choose a picture to begin: with the Picture button above, or in the sidebar.",
            icon=":material/image:",
        )
        st.stop()
    return picked
