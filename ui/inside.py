"""Pieces of the "Inside a CNN" page: the model and picture pickers, and every view of the net.

Figures are drawn once per (model, picture, view) and shared through ``st.cache_data``; the
search of the test set for a channel's favourite patches runs once per model and layer for the
whole class. The shipped models are shared by everyone and are only ever read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import matplotlib
import numpy as np
import streamlit as st
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cnnviz import images
from cnnviz.data import (
    CLASS_NAMES,
    DatasetError,
    data_root,
    dataset_available,
    load_dataset,
)
from cnnviz.explain import Peaks, TopPatches, channel_peaks, conv_layers, tile, top_patches
from cnnviz.grids import grid_html
from cnnviz.model import CNN, count_parameters, feature_maps, saliency, to_tensor
from cnnviz.plotting import colorize, figure_png, image_to_rgb, symmetric_limit
from cnnviz.preprocess import Preprocessed, to_dataset_style
from cnnviz.weights import MODEL_NAMES, WeightsError
from ui import cache, views
from ui.datasets import TITLES, offer_download
from ui.drawing import drawing_pad
from ui.models import SUBJECTS, model_title, shipped_model
from ui.user_model import get_user_model

YOURS = "yours"  # the model-choice value for this session's own trained model
SOURCES = {"test": "A test picture", "upload": "Upload a picture", "draw": "Draw one"}
TITLE_SIZE, LABEL_SIZE = 17, 13  # points: readable from the back of a classroom
DPI = 110


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
    """Radio of the shipped models (and this session's own); None with a message if damaged."""
    user = get_user_model()
    options = [*MODEL_NAMES, *([YOURS] if user is not None else [])]
    titles = {name: model_title(name) for name in MODEL_NAMES}
    if user is not None:
        titles[YOURS] = f"Your model from the Train page ({user.title})"
    choice = st.radio(
        "Which trained network?",
        options,
        format_func=titles.get,
        key="inside.model",
        persist_state="session",
        bind="query-params",
    )
    if choice == YOURS and user is not None:
        return Chosen(user.model, user.dataset, f"user:{weights_digest(user.model)}", titles[YOURS])
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
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    index = left.number_input(
        f"Test picture number (0 to {len(pixels) - 1:,})",
        min_value=0,
        max_value=len(pixels) - 1,
        value=0,
        step=1,
        key="inside.index",
        persist_state="session",
        bind="query-params",
    )
    right.button(
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
        f"A photo or drawing of {thing} (PNG, JPEG, WebP, BMP, GIF or TIFF)",
        key="inside.upload",
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
    source = st.radio(
        "Where does the picture come from?",
        list(SOURCES),
        index=0 if has_data else 1,
        format_func=SOURCES.get,
        horizontal=True,
        key="inside.source",
        persist_state="session",
        bind="query-params",
    )
    if source == "test":
        return _from_test_set(chosen)
    return _from_upload(chosen) if source == "upload" else _from_drawing(chosen)


# --- figures (plain matplotlib; drawn once per key through _png) -----------------------------


def _map_limits(values: np.ndarray, signed: bool) -> tuple[str, float, float]:
    m = symmetric_limit(values)
    return ("RdBu_r", -m, m) if signed else ("magma", 0.0, m)


def feature_grid(maps: np.ndarray, *, title: str, signed: bool, columns: int = 16) -> Figure:
    """``(C, h, w)`` maps as one grid with a shared colour scale, numbered row by row."""
    count, h, w = maps.shape
    columns = min(columns, count)
    rows = -(-count // columns)
    sheet = tile(maps, columns, gap=max(1, h // 8))
    cmap, low, high = _map_limits(maps, signed)
    width = min(12.0, 0.75 * columns + 1.2)
    fig = Figure(figsize=(width, (width - 0.6) * sheet.shape[0] / sheet.shape[1] + 1.5))
    ax = fig.add_subplot()
    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    shown = ax.imshow(sheet, cmap=colours, vmin=low, vmax=high, interpolation="nearest")
    ax.set_xticks([(c + 0.5) * (sheet.shape[1] + 1) / columns - 1 for c in range(columns)])
    ax.set_xticklabels(range(columns))
    ax.set_yticks([(r + 0.5) * (sheet.shape[0] + 1) / rows - 1 for r in range(rows)])
    ax.set_yticklabels([str(r * columns) for r in range(rows)])
    ax.tick_params(length=0, labelsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE + 2, fontweight="bold")
    bar = fig.colorbar(shown, ax=ax, orientation="vertical", fraction=0.03, pad=0.015)
    bar.ax.tick_params(labelsize=LABEL_SIZE - 1)
    return fig


def kernel_sheet(weights: np.ndarray, *, title: str) -> Figure:
    """Kernels ``(out, in, k, k)``: one column per filter, one row per input channel."""
    out_count, in_count, k, _ = weights.shape
    sheet = tile(weights.transpose(1, 0, 2, 3).reshape(-1, k, k), out_count, gap=1)
    m = symmetric_limit(weights)
    wide = out_count >= 16
    fig = Figure(figsize=(12 if wide else 7, max(2.4, 12 * sheet.shape[0] / sheet.shape[1] + 1.6)))
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
    shown = ax.imshow(sheet, cmap=colours, vmin=-m, vmax=m, interpolation="nearest")
    every = 1 if out_count <= 32 else 4
    ax.set_xticks([c * (k + 1) + (k - 1) / 2 for c in range(0, out_count, every)])
    ax.set_xticklabels(range(0, out_count, every))
    ax.set_xlabel("filter number = output channel", fontsize=LABEL_SIZE)
    if in_count > 1:
        every = 1 if in_count <= 16 else 4
        ax.set_yticks([r * (k + 1) + (k - 1) / 2 for r in range(0, in_count, every)])
        ax.set_yticklabels(range(0, in_count, every))
        ax.set_ylabel("input channel", fontsize=LABEL_SIZE)
    else:
        ax.set_yticks([])
    ax.tick_params(length=0, labelsize=LABEL_SIZE - 3)
    ax.set_title(title, fontsize=TITLE_SIZE, fontweight="bold")
    bar = fig.colorbar(shown, ax=ax, orientation="horizontal", fraction=0.04, pad=0.12)
    bar.ax.tick_params(labelsize=LABEL_SIZE - 2)
    bar.set_label("weight (red +, blue −)", fontsize=LABEL_SIZE - 1)
    return fig


def probability_figure(probs: np.ndarray, classes: tuple[str, ...], truth: int | None) -> Figure:
    """Horizontal bars, one per class, the winner in orange, percentages written."""
    fig = Figure(figsize=(7, 0.42 * len(classes) + 0.8))
    ax = fig.add_subplot()
    best = int(np.argmax(probs))
    colours = ["#e8710a" if i == best else "#1f6feb" for i in range(len(classes))]
    rows = np.arange(len(classes))
    ax.barh(rows, 100 * probs, color=colours)
    names = [f"{c} ✓" if i == truth else c for i, c in enumerate(classes)]
    ax.set_yticks(rows, names, fontsize=LABEL_SIZE + 3)
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xlabel("probability (%)", fontsize=LABEL_SIZE + 1)
    ax.tick_params(axis="x", labelsize=LABEL_SIZE)
    for row, p in zip(rows, probs, strict=True):
        ax.text(100 * p + 1, row, f"{100 * p:.1f} %", va="center", fontsize=LABEL_SIZE + 2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def patches_figure(found: TopPatches, pixels: np.ndarray, names: list[str]) -> Figure:
    """Top row: the patches, strongest first; bottom row: their whole pictures, patch boxed."""
    k = len(found.indices)
    fig = Figure(figsize=(1.55 * k, 4.6))
    axes = fig.subplots(2, k, squeeze=False)
    for i in range(k):
        patch_ax, whole_ax = axes[0, i], axes[1, i]
        patch_ax.imshow(found.patches[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        patch_ax.set_title(f"{found.activations[i]:.2f}", fontsize=LABEL_SIZE + 5)
        whole_ax.imshow(pixels[found.indices[i]], cmap="gray", vmin=0, vmax=255)
        top, left, bottom, right = found.boxes[i]
        whole_ax.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5), right - left, bottom - top, fill=False, ec="#ffb000", lw=3
            )
        )
        whole_ax.set_xlabel(f"#{found.indices[i]}\n{names[i]}", fontsize=LABEL_SIZE + 2)
        for ax in (patch_ax, whole_ax):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("patch", fontsize=LABEL_SIZE + 2)
    axes[1, 0].set_ylabel("picture", fontsize=LABEL_SIZE + 2)
    fig.tight_layout()
    return fig


def channel_figure(values: np.ndarray, *, title: str, signed: bool) -> Figure:
    """One ``(h, w)`` map, large, with its strongest pixel outlined and a colour scale."""
    cmap, low, high = _map_limits(values, signed)
    fig = Figure(figsize=(5.2, 5.6))
    ax = fig.add_subplot()
    shown = ax.imshow(values, cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, ec="#00d0ff", lw=3))
    ax.set_title(title, fontsize=TITLE_SIZE, fontweight="bold")
    ax.tick_params(labelsize=LABEL_SIZE - 2)
    bar = fig.colorbar(shown, ax=ax, orientation="horizontal", fraction=0.05, pad=0.08)
    bar.ax.tick_params(labelsize=LABEL_SIZE - 2)
    return fig


def dense_figure(
    flat: np.ndarray, hidden: np.ndarray, logits: np.ndarray, classes: tuple[str, ...]
) -> Figure:
    """The flattened numbers, the hidden layer after ReLU and the output scores (logits)."""
    fig = Figure(figsize=(12, 6.2))
    grid = fig.add_gridspec(3, 1, height_ratios=[1, 1, 2.6], hspace=1.0)
    for row, (values, title) in enumerate(
        [
            (flat, f"flatten: {flat.size:,} numbers in one row"),
            (hidden, f"dense1 + ReLU: {hidden.size} numbers"),
        ]
    ):
        ax = fig.add_subplot(grid[row])
        ax.imshow(values[None], aspect="auto", cmap="magma", vmin=0, interpolation="nearest")
        ax.set_yticks([])
        ax.set_title(title, fontsize=TITLE_SIZE - 1, loc="left", fontweight="bold")
        ax.tick_params(labelsize=LABEL_SIZE)
    ax = fig.add_subplot(grid[2])
    best = int(np.argmax(logits))
    colours = ["#e8710a" if i == best else "#1f6feb" for i in range(len(classes))]
    ax.bar(range(len(classes)), logits, color=colours)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(classes)), classes, fontsize=LABEL_SIZE + 1, rotation=20)
    ax.tick_params(axis="y", labelsize=LABEL_SIZE)
    ax.set_title(
        f"output: {logits.size} scores (logits), one per class",
        fontsize=TITLE_SIZE - 1,
        loc="left",
        fontweight="bold",
    )
    return fig


BUILDERS = {
    "grid": feature_grid,
    "kernels": kernel_sheet,
    "probabilities": probability_figure,
    "patches": patches_figure,
    "channel": channel_figure,
    "dense": dense_figure,
}


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _png(kind: str, key: str, _arrays: tuple, **options) -> bytes:
    """PNG of ``BUILDERS[kind](*_arrays, **options)``; ``key`` names the arrays exactly."""
    return figure_png(BUILDERS[kind](*_arrays, **options), dpi=DPI)


def png(kind: str, key: str, *arrays, **options) -> bytes:
    """Draw a figure once per ``(kind, key, options)`` for the whole class."""
    return _png(kind, key, arrays, **options)


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
        key = f"{chosen.key}|{picture.key}"
        bars = png("probabilities", key, result.probabilities, classes=classes, truth=picture.truth)
        views.show(st, bars)


def shapes_line(result: Run) -> str:
    """``input `1 × 28 × 28` → conv1 `32 × 26 × 26` → … → output `10```."""
    return " → ".join(f"{name} `{shape_text(v.shape)}`" for name, v in result.outputs.items())


def show_layers(chosen: Chosen, picture: Picture, result: Run) -> None:
    """The shapes line, then every layer's maps as one labelled grid per layer."""
    st.markdown(f"**Shapes, layer by layer:** {shapes_line(result)}")
    st.caption(
        "Maps are numbered row by row: the number on the left is the first map of its row, "
        "the number on top is added to it. One colour scale per layer, so a weak map looks pale."
    )
    names = chosen.model.layer_names
    for name in names[: names.index("flatten")]:  # conv, relu, pool of each block
        maps = result.outputs[name]
        title = f"{name} · {shape_text(maps.shape)}: {describe(chosen.model, name)}"
        signed = name.startswith("conv")
        key = f"{chosen.key}|{picture.key}|{name}"
        views.show(st, png("grid", key, maps, title=title, signed=signed), width="content")


def show_kernels(chosen: Chosen) -> None:
    """The learned kernels of every convolution layer."""
    for layer in conv_layers(chosen.model):
        weights = getattr(chosen.model, layer).weight.detach().numpy()  # (out, in, k, k)
        title = f"{layer} kernels · {shape_text(weights.shape)}"
        key = f"{chosen.key}|{layer}"
        if weights.shape[1] == 1:
            figure = png("grid", key, weights[:, 0], title=title, signed=True, columns=16)
        else:
            figure = png("kernels", key, weights, title=title)
        views.show(st, figure, width="content")
        out_count, in_count, k, _ = weights.shape
        if in_count == 1:
            st.caption(
                f"{layer}: {out_count} kernels of {k} × {k}, laid on the pixels themselves. "
                "Red weights are positive, blue negative."
            )
        else:
            st.caption(
                f"{layer}: {out_count} filters side by side; each column is one filter, its "
                f"{in_count} slices of {k} × {k} stacked top to bottom, one slice per map of "
                "the layer below. Red weights are positive, blue negative."
            )


@st.cache_resource(max_entries=8, ttl=7200, show_spinner=False)
def _peaks(model_key: str, dataset: str, root: str, layer: str, _model: CNN) -> Peaks:
    pixels, _ = _test_set(dataset, root)
    return channel_peaks(_model, pixels, layer)


@st.cache_data(max_entries=512, show_spinner=False)
def _top9(model_key: str, dataset: str, root: str, layer: str, channel: int, _model: CNN):
    pixels, _ = _test_set(dataset, root)
    peaks = _peaks(model_key, dataset, root, layer, _model)
    return top_patches(_model, pixels, layer, channel, peaks=peaks)


def top_nine(chosen: Chosen, layer: str, channel: int) -> TopPatches:
    """The nine test pictures exciting ``channel`` of ``layer`` most (the test set must be
    there). The search covers every channel of the layer at once and is kept for the class.
    """
    with st.spinner(
        f"Searching the 10,000 test pictures for the ones {layer} likes most "
        "(once per layer, for the whole class)…"
    ):
        return _top9(chosen.key, chosen.dataset, str(data_root()), layer, channel, chosen.model)


def channel_close_up(chosen: Chosen, picture: Picture, result: Run) -> None:
    """One map enlarged, its kernel, its strongest value, and the test patches it likes best."""
    layers = conv_layers(chosen.model)
    left, right = st.columns(2, gap="large")
    layer = left.selectbox(
        "Layer", layers, key="inside.layer", persist_state="session", bind="query-params"
    )
    conv = getattr(chosen.model, layer)
    channel = right.slider(
        f"Map number in {layer} (0 to {conv.out_channels - 1})",
        0,
        conv.out_channels - 1,
        value=0,
        key=f"inside.channel.{layer}",
        persist_state="session",
        bind="query-params",
    )
    values = result.outputs[layer][channel]
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    bias = float(conv.bias[channel])
    st.markdown(
        f"**{layer}, map {channel}** `{shape_text(values.shape)}`: max activation "
        f"**{values.max():.3f}** at row {row}, column {col} (outlined); smallest "
        f"{values.min():.3f}; the kernel's bias is {bias:.3f}."
    )
    key = f"{chosen.key}|{picture.key}|{layer}|{channel}"
    title = f"{layer}, map {channel} · {shape_text(values.shape)}"
    a, b = st.columns(2, gap="large")
    views.show(a, png("channel", key, values, title=title, signed=True))
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
            grid = png(
                "grid",
                f"{chosen.key}|{layer}|{channel}|kernel",
                kernel,
                title=f"its kernel · {shape_text(kernel.shape)}",
                signed=True,
                columns=8,
            )
            views.show(st, grid)
            st.caption(
                f"One {kernel.shape[1]} × {kernel.shape[2]} slice per map of the layer below; "
                "the products of all slices are added, plus the bias."
            )
    box = st.expander(
        "Which test pictures excite this map most?",
        key="inside.open.top",
        on_change="rerun",  # searching 10,000 pictures is worth doing only when asked
        bind="query-params",
    )
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
    views.show(
        st, png("patches", f"{chosen.key}|{layer}|{channel}|top", found, pixels, names=names)
    )


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
    key = f"{chosen.key}|{picture.key}|dense"
    views.show(st, png("dense", key, flat, hidden, logits, classes=chosen.classes))


def show_saliency(chosen: Chosen, picture: Picture, result: Run) -> None:
    """Which input pixels sway the predicted class's score most."""
    heat = _saliency(chosen.key, picture.key, result.predicted, chosen.model, picture.pixels)
    # heat: (28, 28) in [0, 1]
    name = chosen.classes[result.predicted]
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    coloured = colorize(heat, cmap="magma", limits=(0.0, 1.0))
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
