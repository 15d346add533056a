"""Pieces of the "Inside a CNN" page: the model and picture pickers, and every view of the net.

Pictures are numpy/OpenCV mosaics (``cnnviz.mosaic``) and numbers are text or HTML: nothing
here draws a matplotlib figure. Each picture is built and encoded once per (model, picture,
view) and shared through ``st.cache_data``. A channel's favourite test pictures are read from
the file stored beside a shipped model's weights; for any other model the test set is searched,
once per model and layer for the whole class. The shipped models are shared by everyone and
are only ever read. A network a student uploads (the file the Train page gave them, checked by
``cnnviz.model_file``) lives in that student's session; the shared caches name it by the sha256
of its file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import streamlit as st
import torch

from cnnviz import images
from cnnviz.data import (
    CLASS_NAMES,
    DatasetError,
    data_root,
    dataset_available,
    load_dataset,
)
from cnnviz.explain import (
    Favourites,
    TopPatches,
    channel_peaks,
    conv_layers,
    favourites,
    receptive_field,
    top_patches,
)
from cnnviz.grids import grid_html
from cnnviz.model import CNN, count_parameters, feature_maps, layer_kind, saliency, to_tensor
from cnnviz.model_file import MAX_MEGABYTES as MODEL_MEGABYTES
from cnnviz.model_file import ModelCard, ModelFileError, from_bytes
from cnnviz.mosaic import (
    SIGNED_MAP,
    UNSIGNED_MAP,
    Mosaic,
    bars_html,
    close_up,
    colour_scale_html,
    colours,
    default_scale,
    encode_png,
    feature_mosaic,
    kernel_sheet,
    patch_sheet,
    strip,
)
from cnnviz.plotting import image_to_rgb, symmetric_limit
from cnnviz.preprocess import Preprocessed, to_dataset_style
from cnnviz.weights import MODEL_NAMES, WeightsError, load_top_patches, pixels_sha256
from ui import address, cache, linked, theme, views
from ui.datasets import TITLES, offer_download
from ui.drawing import drawing_pad
from ui.models import SUBJECTS, assets_dir, limit_threads, model_title, shipped_model
from ui.user_model import get_user_model

YOURS = "yours"  # the model-choice value for this session's own trained model
UPLOAD = "upload"  # the model-choice value for a network file the student uploads
UPLOAD_TITLE = "A network you trained (upload its file)"
UPLOADED_KEY = "inside.uploaded"  # session state: the network from the last file accepted
MEANWHILE = "fashion-mnist"  # the shipped network shown while no uploaded file is usable
SOURCES = {"test": "A test picture", "upload": "Upload a picture", "draw": "Draw one"}
STRIP_PX = 1200  # the flattened numbers and the hidden layer are drawn about this wide


# The page's settings in the address. The network, its layers, their maps and the test set
# are known only once chosen: those parameters are made, and checked, where they are used.
SOURCE = address.Choice(
    "inside.source", "Where does the picture come from?", tuple(SOURCES), "test", SOURCES.get
)
OPEN_TOP = address.Switch("inside.open.top", "Which test pictures excite this map most?")
PARAMS = (SOURCE, OPEN_TOP)


def model_param(titles: dict[str, str]) -> address.Choice:
    """Which network: one of ``titles`` (model choice -> its title), or an uploaded file."""
    titles = {**titles, UPLOAD: UPLOAD_TITLE}
    return address.Choice(
        "inside.model", "Which trained network?", tuple(titles), next(iter(titles)), titles.get
    )


def index_param(count: int) -> address.Whole:
    """Which of the ``count`` test pictures."""
    return address.Whole(
        "inside.index", f"Test picture number (0 to {count - 1:,})", 0, count - 1, 0
    )


def layer_param(layers: tuple[str, ...]) -> address.Choice:
    """Which convolution layer is looked at up close."""
    return address.Choice("inside.layer", "Layer", layers, layers[0])


def channel_param(layer: str, count: int) -> address.Whole:
    """Which of the ``count`` maps of ``layer``."""
    return address.Whole(
        f"inside.channel.{layer}", f"Map number in {layer} (0 to {count - 1})", 0, count - 1, 0
    )


def shape_text(shape) -> str:
    """``(32, 26, 26)`` -> ``32 × 26 × 26``."""
    return " × ".join(str(n) for n in shape)


# --- choosing the model ---------------------------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    """The network the page looks inside."""

    model: CNN  # eval mode, gradients off; shipped ones are shared: read only
    dataset: str  # "fashion-mnist" or "mnist": class names, test set, upload style
    key: str  # names these exact weights in the caches
    title: str  # for captions

    @property
    def classes(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.dataset]


def weights_digest(model: torch.nn.Module) -> str:
    """sha256 of every tensor of ``model``: names a user's model in the shared caches."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def choose_model() -> Chosen | None:
    """Radio of the shipped models (this session's own, an uploaded file); None with a
    message if the shipped one chosen is damaged."""
    user = get_user_model()
    options = [*MODEL_NAMES, *([YOURS] if user is not None else [])]
    titles = {name: model_title(name) for name in MODEL_NAMES}
    if user is not None:
        titles[YOURS] = f"Your model from the Train page ({user.title})"
    choice = address.choice(model_param({name: titles[name] for name in options}), "radio")
    if choice == YOURS and user is not None:
        return Chosen(user.model, user.dataset, f"user:{weights_digest(user.model)}", titles[YOURS])
    if choice == UPLOAD:
        uploaded = choose_upload()
        if uploaded is not None:
            return uploaded
        choice = MEANWHILE
    try:
        model = shipped_model(choice)
    except WeightsError as error:
        others = [n for n in MODEL_NAMES if n != choice]
        st.error(
            f"**The {SUBJECTS[choice]} network cannot be used: its weights file is damaged or "
            f"missing.** {error} Meanwhile, choose the "
            f"{' or '.join(SUBJECTS[n] for n in others)} network above.",
            icon=":material/error:",
        )
        return None
    return Chosen(model, choice, f"shipped:{choice}", titles[choice])


