"""Train, sections 1 to 4: the data, the CNN, the training and augmentation settings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from cnnviz.augmentation import AugmentConfig, preview
from cnnviz.data import DatasetError, data_root, dataset_available
from cnnviz.model import (
    CNN,
    MLP,
    POOL_MODES,
    POOL_SIZE,
    CNNConfig,
    count_parameters,
    layer_shapes,
)
from cnnviz.model_file import (
    BLOCKS,
    FILTERS,
    KERNEL_SIZES,
)
from cnnviz.race import (  # the server's limits and the page's defaults live with the race
    BUDGETS,
    CNN_NAME,
    DEFAULT_PLAN,
    EPOCHS,
    MLP_NAME,
    RATES,
    SUBSETS,
    Plan,
    Splits,
    read_splits,
)
from cnnviz.shapes import output_size
from ui import address, cache, views
from ui.datasets import TITLES, offer_download

# The CNN's choices (FILTERS, KERNEL_SIZES, BLOCKS) live in cnnviz.model_file: a file a student
# downloads is read back only if it holds one of these networks.
POOL_TITLES = {"max": "Max", "avg": "Average", "none": "None"}
COLOURS = {CNN_NAME: "#1f6feb", MLP_NAME: "#e8710a"}
POLL_SECONDS = 1.0  # how often the page asks a running race for news
MAX_STEPS_KEY = "train.max_steps"  # session key: tests cap each model's steps with it
JOB_KEY, RUNS_KEY = "train.job", "train.runs"  # the race this session watches; its runs
STUDENT_KEY, JOINED_KEY, FULL_KEY = "train.student", "train.joined", "train.full"
PUBLISHED_KEY = "train.published"  # the race whose model this session has stored

# --- Streamlit: cached resources ---------------------------------------------------------------


def load_splits(dataset: str) -> Splits | None:
    """Both splits of ``dataset``, loaded once per server and shared read-only; when they are
    missing or damaged, None after saying so and offering the download."""
    if not dataset_available(dataset):
        offer_download(
            dataset, key="train.download", what="images", meanwhile="Training needs them."
        )
        return None
    try:
        return _load_splits(dataset, str(data_root()))
    except DatasetError as error:
        st.error(f"The {TITLES[dataset]} files are damaged: {error}", icon=":material/error:")
        offer_download(
            dataset, key="train.download", what="images", meanwhile="Training needs them."
        )
        return None


@cache.resource(spinner="Loading the images (once for the whole class)…", max_entries=4)
def _load_splits(dataset: str, root: str) -> Splits:
    return read_splits(dataset, root)


@cache.budgeted("augmented preview")
def preview_picture(dataset: str, augment: AugmentConfig, _images: np.ndarray) -> np.ndarray:
    """uint8 ``(H', W')``: the samples side by side, originals on top, moved copies below."""
    grid = preview(_images, augment, variants=3 if augment.active else 0, seed=7)  # (n, v, h, w)
    framed = np.pad(grid, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=128)  # grey frames
    rows = [np.concatenate(list(framed[:, v]), axis=1) for v in range(framed.shape[1])]
    picture = np.concatenate(rows, axis=0)  # (v * 30, n * 30)
    return np.repeat(np.repeat(picture, 3, 0), 3, 1)  # sharp pixels, readable on a projector


# --- Streamlit: the settings -------------------------------------------------------------------


# Every setting: key -> (widget, the address parameter it reads its options and default from).
# Keys are also the URL parameters of a share link.
_D = DEFAULT_PLAN
# fmt: off
WIDGETS = {
    key: (kind, address.Choice(key, label, options, default, show, help=help_text))
    for key, kind, label, options, default, show, help_text in (
        ("train.dataset", "radio", "Dataset", tuple(TITLES), _D.dataset, TITLES.get, None),
        ("train.subset", "select_slider", "Training images", SUBSETS, _D.subset, "{:,}".format,
         "Drawn at random (always the same draw) from the 60,000."),
        ("train.blocks", "segmented_control", "Conv blocks (conv → ReLU → pool)", BLOCKS,
         len(_D.cnn.channels), None, "Each block has twice the filters of the one before."),
        ("train.filters", "select_slider", "Filters in the first block", FILTERS,
         _D.cnn.channels[0], None, "How many kernels the first layer learns."),
        ("train.kernel", "segmented_control", "Kernel size", KERNEL_SIZES, _D.cnn.kernel_size,
         "{0} × {0}".format, None),
        ("train.pool", "segmented_control", "Pooling (2 × 2)", POOL_MODES, _D.cnn.pool,
         POOL_TITLES.get, None),
        ("train.mode", "segmented_control", "Train for", ("time", "epochs"), "time",
         {"time": "A time budget", "epochs": "A number of passes"}.get, None),
        ("train.budget", "select_slider", "Seconds of training", BUDGETS, _D.budget,
         "{} s".format, None),
        ("train.epochs", "select_slider", "Passes over the images (epochs)", EPOCHS, _D.epochs,
         None, None),
        ("train.lr", "select_slider", "Peak learning rate", RATES, _D.lr, "{:g}".format,
         "How big a step the optimiser takes at its fastest: it warms up to this "
         "rate, then cools down to almost 0 by the end (a one-cycle schedule)."),
        ("train.match", "radio", "The two networks get", ("epochs", "time"), _D.mlp_match,
         {"epochs": "The same number of passes", "time": "The same time"}.get, None),
        ("train.x_axis", "segmented_control", "Curves against", ("passes", "seconds"), "passes",
         {"passes": "Passes (epochs)", "seconds": "Seconds"}.get, None),
        ("train.confusion", "segmented_control", "Confusion matrix of", (CNN_NAME, MLP_NAME),
         CNN_NAME, None, None),
    )
}
AUGMENT = (  # shift, rotation, flip
    address.Whole("train.shift", "Shift up to (pixels)", 0, 4, 0),
    address.Whole("train.rotate", "Rotate up to (degrees)", 0, 30, 0, 5),
    address.Switch("train.flip", "Mirror left-right",
                   help="Fine for clothes; a mirrored digit is not a digit."),
)
# fmt: on
PARAMS = (*(param for _, param in WIDGETS.values()), *AUGMENT)


def widget(key: str, where=st):
    """The setting ``key`` from WIDGETS, remembered for the session and in the URL."""
    kind, param = WIDGETS[key]
    return address.choice(param, kind, where)


def read_plan() -> Plan | None:
    """The four groups of settings and the plan they describe (None: no CNN fits)."""
    d = DEFAULT_PLAN
    data, net, run = st.columns(3, gap="large")
    with data:
        st.subheader("1. The data")
        dataset = widget("train.dataset")
        subset = widget("train.subset")
    with net:
        st.subheader("2. The CNN")
        blocks = widget("train.blocks")
        first = widget("train.filters")
        kernel = widget("train.kernel")
        pool = widget("train.pool")
        cnn = _config(tuple(first * 2**i for i in range(blocks)), kernel, pool)
        if cnn is not None:
            describe_networks(cnn, d.mlp_hidden)
    with run:
        st.subheader("3. The training")
        timed = widget("train.mode") == "time"
        budget = float(widget("train.budget")) if timed else None
        epochs = d.epochs if timed else widget("train.epochs")
        lr = widget("train.lr")
        match = widget("train.match")
    augment = augmentation_settings(dataset)
    if cnn is None:
        return None
    return replace(
        d,
        dataset=dataset,
        subset=subset,
        budget=budget,
        epochs=epochs,
        lr=lr,
        cnn=cnn,
        augment=augment,
        mlp_match=match,
        max_steps=st.session_state.get(MAX_STEPS_KEY),
    )


def _config(channels: tuple[int, ...], kernel: int, pool: str) -> CNNConfig | None:
    """The CNN config, or None (with a warning) when the picture shrinks to nothing."""
    try:
        return replace(DEFAULT_PLAN.cnn, channels=channels, kernel_size=kernel, pool=pool)
    except ValueError:
        st.warning(
            f"No CNN fits: the picture's side goes {_shrinking(channels, kernel, pool)}. Each "
            f"conv block makes it {kernel - 1} pixels smaller and each pooling halves it. Use "
            "fewer blocks, a smaller kernel or no pooling.",
            icon=":material/lightbulb:",
        )
        return None


def augmentation_settings(dataset: str) -> AugmentConfig:
    """Shift, rotation and flip controls, under their own heading."""
    st.subheader("4. Augmentation: move the training images a little")
    st.markdown(
        "[Augmentation](/glossary#augmentation) shows the network each training image a "
        "little moved, a fresh move every pass, so it cannot simply memorise pixels. It "
        "usually costs a little accuracy in a short training and pays off on moved pictures: "
        "the results below test both networks on moved test images too."
    )
    a, b, c = st.columns(3)
    shift, rotation = address.slider(AUGMENT[0], a), address.slider(AUGMENT[1], b)
    flip = address.switch(AUGMENT[2], c)
    if flip and dataset == "mnist":
        c.caption("A mirrored 2 is not a 2: flips teach the network nonsense about digits.")
    return AugmentConfig(shift=shift, rotation=float(rotation), flip=flip)


def _shrinking(channels: tuple[int, ...], kernel: int, pool: str) -> str:
    """``"28 → 22 → 11 → 5 → 2 → nothing"``: the picture's side through the blocks."""
    sides, side = ["28"], 28
    for _ in channels:
        try:
            side = output_size(side, kernel)  # a valid convolution
            if pool != "none":
                side = output_size(side, POOL_SIZE, stride=POOL_SIZE)
        except ValueError:  # the window no longer fits: nothing is left
            return " → ".join([*sides, "nothing"])
        sides.append(str(side))
    return " → ".join(sides)


