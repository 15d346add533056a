"""A student's trained CNN as one file: safetensors, with its card inside, checked on the way in.

The file is an ordinary ``.safetensors`` file (the tensors of :class:`~cnnviz.model.CNN`, 32-bit
floats) whose header's ``__metadata__`` carries the card under ``"cnnviz.card"``: a JSON text
naming the architecture, its layers, the dataset and what training reached. One file is what a
student keeps most easily: nothing to unzip, nothing to keep together, and any safetensors
reader opens it.

:func:`from_bytes` trusts nothing in a file. It never unpickles; it refuses a file larger than
:data:`MAX_BYTES` and a header longer than :data:`MAX_HEADER_BYTES` before reading either; it
accepts only the architectures the Train page offers (:func:`offered`), exactly the tensors
such a network has (names, shapes, 32-bit floats), and only finite numbers. Anything else
raises :class:`ModelFileError` with one sentence saying what is wrong.
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import asdict, dataclass, fields, replace

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from cnnviz.images import MAX_BYTES as IMAGE_MAX_BYTES
from cnnviz.model import CNN, POOL_MODES, CNNConfig, layer_shapes
from cnnviz.race import Plan

# The Train page's choices (pages/train/ builds its widgets from these): its CNN is
# Plan().cnn with these filters, blocks, kernel sizes and pooling, nothing else. A file may
# hold only such a network.
TRAIN_CNN = Plan().cnn  # dense units, classes, picture size and dropout stay as they are
BLOCKS = (1, 2, 3)  # conv blocks; each has twice the filters of the one before
FILTERS = (4, 8, 16, 32, 64)  # filters of the first block
KERNEL_SIZES = (3, 5, 7)  # side of every square kernel
DATASETS = ("fashion-mnist", "mnist")  # what the Train page trains on: the class names to show
TRAINING_IMAGES = 60_000  # the most training images a dataset has

# The largest network the Train page makes (64 -> 128 filters of 3 x 3, no pooling) is a 38 MB
# file; the uploaders' limit is the pictures' 25 MB (the server refuses more). Networks over
# it are told so on the Train page instead of offered as a file the app would refuse.
MAX_BYTES = IMAGE_MAX_BYTES
MAX_MEGABYTES = MAX_BYTES // 10**6
MAX_HEADER_BYTES = 100_000  # a real header is about 2 kB: its tensors' places and the card
CARD_KEY = "cnnviz.card"  # where the card sits in the header's __metadata__
FORMAT, VERSION = "cnnviz CNN", 1
FROM_TRAIN = "a network file downloaded from the Train page"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


class ModelFileError(ValueError):
    """An uploaded network file cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class ModelCard:
    """What the Train page knew about a network when it was saved (architecture aside)."""

    dataset: str  # "fashion-mnist" or "mnist": its class names and test pictures
    training_images: int  # how many training images it learned from (1 to 60,000)
    passes: float  # passes over those images (epochs), fractions allowed
    test_accuracy: float  # share of the test pictures it got right, in [0, 1]
    test_images: int = 10_000  # how many test pictures that share is of


# --- the architectures a file may hold -------------------------------------------------------


def offered() -> list[CNNConfig]:
    """Every CNN the Train page can make (those whose picture does not shrink to nothing)."""
    found = []
    for blocks in BLOCKS:
        for first in FILTERS:
            for kernel in KERNEL_SIZES:
                for pool in POOL_MODES:
                    channels = tuple(first * 2**i for i in range(blocks))
                    try:
                        found.append(_train_config(channels, kernel, pool))
                    except ValueError:
                        continue
    return found


def _train_config(channels: tuple[int, ...], kernel: int, pool: str) -> CNNConfig:
    return replace(TRAIN_CNN, channels=channels, kernel_size=kernel, pool=pool)


def describe(config: CNNConfig, *, dense: bool = False) -> str:
    """``"a network with 16 → 32 filters of 3 × 3"`` (``dense``: with its pooling and dense
    units, what the size of its dense layer depends on)."""
    k = config.kernel_size
    words = f"a network with {' → '.join(map(str, config.channels))} filters of {k} × {k}"
    if dense:
        pool = "no pooling" if config.pool == "none" else f"{config.pool} pooling"
        words += f", {pool} and {config.dense} dense units"
    return words