@dataclass(frozen=True)
class Uploaded:
    """A network from a file this student uploaded (kept in their session only)."""

    digest: str  # sha256 of the file's bytes: names the network in the shared caches
    model: CNN  # eval mode, gradients off; private to this session
    card: ModelCard  # what the Train page knew about it


def choose_upload() -> Chosen | None:
    """The uploader for a network file; the network in it once it passed every check (kept in
    this session, so it stays chosen across pages), else None after saying why."""
    file = st.file_uploader(
        f"Your network's file from the Train page (.safetensors, at most {MODEL_MEGABYTES} MB)",
        key="inside.model_file",
        max_upload_size=MODEL_MEGABYTES,
        help="After a race, the Train page offers your CNN as one file. Only such files "
        "open here: they hold numbers and a card, never a program.",
    )
    meanwhile = f"Meanwhile the page shows the shipped {SUBJECTS[MEANWHILE]} network."
    stored = st.session_state.get(UPLOADED_KEY)
    stored = stored if isinstance(stored, Uploaded) else None
    if file is not None:
        data = file.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if stored is None or stored.digest != digest:
            st.session_state.pop(UPLOADED_KEY, None)
            try:
                limit_threads()
                model, card = from_bytes(data)  # every check; never unpickles
            except ModelFileError as error:
                st.error(f"{error} {meanwhile}", icon=":material/error:")
                return None
            stored = Uploaded(digest, model, card)
            st.session_state[UPLOADED_KEY] = stored
    elif stored is None:
        st.info(
            "Choose the file you downloaded from the Train page after a race (it ends in "
            f".safetensors), or drag it here. {meanwhile}",
            icon=":material/upload_file:",
        )
        return None
    card = stored.card
    st.success(_uploaded_words(stored.model, card), icon=":material/school:")
    if file is None:
        st.caption(
            "This is the file you uploaded earlier in this visit; upload another to replace "
            "it, or choose a shipped network above."
        )
    title = f"Your uploaded network ({card.dataset}, {100 * card.test_accuracy:.1f} % right)"
    return Chosen(stored.model, card.dataset, f"upload:{stored.digest[:16]}", title)


