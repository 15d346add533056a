"""Inside a CNN, section 1: which trained network (shipped, this session's, or uploaded)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
import torch

from cnnviz.data import (
    CLASS_NAMES,
)
from cnnviz.model import CNN
from cnnviz.model_file import MAX_MEGABYTES as MODEL_MEGABYTES
from cnnviz.model_file import ModelCard, ModelFileError, from_bytes
from cnnviz.weights import MODEL_NAMES, WeightsError
from ui import address
from ui.datasets import TITLES
from ui.models import SUBJECTS, limit_threads, model_title, shipped_model
from ui.user_model import get_user_model

YOURS = "yours"  # the model-choice value for this session's own trained model
UPLOAD = "upload"  # the model-choice value for a network file the student uploads
UPLOAD_TITLE = "A network you trained (upload its file)"
UPLOADED_KEY = "inside.uploaded"  # session state: the network from the last file accepted
MEANWHILE = "fashion-mnist"  # the shipped network shown while no uploaded file is usable
SOURCES = {"test": "A test picture", "upload": "Upload a picture", "draw": "Draw one"}


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
class NetworkKey:
    """Names a network's weights in the caches, by its fields (never a joined string)."""

    origin: str  # "shipped", "checkpoint", "user" (trained on the Train page) or "upload"
    name: str  # the dataset's name (shipped, checkpoint), else a digest of the weights
    step: int | None = None  # a checkpoint's training step


@dataclass(frozen=True)
class Chosen:
    """The network the page looks inside."""

    model: CNN  # eval mode, gradients off; shipped ones are shared: read only
    dataset: str  # "fashion-mnist" or "mnist": class names, test set, upload style
    key: NetworkKey  # names these exact weights in the caches
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
        return Chosen(
            user.model, user.dataset, NetworkKey("user", weights_digest(user.model)), titles[YOURS]
        )
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
    return Chosen(model, choice, NetworkKey("shipped", choice), titles[choice])


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
    return Chosen(stored.model, card.dataset, NetworkKey("upload", stored.digest[:16]), title)


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