def describe_networks(cnn: CNNConfig, mlp_hidden: tuple[int, ...]) -> None:
    """Parameter counts of both networks and the CNN's shapes, updated as the settings change."""
    shapes = " → ".join(
        f"{name} {' × '.join(map(str, shape))}"
        for name, shape in layer_shapes(cnn)
        if name[:4] != "relu"
    )
    st.markdown(
        f"**{count_parameters(CNN(cnn)):,}** numbers to learn in the CNN, "
        f"**{count_parameters(MLP(mlp_hidden)):,}** in the dense network."
    )
    st.caption(
        f"CNN shapes: {shapes}. Dense network: 784 pixels → {' → '.join(map(str, mlp_hidden))} "
        "→ 10, every pixel wired to every neuron."
    )


def show_preview(plan: Plan, splits: Splits) -> None:
    """Six training images, each beside four moved copies."""
    labels = splits.train_labels
    picks = [int(np.flatnonzero(labels == c)[0]) for c in range(6)]  # six different classes
    picture = preview_picture(plan.dataset, plan.augment, splits.train_images[picks])
    if plan.augment.active:
        caption = (
            "Top row: the originals. Below: three copies as training might see them "
            f"({plan.augment.describe()}). Each pass over the data gets fresh moves."
        )
    else:
        caption = "Augmentation is off: training sees the images exactly as they are."
    views.show(st, picture, caption=caption, width=picture.shape[1])