def _uploaded_words(model: CNN, card: ModelCard) -> str:
    """What the card of an uploaded network says, in a few plain sentences."""
    config = model.config
    k = config.kernel_size
    pool = "no pooling" if config.pool == "none" else f"{config.pool} pooling"
    return (
        f"**You are looking inside your own network**, from your file. It learned from "
        f"{card.training_images:,} {TITLES[card.dataset]} training images in "
        f"{card.passes:.2f} passes over them and got **{100 * card.test_accuracy:.1f} %** of "
        f"the {card.test_images:,} test pictures right. Its layers: "
        f"{' → '.join(map(str, config.channels))} filters of {k} × {k} with {pool}, "
        f"{config.dense} dense units, {config.num_classes} classes."
    )


# --- choosing the picture -------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """What the network is given."""

    pixels: np.ndarray  # float32 (28, 28) in [0, 1], white on black
    key: str  # names this picture in the caches
    label: str  # what it is, for captions
    truth: int | None = None  # the test set's answer, when known
    steps: Preprocessed | None = None  # how an upload or drawing was made into pixels


@st.cache_resource(max_entries=4, show_spinner="Loading the 10,000 test pictures (once)…")
def _test_set(name: str, root: str) -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = load_dataset(name, "test", root=root)
    pixels.setflags(write=False)  # shared by every user
    labels.setflags(write=False)
    return pixels, labels