def file_size(config: CNNConfig) -> int:
    """Bytes of the file of a network ``config`` (its tensors; the header adds about 2 kB)."""
    shapes = dict(layer_shapes(config))
    numbers, depth = 2, 1  # the pixel mean and spread
    for channels in config.channels:
        numbers += channels * (depth * config.kernel_size**2 + 1)
        depth = channels
    numbers += (shapes["flatten"][0] + 1) * config.dense + (config.dense + 1) * config.num_classes
    return 4 * numbers


def fits_upload(config: CNNConfig) -> bool:
    """Whether the file of a network ``config`` is small enough to be uploaded again."""
    return file_size(config) + MAX_HEADER_BYTES <= MAX_BYTES


# --- writing -----------------------------------------------------------------------------------


def card_json(config: CNNConfig, card: ModelCard) -> dict:
    """The card as the file stores it: format, architecture, layers, then the training facts."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {**asdict(config), "channels": list(config.channels)},
        "layers": [name for name, _ in layer_shapes(config)[1:]],
        **asdict(card),
        "torch_version": torch.__version__,
    }


def to_bytes(model: CNN, config: CNNConfig, card: ModelCard) -> bytes:
    """The file of ``model`` (a :class:`CNN` of architecture ``config``): safetensors bytes with
    ``card`` in the header. Reads the model, never changes it."""
    if model.config != config:
        raise ValueError(f"the model's architecture is {model.config}, not {config}")
    tensors = {
        name: tensor.detach().to(torch.float32).contiguous().clone()
        for name, tensor in model.state_dict().items()
    }
    return save(tensors, metadata={CARD_KEY: json.dumps(card_json(config, card))})


# --- reading -----------------------------------------------------------------------------------


def from_bytes(data: bytes) -> tuple[CNN, ModelCard]:
    """The network in a file made by :func:`to_bytes`, in ``eval()`` mode with gradients off,
    and its card. Raises :class:`ModelFileError` (one sentence) for anything else."""
    data = bytes(data)
    header, body = _split(data)
    entries, metadata = _entries(header)
    card_text = metadata.get(CARD_KEY)
    if not isinstance(card_text, str):
        raise ModelFileError(
            f"This .safetensors file carries no cnnviz card, so it is not {FROM_TRAIN} (the "
            "card says which network the numbers belong to)."
        )
    config, card = _read_card(card_text)
    model = CNN(config)
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    _check_entries(entries, expected, config, len(body))
    try:
        tensors = load(data)
    except SafetensorError:  # after the checks above: damage the reader alone sees
        raise ModelFileError(
            "This file is damaged: its header and its numbers do not agree."
        ) from None
    _check_numbers(tensors)
    model.load_state_dict(tensors, strict=True)
    return model.eval().requires_grad_(False), card


def _split(data: bytes) -> tuple[dict, bytes]:
    """The header (parsed) and the tensors' bytes; the header's size is checked before it is
    read, and the file's before anything."""
    if not data:
        raise ModelFileError(f"This file is empty (0 bytes): choose {FROM_TRAIN}.")
    if len(data) > MAX_BYTES:
        raise ModelFileError(
            f"This file is {len(data) / 10**6:.1f} MB; {FROM_TRAIN} is at most {MAX_MEGABYTES} MB."
        )
    _refuse_other_formats(data)
    if len(data) < 8:
        raise ModelFileError(
            f"This file ends after {len(data)} bytes, before its header: it was probably cut "
            "off while copying or uploading."
        )
    (size,) = struct.unpack("<Q", data[:8])  # safetensors: the header's length comes first
    if size > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"This file says its header is {size:,} bytes long; the header of {FROM_TRAIN} is "
            f"at most {MAX_HEADER_BYTES:,} bytes, so it is not one (or it is damaged)."
        )
    if 8 + size > len(data):
        raise ModelFileError(
            f"This file ends inside its header ({len(data):,} bytes of {8 + size:,}): it was "
            "probably cut off while copying or uploading."
        )
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise ModelFileError(
            f"This file's header is not readable, so it is not a .safetensors file: choose "
            f"{FROM_TRAIN}."
        )
    return header, data[8 + size :]


def _refuse_other_formats(data: bytes) -> None:
    """Name the kinds of file students mistake for a network file (never opening them)."""
    if data[:2] == b"PK":
        kind = "a PyTorch file made by torch.save" if b"data.pkl" in data else "a zip archive"
        raise ModelFileError(
            f"This file is {kind}, which holds a pickle that can run any program when opened; "
            f"the app opens only .safetensors files, such as {FROM_TRAIN}."
        )
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ModelFileError(
            "This file is a Python pickle, which can run any program when opened; the app "
            f"opens only .safetensors files, such as {FROM_TRAIN}."
        )
    if data[:4] in (b"\x89PNG", b"GIF8") or data[:3] == b"\xff\xd8\xff":
        raise ModelFileError(
            "This file is a picture, not a network: to show the network a picture, choose "
            "“Where does the picture come from?” below; here goes "
            f"{FROM_TRAIN}."
        )


def _entries(header: dict) -> tuple[dict[str, dict], dict]:
    """The header's tensor entries and its ``__metadata__`` (text only)."""
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        raise ModelFileError("This file's header is damaged: its metadata is not a list of texts.")
    entries = {name: entry for name, entry in header.items() if name != "__metadata__"}
    for name, entry in entries.items():
        keys = entry.keys() if isinstance(entry, dict) else ()
        if set(keys) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(
                f"This file's header is damaged: the entry of {_quoted(name)} does not give a "
                "type, a shape and a place."
            )
    return entries, metadata


def _quoted(text: object, what: str = "tensor") -> str:
    """``a tensor “conv3.weight”`` for a short plain name from a file; odd text is not echoed."""
    text = str(text)
    return f"a {what} “{text}”" if _SAFE_NAME.fullmatch(text) else f"a {what} with an odd name"


# --- the card ----------------------------------------------------------------------------------


def _read_card(text: str) -> tuple[CNNConfig, ModelCard]:
    try:
        card = json.loads(text)
    except (ValueError, RecursionError):
        card = None
    if not isinstance(card, dict):
        raise ModelFileError(
            "This file's card is not readable JSON, so the app cannot tell which network its "
            f"numbers belong to: choose {FROM_TRAIN}."
        )
    if card.get("format") != FORMAT or card.get("version") != VERSION:
        raise ModelFileError(
            f"This file's card is not a cnnviz card of version {VERSION}: choose {FROM_TRAIN}."
        )
    config = _architecture(card.get("architecture"))
    _check_layers(card.get("layers"), config)
    return config, _facts(card)


ARCHITECTURE_FIELDS = tuple(f.name for f in fields(CNNConfig))