def test_pictures(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The test images uint8 ``(10000, 28, 28)`` and labels of ``name``, or None if absent."""
    if not dataset_available(name):
        return None
    try:
        return _test_set(name, str(data_root()))
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


def _from_test_set(chosen: Chosen) -> Picture | None:
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
        f"{chosen.dataset}:test:{index}",
        f"test picture #{index}",
        truth,
    )


@st.cache_data(max_entries=32, show_spinner=False)
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
    return Picture(done.image, f"{name}:{digest}:{chosen.dataset}", name, steps=done)


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
        return _from_test_set(chosen)
    return _from_upload(chosen) if source == "upload" else _from_drawing(chosen)


# --- pictures (numpy and OpenCV, encoded once per key; no matplotlib per interaction) ---------


# A mosaic takes about a millisecond to build and is built on every rerun; keeping its
# megabytes in st.cache_data would cost more (they are pickled in and out). Its PNG, which
# costs several, is encoded once per key for the whole class.


@st.cache_data(max_entries=8, show_spinner=False)
def _kernel_sheet(key: str, _weights: np.ndarray) -> Mosaic:
    """All the kernels of one layer of the model named in ``key`` (drawn once per model)."""
    if _weights.shape[1] == 1:
        return feature_mosaic(_weights[:, 0], signed=True)
    return kernel_sheet(_weights)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _png(key: str, _picture: np.ndarray) -> bytes:
    """PNG of the picture named by ``key``, encoded once for the whole class."""
    return encode_png(_picture)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _patches_png(key: str, _found: TopPatches, _pixels: np.ndarray, names: list[str]) -> bytes:
    """The sheet of a channel's favourite test patches (``key``: model, layer, channel)."""
    sheet = patch_sheet(
        _found.patches,
        _pixels[_found.indices],
        _found.boxes,
        above=[f"{a:.2f}" for a in _found.activations],
        below=[[f"#{i}", name] for i, name in zip(_found.indices, names, strict=True)],
    )
    return encode_png(sheet)


MEANINGS = {
    SIGNED_MAP: "blue negative, white 0, red positive",
    UNSIGNED_MAP: "black 0, bright strong",
}


def colour_scale(cmap: str, limits: tuple[float, float], where=st) -> None:
    """A colour scale: its two end numbers (text) around the colour bar, and what it means."""
    html = colour_scale_html(cmap, limits, MEANINGS[cmap])
    where.markdown(html, unsafe_allow_html=True)


# --- running the network --------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Every layer's output for one picture."""

    outputs: dict[str, np.ndarray]  # layer name -> one example's output, (C, h, w) or (n,)
    probabilities: np.ndarray  # (classes,): softmax of the output layer, sums to 1

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def run(chosen: Chosen, picture: Picture) -> Run:
    """Pass ``picture`` through ``chosen``'s network, keeping every layer's output (once per
    network and picture for the whole class: the keys name both)."""
    return _run(chosen.key, picture.key, chosen.model, picture.pixels)


@st.cache_data(max_entries=256, show_spinner=False)
def _run(model_key: str, picture_key: str, _model: CNN, _pixels: np.ndarray) -> Run:
    maps = feature_maps(_model, to_tensor(_pixels))
    outputs = {name: value[0].numpy() for name, value in maps}
    logits = torch.from_numpy(outputs["output"])
    return Run(outputs, torch.softmax(logits, 0).numpy())


@st.cache_data(max_entries=256, show_spinner=False)
def _saliency(model_key: str, picture_key: str, target: int, _model: CNN, _pixels: np.ndarray):
    return saliency(_model, _pixels, target)


def describe(model: CNN, name: str) -> str:
    """What layer ``name`` does, in a few words."""
    module = getattr(model, name)
    if isinstance(module, torch.nn.Conv2d):
        k = module.kernel_size[0]
        return f"{module.out_channels} kernels of {k} × {k} × {module.in_channels}"
    if isinstance(module, torch.nn.ReLU):
        return "ReLU, negatives become 0"
    if isinstance(module, torch.nn.MaxPool2d):
        return "max pooling 2 × 2, each side halves"
    if isinstance(module, torch.nn.AvgPool2d):
        return "average pooling 2 × 2, each side halves"
    return type(module).__name__


# --- the views --------------------------------------------------------------------------------


def _small(pixels: np.ndarray) -> np.ndarray:
    """A grey or colour picture as RGB, shrunk if huge; ``views.show(sharp=...)`` enlarges it."""
    return views.fit(image_to_rgb(pixels), enlarge=False)[0]


BLANK = 0.05  # an input whose brightest pixel is below this is an empty square to the network


def show_steps(done: Preprocessed) -> None:
    """Every preprocessing step of an upload or drawing, left to right, four to a row."""
    st.markdown(
        "The datasets hold white shapes on black, cropped, shrunk and centred in 28 × 28 "
        "pixels. Your picture goes through the same steps:"
    )
    steps = views.sharp_pixels(st, "inside-steps")
    for first in range(0, len(done.steps), 4):
        row = done.steps[first : first + 4]
        for column, (number, (title, pixels)) in zip(
            steps.columns(4), enumerate(row, start=first + 1), strict=False
        ):
            views.show(column, _small(pixels), caption=f"{number}. {title}")
    if not done.found_content or float(done.image.max()) < BLANK:
        st.warning(
            "After these steps the network's input is (almost) all black: nothing in your "
            "picture stood out from its background. The prediction below is a guess about an "
            "empty square. Try one object on a plain background, or draw one.",
            icon=":material/visibility_off:",
        )


def show_prediction(chosen: Chosen, picture: Picture, result: Run) -> None:
    """The network's input beside its class probabilities, with the answer in words."""
    classes, best = chosen.classes, result.predicted
    probability = 100 * result.probabilities[best]
    left, right = st.columns([2, 3], gap="large")
    views.show(
        left,
        _small(picture.pixels),
        caption=f"input · 1 × 28 × 28: {picture.label}",
        sharp="inside-input",
    )
    with right:
        st.markdown(f"### Prediction: {classes[best]} ({probability:.1f} %)")
        if picture.truth is not None:
            verdict = "right" if picture.truth == best else "wrong"
            st.markdown(
                f"The test set's label is **{classes[picture.truth]}** (✓ below): the network "
                f"is **{verdict}**."
            )
        else:  # an upload or a drawing may be anything: a face still gets one of the names
            kinds = "kinds of clothing" if chosen.dataset == "fashion-mnist" else "digits"
            st.markdown(
                f"This network knows only these {len(classes)} {kinds} and must pick one of "
                "them: for a picture of something else (a face, an animal) the answer is still "
                "one of these names, and its percentage says nothing about how right it is."
            )
        names = [f"{c} ✓" if i == picture.truth else c for i, c in enumerate(classes)]
        bars = bars_html(100 * result.probabilities, names, best=best, unit="%")
        st.markdown(bars, unsafe_allow_html=True)


def shapes_line(result: Run) -> str:
    """``input `1 × 28 × 28` → conv1 `32 × 26 × 26` → … → output `10```."""
    return " → ".join(f"{name} `{shape_text(v.shape)}`" for name, v in result.outputs.items())


def show_layers(chosen: Chosen, picture: Picture, result: Run) -> None:
    """The shapes line, then every layer's maps as one labelled mosaic per layer."""
    st.markdown(f"**Shapes, layer by layer:** {shapes_line(result)}")
    st.caption(
        "Maps are numbered row by row: the number on the left is the first map of its row, "
        "the number on top is added to it. One colour scale per layer, so a weak map looks pale. "
        "ReLU and pooling keep their convolution's cell size, so pooled maps look half as wide."
    )
    names, scale, layers = chosen.model.layer_names, None, []
    projector = theme.projector_on()
    for name in names[: names.index("flatten")]:  # conv, relu, pool of each block
        maps = result.outputs[name]
        if layer_kind(name) == "conv":  # ReLU and pooling draw their cells as large as this:
            scale = default_scale(*maps.shape[1:])  # pooled maps look half as wide, as they are
        mosaic = feature_mosaic(  # half as many to a row on a projector: tiles twice as big
            maps, signed=layer_kind(name) == "conv", scale=scale, columns=8 if projector else 16
        )
        field = receptive_field(chosen.model, name)
        layers.append(
            linked.FieldLayer(
                name=name,
                mosaic=mosaic,
                png=_png(f"{chosen.key}|{picture.key}|{name}|{projector}", mosaic.picture),
                maps=maps,
                field=(field.size, field.jump, field.start),
                title=f"{name} · {shape_text(maps.shape)}",
                caption=f"{describe(chosen.model, name)}; one cell sees {field.size} × "
                f"{field.size} input pixels.",
            )
        )
        st.markdown(  # the same facts as text (AppTest and screen readers read these)
            f"**{name}** `{shape_text(maps.shape)}`: {describe(chosen.model, name)}. "
            f"Receptive field {field.size} × {field.size}; values {maps.min():.3f} to "
            f"{maps.max():.3f}."
        )
    size = picture.pixels.shape[-1]
    linked.field_view(
        "inside.linked",
        input_rgb=image_to_rgb(picture.pixels),
        input_size=size,
        layers=layers,
        alt=f"The {size} × {size} input picture",
    )


def show_kernels(chosen: Chosen) -> None:
    """The learned kernels of every convolution layer."""
    for layer in conv_layers(chosen.model):
        weights = getattr(chosen.model, layer).weight.detach().numpy()  # (out, in, k, k)
        key = f"{chosen.key}|{layer}|kernels"
        sheet = _kernel_sheet(key, weights)
        st.markdown(f"**{layer} kernels** `{shape_text(weights.shape)}`")
        views.show(st, _png(key, sheet.picture), width="content")
        colour_scale(sheet.cmap, sheet.limits)
        out_count, in_count, k, _ = weights.shape
        if in_count == 1:
            st.caption(
                f"{layer}: {out_count} kernels of {k} × {k}, laid on the pixels themselves. "
                "Red weights are positive, blue negative."
            )
        else:
            st.caption(
                f"{layer}: {out_count} filters side by side, numbered on top; each column is "
                f"one filter, its {in_count} slices of {k} × {k} stacked top to bottom, one "
                "slice per map of the layer below (numbered on the left). Red weights are "
                "positive, blue negative."
            )


@st.cache_data(max_entries=4, show_spinner=False)
def _test_set_sha256(name: str, root: str) -> str:
    return pixels_sha256(_test_set(name, root)[0])


@st.cache_data(max_entries=8, show_spinner=False)
def _stored(name: str, folder: str | None, root: str) -> dict[str, Favourites]:
    """The shipped model's stored favourites, checked against the test set on this server
    (a ``WeightsError`` is not cached: restoring the file fixes the page)."""
    pixels, _ = _test_set(name, root)
    digest = _test_set_sha256(name, root)
    return load_top_patches(name, images=pixels, assets_dir=folder, images_sha256=digest)


@st.cache_resource(max_entries=8, ttl=7200, show_spinner=False)
def _searched(model_key: str, dataset: str, root: str, layer: str, _model: CNN) -> Favourites:
    """Every channel of ``layer`` searched at once in the test set, kept for the class."""
    pixels, _ = _test_set(dataset, root)
    return favourites(channel_peaks(_model, pixels, layer))


def layer_favourites(chosen: Chosen, layer: str) -> Favourites:
    """The favourite test pictures of every channel of ``layer``: stored beside a shipped
    model's weights (checked), else searched now, once per model and layer for the class."""
    root = str(data_root())
    if chosen.key == f"shipped:{chosen.dataset}":
        try:
            return _stored(chosen.dataset, assets_dir(), root)[layer]
        except WeightsError as error:
            st.caption(
                f"The stored search could not be used, so the test set is searched now. {error}"
            )
    with st.spinner(
        f"Searching the 10,000 test pictures for the ones {layer} likes most "
        "(once per layer, for the whole class)…"
    ):
        return _searched(chosen.key, chosen.dataset, root, layer, chosen.model)


def top_nine(chosen: Chosen, layer: str, channel: int) -> TopPatches:
    """The nine test pictures exciting ``channel`` of ``layer`` most (the test set must be
    there), with the patch each one shows the channel."""
    pixels, _ = _test_set(chosen.dataset, str(data_root()))
    found = layer_favourites(chosen, layer)
    return top_patches(chosen.model, pixels, layer, channel, found=found)


def channel_close_up(chosen: Chosen, picture: Picture, result: Run) -> None:
    """One map enlarged, its kernel, its strongest value, and the test patches it likes best."""
    layers = conv_layers(chosen.model)
    left, right = st.columns(2, gap="large")
    layer = address.choice(layer_param(tuple(layers)), "selectbox", left)
    conv = getattr(chosen.model, layer)
    channel = address.slider(channel_param(layer, conv.out_channels), right)
    values = result.outputs[layer][channel]
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    bias = float(conv.bias[channel])
    st.markdown(
        f"**{layer}, map {channel}** `{shape_text(values.shape)}`: max activation "
        f"**{values.max():.3f}** at row {row}, column {col} (outlined); smallest "
        f"{values.min():.3f}; the kernel's bias is {bias:.3f}."
    )
    key = f"{chosen.key}|{picture.key}|{layer}|{channel}"
    shown = close_up(values, signed=True, mark=(int(row), int(col)))
    a, b = st.columns(2, gap="large")
    caption = f"{layer}, map {channel} · {shape_text(values.shape)}: rows and columns numbered"
    views.show(a, _png(key, shown.picture), caption=caption, width="content")
    colour_scale(shown.cmap, shown.limits, a)
    kernel = conv.weight[channel].detach().numpy()  # (in, k, k)
    with b:
        if kernel.shape[0] == 1:
            k = kernel.shape[-1]
            st.html(grid_html(kernel[0], title=f"its kernel · {shape_text(kernel[0].shape)}"))
            st.caption(
                f"Each output pixel: multiply the {k} × {k} pixels under the kernel by these "
                "numbers, add them up, add the bias."
            )
        else:
            key = f"{chosen.key}|{layer}|{channel}|kernel"
            slices = feature_mosaic(kernel, signed=True, columns=8)
            st.markdown(f"**its kernel** `{shape_text(kernel.shape)}`, slices numbered")
            views.show(st, _png(key, slices.picture))
            colour_scale(slices.cmap, slices.limits)
            st.caption(
                f"One {kernel.shape[1]} × {kernel.shape[2]} slice per map of the layer below; "
                "the products of all slices are added, plus the bias."
            )
    box = address.expander(OPEN_TOP)  # searching the test set only when asked
    if box.open:
        with box:
            strongest_test_pictures(chosen, layer, channel)


def strongest_test_pictures(chosen: Chosen, layer: str, channel: int) -> None:
    """The nine test pictures exciting ``channel`` of ``layer`` most, as patches with words."""
    data = test_pictures(chosen.dataset)
    if data is None:
        st.info(
            "The test pictures that excite this map most need the test set, which is not on "
            "this server: choose “A test picture” above to see how to get it.",
            icon=":material/info:",
        )
        return
    pixels, labels = data
    found = top_nine(chosen, layer, channel)
    names = [chosen.classes[labels[i]] for i in found.indices]
    size = found.field.size
    st.markdown(
        f"**The {len(found.indices)} test pictures that excite {layer} map {channel} most.** "
        f"One pixel of {layer} sees a square of {size} × {size} input pixels (its "
        "[receptive field](/glossary#receptive-field)); each patch is that square around the "
        "strongest pixel. Top: "
        + ", ".join(
            f"#{i} ({n}, {a:.2f})"
            for i, n, a in zip(found.indices, names, found.activations, strict=True)
        )
        + "."
    )
    key = f"{chosen.key}|{layer}|{channel}|top"
    views.show(st, _patches_png(key, found, pixels, names), width="content")


def show_dense(chosen: Chosen, picture: Picture, result: Run) -> None:
    """Flatten and the dense layers, with their numbers of weights."""
    model, names = chosen.model, chosen.model.layer_names
    after = names[names.index("flatten") + 1 :]  # dense1, relu, output
    last_maps = result.outputs[names[names.index("flatten") - 1]]
    flat = result.outputs["flatten"]
    hidden = result.outputs[after[1]]
    logits = result.outputs["output"]
    dense = count_parameters(model.dense1)
    total = count_parameters(model)
    st.markdown(
        f"- **Flatten** `{flat.size}`: the last maps, `{shape_text(last_maps.shape)}`, laid "
        f"in one long row of {' × '.join(map(str, last_maps.shape))} = {flat.size:,} numbers. "
        "Nothing is computed, only the shape changes; where each number sat in its map is "
        "forgotten.\n"
        f"- **dense1** `{hidden.size}`: each of its {hidden.size} units multiplies all "
        f"{flat.size:,} numbers by its own weights, adds them up and adds a bias: "
        f"{flat.size:,} × {hidden.size} + {hidden.size} = {dense:,} weights, "
        f"{100 * dense / total:.0f} % of the network's {total:,}. ReLU then sets the "
        "negative ones to 0.\n"
        f"- **output** `{logits.size}`: {logits.size} units do the same with those "
        f"{hidden.size} numbers: one score per class.\n"
        "- **softmax** turns the scores into the probabilities at the top (they add up to "
        "100 %): the highest score gets the highest probability."
    )
    key = f"{chosen.key}|{picture.key}"
    lines = -(-flat.size // STRIP_PX)
    wrapped = f" (drawn in {lines} lines of {-(-flat.size // lines):,})" if lines > 1 else ""
    for values, name, caption in [
        (flat, "flatten", f"**flatten**: {flat.size:,} numbers in one row{wrapped}"),
        (hidden, "dense1", f"**dense1 + ReLU**: {hidden.size} numbers"),
    ]:
        band = strip(values, width=STRIP_PX, height=36)
        st.markdown(caption)
        views.show(st, _png(f"{key}|{name}", band), width="content")
        colour_scale(UNSIGNED_MAP, (0.0, symmetric_limit(values)))
    best = int(np.argmax(logits))
    st.markdown(f"**output**: {logits.size} scores (logits), one per class")
    bars = bars_html(logits, chosen.classes, best=best, signed=True, decimals=2)
    st.markdown(bars, unsafe_allow_html=True)


def show_saliency(chosen: Chosen, picture: Picture, result: Run) -> None:
    """Which input pixels sway the predicted class's score most."""
    heat = _saliency(chosen.key, picture.key, result.predicted, chosen.model, picture.pixels)
    # heat: (28, 28) in [0, 1]
    name = chosen.classes[result.predicted]
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    coloured = colours(heat, UNSIGNED_MAP, (0.0, 1.0))  # a diverged model's NaN: grey
    grey = image_to_rgb(picture.pixels)
    blend = (0.45 * grey + 0.55 * coloured).astype(np.uint8)
    st.markdown(
        f"A **saliency map** asks, for every pixel: if it were a little brighter or darker, "
        f"how much would the **{name}** score change? Bright pixels matter most; here the "
        f"strongest is at row {row}, column {col}."
    )
    for column, (picture_rgb, caption) in zip(
        views.sharp_pixels(st, "inside-saliency").columns(3),
        [
            (grey, "input · 1 × 28 × 28"),
            (coloured, f"saliency for “{name}” · 28 × 28"),
            (blend, "both on top of each other"),
        ],
        strict=True,
    ):
        views.show(column, picture_rgb, caption=caption)