def _architecture(found: object) -> CNNConfig:
    """The card's architecture as a CNNConfig, if the Train page offers it."""
    if not isinstance(found, dict):
        raise ModelFileError("This file's card does not describe the network's architecture.")
    unknown = [key for key in found if key not in ARCHITECTURE_FIELDS]
    if unknown:
        raise ModelFileError(
            f"This file's card gives its network {_quoted(unknown[0], 'setting')}, "
            "which the Train page's networks do not have (theirs are "
            f"{', '.join(ARCHITECTURE_FIELDS)})."
        )
    missing = [key for key in ARCHITECTURE_FIELDS if key not in found]
    if missing:
        raise ModelFileError(f"This file's card does not say the network's {missing[0]}.")
    channels = found["channels"]
    if not (isinstance(channels, list) and channels and all(_whole(c) for c in channels)):
        raise ModelFileError("This file's card does not give the filters of each block as numbers.")
    for key in ("kernel_size", "dense", "num_classes", "image_size"):
        if not _whole(found[key]):
            raise ModelFileError(f"This file's card gives its network's {key} as no whole number.")
    sides = " or ".join(f"{k} × {k}" for k in KERNEL_SIZES)
    checks = (
        (len(channels) in BLOCKS, f"{len(channels)} conv blocks; the Train page makes 1 to 3"),
        (
            channels[0] in FILTERS,
            f"{channels[0]} filters in its first block; the Train page "
            f"offers {', '.join(map(str, FILTERS))}",
        ),
        (
            all(b == 2 * a for a, b in zip(channels, channels[1:], strict=False)),
            f"blocks of {' → '.join(map(str, channels))} filters; on the Train page each block "
            "has twice the filters of the one before",
        ),
        (
            found["kernel_size"] in KERNEL_SIZES,
            f"kernels of {found['kernel_size']} pixels a side; the Train page offers {sides}",
        ),
        (
            found["pool"] in POOL_MODES,
            f"an unknown pooling; the Train page offers {', '.join(POOL_MODES)}",
        ),
        (
            found["dense"] == TRAIN_CNN.dense,
            f"{found['dense']} dense units; the Train page's networks have {TRAIN_CNN.dense}",
        ),
        (
            found["num_classes"] == TRAIN_CNN.num_classes,
            f"{found['num_classes']} classes; the "
            f"Train page's networks have {TRAIN_CNN.num_classes}",
        ),
        (
            found["image_size"] == TRAIN_CNN.image_size,
            f"pictures of {found['image_size']} "
            f"pixels a side; the Train page's networks take {TRAIN_CNN.image_size}",
        ),
        (
            found["dropout"] == TRAIN_CNN.dropout,
            f"another dropout than the Train page's {TRAIN_CNN.dropout}",
        ),
    )
    for ok, problem in checks:
        if not ok:
            raise ModelFileError(f"This file's card describes a network with {problem}.")
    try:
        return _train_config(tuple(channels), found["kernel_size"], found["pool"])
    except ValueError:
        raise ModelFileError(
            "This file's card describes a network whose picture shrinks to nothing, which the "
            "Train page never makes."
        ) from None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**6


def _check_layers(found: object, config: CNNConfig) -> None:
    expected = [name for name, _ in layer_shapes(config)[1:]]
    if not isinstance(found, list) or not all(isinstance(name, str) for name in found):
        raise ModelFileError("This file's card does not list the network's layers.")
    known = {name for c in offered() for name, _ in layer_shapes(c)[1:]}
    strange = [name for name in found if name not in known]
    if strange:
        raise ModelFileError(
            f"This file's card names {_quoted(strange[0], 'layer')} "
            "that the Train page's networks do not have (they have conv, relu, pool, flatten, "
            "dense1 and output layers)."
        )
    if found != expected:
        raise ModelFileError(
            f"This file's card lists the layers {', '.join(found)}, but {describe(config)} "
            f"has {', '.join(expected)}."
        )


def _facts(card: dict) -> ModelCard:
    dataset = card.get("dataset")
    if dataset not in DATASETS:
        raise ModelFileError(
            "This file's card does not say it was trained on Fashion-MNIST or MNIST, the Train "
            "page's two datasets."
        )
    images, tests = card.get("training_images"), card.get("test_images")
    passes, accuracy = card.get("passes"), card.get("test_accuracy")
    if not (_whole(images) and images <= TRAINING_IMAGES and _whole(tests)):
        raise ModelFileError("This file's card does not say how many pictures it trained on.")
    if not all(_number(v) for v in (passes, accuracy)) or not 0 <= accuracy <= 1 or passes < 0:
        raise ModelFileError("This file's card gives no plain test accuracy or passes.")
    return ModelCard(dataset, images, float(passes), float(accuracy), tests)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- the tensors -------------------------------------------------------------------------------

DTYPE_WORDS = {
    "F64": "64-bit floats",
    "F16": "16-bit floats",
    "BF16": "16-bit brain floats",
    "I64": "whole numbers",
    "I32": "whole numbers",
    "I16": "whole numbers",
    "I8": "whole numbers",
    "U8": "bytes",
    "BOOL": "true/false values",
}


def tensor_words(name: str) -> str:
    """``"conv1.weight"`` -> ``"conv1 weights"``; ``"mean"`` -> ``"pixel mean"``."""
    if name == "mean":
        return "pixel mean"
    if name == "std":
        return "pixel spread (std)"
    layer, _, kind = name.partition(".")
    return f"{layer} {'biases' if kind == 'bias' else 'weights'}"


def _needs(config: CNNConfig, name: str) -> str:
    """The network ``config`` in the words that explain tensor ``name``'s shape."""
    return describe(config, dense=name.startswith(("dense1", "output")))


def _shape_words(shape: tuple[int, ...]) -> str:
    return "one number" if shape == () else f"({', '.join(map(str, shape))})"


def _check_entries(
    entries: dict[str, dict], expected: dict[str, tuple[int, ...]], config: CNNConfig, size: int
) -> None:
    """Exactly ``expected``'s tensors, 32-bit floats of its shapes, filling the ``size`` bytes."""
    for name in expected:
        if name not in entries:
            raise ModelFileError(
                f"This file lacks the {tensor_words(name)} ({name}) that "
                f"{_needs(config, name)} needs."
            )
    for name in entries:
        if name not in expected:
            raise ModelFileError(
                f"This file holds {_quoted(name)} that {describe(config)} does not "
                "have: it is not the file the Train page made for it."
            )
    places = []
    for name, shape in expected.items():
        entry = entries[name]
        dtype = entry["dtype"]
        if dtype != "F32":
            kind = DTYPE_WORDS.get(str(dtype), "numbers of an unknown type")
            raise ModelFileError(
                f"This file's {tensor_words(name)} are stored as {kind}; the Train page's "
                "networks store 32-bit floats (F32)."
            )
        found = entry["shape"]
        if not (isinstance(found, list) and all(_count(n) for n in found)):
            raise ModelFileError(f"This file's header gives its {tensor_words(name)} no shape.")
        if tuple(found) != shape:
            raise ModelFileError(
                f"This file's {tensor_words(name)} have shape {_shape_words(tuple(found))}; "
                f"{_needs(config, name)} needs {_shape_words(shape)}."
            )
        offsets = entry["data_offsets"]
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_count, offsets))):
            raise ModelFileError(f"This file's header gives its {tensor_words(name)} no place.")
        begin, end = offsets
        if end - begin != 4 * math.prod(shape):
            raise ModelFileError(
                f"This file's header gives its {tensor_words(name)} the wrong number of bytes."
            )
        places.append((begin, end, name))
    places.sort()
    if places[0][0] != 0 or any(a[1] != b[0] for a, b in zip(places, places[1:], strict=False)):
        raise ModelFileError("This file's header is damaged: its tensors overlap or leave gaps.")
    if places[-1][1] > size:
        raise ModelFileError(
            f"This file ends early: its tensors need {places[-1][1]:,} bytes after the header "
            f"and it has {size:,}; it was probably cut off while copying or uploading."
        )
    if places[-1][1] < size:
        raise ModelFileError(
            f"This file has {size - places[-1][1]:,} bytes more than its tensors need: it is "
            "damaged or was changed after the Train page made it."
        )


def _count(value: object) -> bool:
    """A size or place a header may give (a file's odd huge number is not echoed back)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _check_numbers(tensors: dict[str, torch.Tensor]) -> None:
    """Every number finite, and a positive pixel spread."""
    for name, tensor in tensors.items():
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            values = "1 value that is" if bad == 1 else f"{bad:,} values that are"
            raise ModelFileError(
                f"This file's {tensor_words(name)} include {values} NaN (not a number) or "
                "infinite: its training went wrong (it diverged), so the network cannot be "
                "shown; train it again with a smaller learning rate."
            )
    if float(tensors["std"]) <= 0:
        raise ModelFileError(
            "This file's pixel spread (std) is not positive, so the network cannot scale its "
            "pictures: the file was changed after the Train page made it."
        )
