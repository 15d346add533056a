"""The shipped, pre-trained CNNs: each is a safetensors file plus a JSON card that describes it.

``assets/<name>-cnn.safetensors`` holds the tensors; ``assets/<name>-cnn.json`` holds the
architecture, the training command, the test accuracy and the sha256 of the tensors file.
``assets/<name>-cnn-top-patches.json`` holds, for each channel of each convolution layer, the
test pictures that excite it most (a search of the whole test set that takes seconds, done
once by the training script); the card names its sha256 and the test pictures it was made on.
Loading never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from cnnviz.explain import Favourites
from cnnviz.messages import without_paths
from cnnviz.model import CNN, CNNConfig, count_parameters, layer_shapes

ModelName = Literal["fashion-mnist", "mnist"]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
# In a checkout the shipped files sit in assets/ beside the package; `pip install .` puts
# the same files inside it, as cnnviz/assets (pyproject.toml).
_HERE = Path(__file__).resolve().parent
ASSETS_DIR = _HERE / "assets" if (_HERE / "assets").is_dir() else _HERE.parent / "assets"

# The commands that made the shipped files, in order (run from the repository root). The
# fashion-mnist network was chosen between two runs by their accuracy on 5,000 training images
# held out from training, then scored on the test set once (assets/README.md).
_FASHION_RUNS = (
    "python -m cnnviz.train --dataset fashion-mnist --epochs 20 --seed 0 --shift 1 --hflip "
    "--validation 5000 --threads 1 "
    "--checkpoints 0,10,30,100,300,1000,e1-10,e12,e14,e16,e18,e20 --out /tmp/h15/plain/",
    "python -m cnnviz.train --dataset fashion-mnist --epochs 30 --seed 0 --shift 1 --hflip "
    "--erase 10 --validation 5000 --threads 1 "
    "--checkpoints 0,10,30,100,300,1000,e1-6,e8,e10,e12,e15,e18,e21,e24,e27,e30 "
    "--out /tmp/h15/erase/",
)
MADE_BY: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "fashion-mnist": (
            *_FASHION_RUNS,
            "python -m cnnviz.train --dataset fashion-mnist --select /tmp/h15/plain/ "
            "/tmp/h15/erase/ --threads 1 --out assets/",
        ),
        "mnist": (
            "python -m cnnviz.train --dataset mnist --epochs 10 --seed 0 --threads 1 --out assets/",
        ),
    }
)
TRAIN_COMMANDS = {name: " && ".join(commands) for name, commands in MADE_BY.items()}


# The sha256 of every file this version ships in assets/, anchored here rather than only in
# the cards: a weights file replaced together with a card that names its new checksum is
# refused all the same. assets/README.md lists the same numbers (a test keeps them equal);
# the training command prints the new lines after it rewrote a model's files.
SHIPPED_SHA256: MappingProxyType[str, str] = MappingProxyType(
    {
        "fashion-mnist-cnn.safetensors": (
            "e7215f74bc4278a63790e9efae1a4d1f07a83776c97a7c27769c970134ea3557"
        ),
        "fashion-mnist-cnn.json": (
            "1e9e2f5f5806e507fb2740c31e29e40c9f11da3552dd1f20dd6fd6b4ba7407ef"
        ),
        "fashion-mnist-cnn-top-patches.json": (
            "108db84ec88302f493b50f91292e11c9d027746590217667c25fcc1d4b523444"
        ),
        "fashion-mnist-cnn-checkpoints.json": (
            "d506bd8c9a13d682b7ddd89034f6d47307632bfa2e6e5ea029e3be82caa9c509"
        ),
        "fashion-mnist-cnn-step-00000.safetensors": (
            "fb6a8fcf4d9dc6e950b3d8b31ede689d0b0c6ff8d7e66224c7ba5b0494cd8cc3"
        ),
        "fashion-mnist-cnn-step-00010.safetensors": (
            "571118972f4695541c51bbfdab19381460c929cdfbfc55aa7356abf292a9c702"
        ),
        "fashion-mnist-cnn-step-00030.safetensors": (
            "05f7c3b3ae7b889bfc05a66196a4268c5714912ee395a35dc2ccac840483caa1"
        ),
        "fashion-mnist-cnn-step-00100.safetensors": (
            "4ba0ec744524619582715f73927f4c64a5f58d1cb3b9cdcdca10288626dca8ce"
        ),
        "fashion-mnist-cnn-step-00300.safetensors": (
            "3247d63eb272857fbf8dc503dd2a5eecfcec5b9c43c30a4a90621ac44d57f664"
        ),
        "fashion-mnist-cnn-step-00430.safetensors": (
            "b0dbb0743f6508576999bb2f7e0aca6b46a60778c6cb59546f1aac23fc51ed68"
        ),
        "fashion-mnist-cnn-step-00860.safetensors": (
            "63a6009096c9646756ada52c4f19e47adc832e7ec8b53b750d91be8bcdee976b"
        ),
        "fashion-mnist-cnn-step-01000.safetensors": (
            "e1fbd85e959c5f513a9c5b0909c4ca1ef137dd8725e2769175736188e14dce94"
        ),
        "fashion-mnist-cnn-step-01290.safetensors": (
            "2ca80101e8ef29fa79ff48ff9f1ea78907cfb088183029d7d0fcdf322665078d"
        ),
        "fashion-mnist-cnn-step-01720.safetensors": (
            "b2f6b2bfe9110f7ba1d7fa8da405fe97fda7c1e634ac35f900b9a9a2e79ea61c"
        ),
        "fashion-mnist-cnn-step-02150.safetensors": (
            "6315f1c256183ba037ca653087d0a8aa4d7733ef6340683413110e3b38e1549e"
        ),
        "fashion-mnist-cnn-step-02580.safetensors": (
            "d3a36a25a06e2ef6686b57c79c8238b177d2455df60da621576cba21c38a1c5b"
        ),
        "fashion-mnist-cnn-step-03440.safetensors": (
            "5901a6d968c16d6ebca196173213be3c07612427f66d97b5c06644a6f45ca733"
        ),
        "fashion-mnist-cnn-step-04300.safetensors": (
            "e72415de5f6bac6656825b617811b970d2ab3c15948407c8957e4f3ac2d06639"
        ),
        "fashion-mnist-cnn-step-05160.safetensors": (
            "5dc7cefac010bc8b4d65486068339dd0e2b9319eda0c11c3040fcdb7803b3cf4"
        ),
        "fashion-mnist-cnn-step-06450.safetensors": (
            "572d1eedb1ece25854a901d60e43b0dc6a3975037e901b69cd9719943a3e76ac"
        ),
        "fashion-mnist-cnn-step-07740.safetensors": (
            "1b6ef02f8d17b7f339220c7a52290522ae1e40c00b87797e44ed3df9e3aec389"
        ),
        "fashion-mnist-cnn-step-09030.safetensors": (
            "63b316c108363ce2bc55018e554abcbff3ab68742c1a8d1b048ecd4587e07890"
        ),
        "fashion-mnist-cnn-step-10320.safetensors": (
            "0674140bbb2dbb2723c43b68d282a3679cfec04220a8b2afaf5bd8efd9bc70bb"
        ),
        "fashion-mnist-cnn-step-11610.safetensors": (
            "181f55e09ebf1c4b2a20905cfb82babc9b5a7dee253e19a96f17e4bbe5aab428"
        ),
        "mnist-cnn.safetensors": (
            "ebd289ffea94a4f175ecc769438d3106e29c51d9404eecae481b1544725836ac"
        ),
        "mnist-cnn.json": ("fd04c5f57d40523a58852ab6662aed90b6b16a7111a23c5232341113907185dc"),
        "mnist-cnn-top-patches.json": (
            "3d8319e09b0e66b44792014851c1ba5dc3b125f3a97f767709d0aaf80e178159"
        ),
    }
)


def top_patches_command(name: str) -> str:
    """The command that rewrites the top patches of the shipped weights, without training."""
    return f"python -m cnnviz.train --dataset {name} --top-patches-only --out assets/"


class WeightsError(ValueError):
    """A shipped model file is missing, damaged or does not match its card."""


def model_paths(
    name: ModelName, assets_dir: str | os.PathLike[str] | None = None
) -> tuple[Path, Path]:
    """``(card .json, weights .safetensors)`` paths of model ``name``."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    folder = Path(assets_dir) if assets_dir is not None else ASSETS_DIR
    return folder / f"{name}-cnn.json", folder / f"{name}-cnn.safetensors"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_anchored(paths: list[Path], trusted: Mapping[str, str] | None, fail) -> None:
    """Raise ``fail(problem)`` unless each file's sha256 is the one ``trusted`` records for its
    name (``None``: files you made yourself, nothing to compare with)."""
    if trusted is None:
        return
    for path in paths:
        expected = trusted.get(path.name)
        if expected is None:
            raise fail(f"No checksum is recorded for {path.name} in this version of the app.")
        if file_sha256(path) != expected:
            raise fail(
                f"{path.name} is not the file this version of the app ships: its sha256 "
                f"differs from the one recorded in the code (cnnviz.weights.SHIPPED_SHA256), "
                "even if its card agrees, so it was changed or replaced."
            )


def _fail(name: str, problem: str) -> WeightsError:
    return WeightsError(
        f"{problem} The app cannot use the pre-trained {name} model until the file is restored "
        f"(git checkout assets/) or regenerated with: {TRAIN_COMMANDS[name]}"
    )


def read_card(name: ModelName, *, assets_dir: str | os.PathLike[str] | None = None) -> dict:
    """The JSON card of model ``name``: dataset, command, test_accuracy, sha256, architecture..."""
    card_path, _ = model_paths(name, assets_dir)
    card_name = card_path.name  # messages name files, never the server's folders
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(name, f"The model card {card_name} is missing.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = f"The model card {card_name} is not readable JSON ({without_paths(str(error))})."
        raise _fail(name, problem) from None
    needed = {"dataset", "sha256", "architecture", "test_accuracy"}
    if not isinstance(card, dict) or not needed <= card.keys() or card["dataset"] != name:
        raise _fail(name, f"The model card {card_name} lacks {sorted(needed)} for {name!r}.")
    return card


def load_model(
    name: ModelName,
    *,
    assets_dir: str | os.PathLike[str] | None = None,
    trusted: Mapping[str, str] | None = SHIPPED_SHA256,
) -> CNN:
    """The shipped CNN for ``name``, checked against its card and against the checksums
    ``trusted`` records (pass None for a model you trained yourself), in ``eval()`` mode
    and frozen."""
    card = read_card(name, assets_dir=assets_dir)
    card_path, weights_path = model_paths(name, assets_dir)
    if not weights_path.is_file():
        raise _fail(name, f"The weights file {weights_path.name} is missing.")
    actual = file_sha256(weights_path)
    if actual != card["sha256"]:
        raise _fail(
            name,
            f"The weights file {weights_path.name} is damaged or was replaced: its sha256 is "
            f"{actual[:12]}... but its card expects {str(card['sha256'])[:12]}....",
        )
    try:
        model = CNN(CNNConfig(**card["architecture"]))
        model.load_state_dict(load_file(weights_path), strict=True)
    except (TypeError, ValueError, RuntimeError, SafetensorError) as error:
        problem = f"The weights file {weights_path.name} does not fit its card: "
        raise _fail(name, problem + f"{without_paths(str(error))}.") from error
    check_anchored([weights_path, card_path], trusted, lambda problem: _fail(name, problem))
    return model.eval().requires_grad_(False)


def save_model(
    model: CNN, name: ModelName, *, out_dir: str | os.PathLike[str], card: dict[str, Any]
) -> dict[str, Any]:
    """Write ``<name>-cnn.safetensors`` and its card into ``out_dir``; return the full card.

    ``card`` brings the training facts (command, epochs, seed, test_accuracy, ...); this adds
    the dataset, architecture, normalisation, parameter count, torch version and sha256.
    """
    card_path, weights_path = model_paths(name, out_dir)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {key: value.contiguous() for key, value in model.state_dict().items()}
    save_file(tensors, weights_path)
    full = {
        "dataset": name,
        **card,
        "weights_file": weights_path.name,
        "sha256": file_sha256(weights_path),
        "parameters": count_parameters(model),
        "architecture": asdict(model.config),
        "normalization": {"mean": float(model.mean), "std": float(model.std)},
        "torch_version": torch.__version__,
    }
    write_card(name, full, out_dir=out_dir)
    return full


def write_card(name: ModelName, card: dict[str, Any], *, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``card`` as ``<name>-cnn.json`` in ``out_dir`` (two-space JSON, a final newline)."""
    card_path, _ = model_paths(name, out_dir)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card_path


# --- the favourite test pictures of every channel, stored beside the weights -----------------

TOP_PATCHES_KEY = "top_patches"  # the card's entry naming the file


def top_patches_path(name: ModelName, assets_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<name>-cnn-top-patches.json`` beside the weights of model ``name``."""
    card_path, _ = model_paths(name, assets_dir)
    return card_path.with_name(f"{name}-cnn-top-patches.json")


def pixels_sha256(images: np.ndarray) -> str:
    """Hex sha256 of uint8 pictures ``(N, H, W)``, shape included: names a test set."""
    pixels = np.ascontiguousarray(images, dtype=np.uint8)
    digest = hashlib.sha256(repr(pixels.shape).encode())
    digest.update(pixels.data)
    return digest.hexdigest()


def _one_line_lists(text: str) -> str:
    """JSON with each innermost list on one line: one channel per line, readable in a diff."""
    return re.sub(
        r"\[\s+([^\[\]]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text
    )


def save_top_patches(
    name: ModelName,
    found: dict[str, Favourites],
    *,
    out_dir: str | os.PathLike[str],
    images: np.ndarray,
    command: str,
) -> dict[str, Any]:
    """Write ``<name>-cnn-top-patches.json`` (``found`` per convolution layer, searched in
    ``images``) and name it in the card of the weights in ``out_dir``; return that entry."""
    card_path, _ = model_paths(name, out_dir)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    path = top_patches_path(name, out_dir)
    layers = {
        layer: {
            "indices": f.indices.tolist(),
            "values": [[float(v) for v in row] for row in f.values],
            "rows": f.rows.tolist(),
            "cols": f.cols.tolist(),
        }
        for layer, f in found.items()
    }
    text = _one_line_lists(json.dumps({"layers": layers}, indent=1))
    path.write_text(text + "\n", encoding="utf-8")
    entry = {
        "file": path.name,
        "sha256": file_sha256(path),
        "command": command,
        "k": min((f.k for f in found.values()), default=0),
        "test_images": len(images),
        "test_images_sha256": pixels_sha256(images),
        "weights_sha256": card["sha256"],
    }
    card[TOP_PATCHES_KEY] = entry
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return entry


def load_top_patches(
    name: ModelName,
    *,
    images: np.ndarray,
    assets_dir: str | os.PathLike[str] | None = None,
    images_sha256: str | None = None,
    trusted: Mapping[str, str] | None = SHIPPED_SHA256,
) -> dict[str, Favourites]:
    """The stored favourites of every convolution layer of shipped model ``name``, checked:
    the file's sha256 against the card, the card's against the weights and the test set
    ``images`` (or its ``images_sha256``, if known), every shape and number against the
    architecture, and the file and its card against ``trusted`` (None: files you made).
    Raises ``WeightsError`` saying what does not fit and how to remake it."""
    card = read_card(name, assets_dir=assets_dir)
    path = top_patches_path(name, assets_dir)

    def fail(problem: str) -> WeightsError:
        return WeightsError(
            f"{problem} The test pictures are searched instead (a few seconds); to store the "
            f"search again run: {top_patches_command(name)}"
        )

    entry = card.get(TOP_PATCHES_KEY)
    if not isinstance(entry, dict) or not {"sha256", "test_images_sha256"} <= entry.keys():
        raise fail(f"The card of the {name} model names no stored top patches.")
    if entry.get("weights_sha256") != card["sha256"]:
        raise fail(f"The stored top patches of {name} were made for other weights.")
    if not path.is_file():
        raise fail(f"The top patches file {path.name} is missing.")
    if file_sha256(path) != entry["sha256"]:
        raise fail(f"The top patches file {path.name} is damaged or was replaced.")
    if (images_sha256 or pixels_sha256(images)) != entry["test_images_sha256"]:
        raise fail(f"The stored top patches of {name} were made on other test pictures.")
    try:
        layers = json.loads(path.read_text(encoding="utf-8"))["layers"]
        found = _check_favourites(layers, CNNConfig(**card["architecture"]), len(images))
    except (KeyError, TypeError, ValueError) as error:
        problem = f"The top patches file {path.name} does not fit the model: "
        raise fail(problem + f"{without_paths(str(error))}.") from None
    check_anchored([path, model_paths(name, assets_dir)[0]], trusted, fail)
    return found


def _check_favourites(layers: dict, config: CNNConfig, count: int) -> dict[str, Favourites]:
    """``Favourites`` per convolution layer from the file's lists; ValueError if any list does
    not fit ``config`` or a set of ``count`` pictures."""
    shapes = dict(layer_shapes(config))
    found = {}
    for i, channels in enumerate(config.channels, start=1):
        layer = f"conv{i}"
        _, height, width = shapes[layer]
        entry = layers[layer]
        f = Favourites(
            layer=layer,
            indices=np.array(entry["indices"], np.int64),
            values=np.array(entry["values"], np.float32),
            rows=np.array(entry["rows"], np.int16),
            cols=np.array(entry["cols"], np.int16),
        )
        arrays = (f.indices, f.values, f.rows, f.cols)
        if any(a.ndim != 2 or a.shape != (channels, f.indices.shape[1]) for a in arrays):
            raise ValueError(f"{layer} needs {channels} rows of equal length")
        in_range = all(
            ((a >= 0) & (a < high)).all()
            for a, high in ((f.indices, count), (f.rows, height), (f.cols, width))
        )
        if not in_range or not np.isfinite(f.values).all():
            raise ValueError(f"{layer} has picture numbers, places or values out of range")
        if (np.diff(f.values, axis=1) > 0).any():
            raise ValueError(f"{layer} is not in order, strongest first")
        found[layer] = f
    return found


# --- checkpoints: the same network at moments of its training, for rewinding it ---------------

CHECKPOINTS_ARG = "0,10,30,100,300,1000,e1-10,e12,e14,e16,e18,e20"  # a set for 20 epochs


def checkpoints_command(name: str) -> str:
    """The commands that make model ``name``'s checkpoints: its training commands, saving them."""
    commands = TRAIN_COMMANDS[name]
    if "--checkpoints" in commands:
        return commands
    return f"{commands} --checkpoints {CHECKPOINTS_ARG}"


def checkpoints_card_path(
    name: ModelName, assets_dir: str | os.PathLike[str] | None = None
) -> Path:
    """``<name>-cnn-checkpoints.json``: the step, epoch, file, sha256 and test accuracy of each."""
    card_path, _ = model_paths(name, assets_dir)
    return card_path.with_name(f"{name}-cnn-checkpoints.json")


def checkpoint_path(
    name: ModelName, step: int, assets_dir: str | os.PathLike[str] | None = None
) -> Path:
    """``<name>-cnn-step-00300.safetensors``: the weights after ``step`` optimisation steps."""
    card_path, _ = model_paths(name, assets_dir)
    return card_path.with_name(f"{name}-cnn-step-{step:05d}.safetensors")


def save_checkpoint(
    model: nn.Module, name: ModelName, step: int, *, out_dir: str | os.PathLike[str]
) -> Path:
    """Write ``model``'s tensors as checkpoint ``step``; reads the model, never changes it."""
    path = checkpoint_path(name, step, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        key: value.detach().contiguous().clone() for key, value in model.state_dict().items()
    }
    save_file(tensors, path)
    return path


def save_checkpoints_card(
    name: ModelName,
    checkpoints: list[dict[str, Any]],
    *,
    out_dir: str | os.PathLike[str],
    command: str,
    steps_per_epoch: int,
    test_images: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``<name>-cnn-checkpoints.json`` listing ``checkpoints`` (step, epoch, file,
    test_accuracy; the sha256 of each file is added here), first step first, with the facts
    in ``extra`` (training images, validation split, ...) beside them."""
    folder = Path(out_dir)
    entries = [
        {**entry, "sha256": file_sha256(folder / entry["file"])}
        for entry in sorted(checkpoints, key=lambda entry: entry["step"])
    ]
    card = {
        "dataset": name,
        "command": command,
        "steps_per_epoch": steps_per_epoch,
        "test_images": test_images,
        **(extra or {}),
        "checkpoints": entries,
    }
    path = checkpoints_card_path(name, out_dir)
    path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return path


def _checkpoint_fail(name: str, problem: str) -> WeightsError:
    return WeightsError(
        f"{problem} The training steps of the {name} network cannot be rewound until the file "
        f"is restored (git checkout assets/) or regenerated with: {checkpoints_command(name)}"
    )


def read_checkpoints(
    name: ModelName,
    *,
    assets_dir: str | os.PathLike[str] | None = None,
    trusted: Mapping[str, str] | None = SHIPPED_SHA256,
) -> list[dict[str, Any]]:
    """The checkpoints of model ``name``, first step first: dicts with ``step`` (int),
    ``epoch`` (float, passes over the training set so far), ``file``, ``sha256`` and
    ``test_accuracy`` (in [0, 1], measured on the whole test set when they were made).
    Raises ``WeightsError`` when the card is missing, damaged or not the shipped one."""
    path = checkpoints_card_path(name, assets_dir)
    fail = lambda problem: _checkpoint_fail(name, problem)  # noqa: E731
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail(f"The checkpoints card {path.name} is missing.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = f"The checkpoints card {path.name} is not readable JSON "
        raise fail(problem + f"({without_paths(str(error))}).") from None
    check_anchored([path], trusted, fail)
    try:
        if card["dataset"] != name:
            raise ValueError(f"it is the card of {card['dataset']!r}")
        entries = [
            {
                "step": int(entry["step"]),
                "epoch": float(entry["epoch"]),
                "file": Path(str(entry["file"])).name,  # a name in the folder, never a path
                "sha256": str(entry["sha256"]),
                "test_accuracy": float(entry["test_accuracy"]),
            }
            for entry in card["checkpoints"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        problem = f"The checkpoints card {path.name} does not list step, epoch, file, sha256 "
        raise fail(problem + f"and test accuracy ({without_paths(str(error))}).") from None
    steps = [entry["step"] for entry in entries]
    if not entries or steps != sorted(set(steps)) or steps[0] < 0:
        raise fail(f"The checkpoints card {path.name} lists no steps, or not in order.")
    if not all(0 <= entry["test_accuracy"] <= 1 for entry in entries):
        raise fail(f"The checkpoints card {path.name} has an accuracy outside 0 to 100 %.")
    return entries


def load_checkpoint(
    name: ModelName,
    step: int,
    *,
    assets_dir: str | os.PathLike[str] | None = None,
    trusted: Mapping[str, str] | None = SHIPPED_SHA256,
) -> CNN:
    """Model ``name`` as it was after ``step`` training steps (one listed by
    :func:`read_checkpoints`), checked against the checkpoints card and ``trusted``; in
    ``eval()`` mode and frozen. Raises ``WeightsError`` saying what is wrong."""
    entries = {
        entry["step"]: entry
        for entry in read_checkpoints(name, assets_dir=assets_dir, trusted=trusted)
    }
    fail = lambda problem: _checkpoint_fail(name, problem)  # noqa: E731
    if step not in entries:
        raise fail(f"No checkpoint of step {step} is listed; the steps are {sorted(entries)}.")
    entry = entries[step]
    card_path, _ = model_paths(name, assets_dir)
    path = card_path.with_name(entry["file"])
    if not path.is_file():
        raise fail(f"The checkpoint file {path.name} is missing.")
    if file_sha256(path) != entry["sha256"]:
        raise fail(f"The checkpoint file {path.name} is damaged or was replaced.")
    check_anchored([path], trusted, fail)
    try:
        architecture = read_card(name, assets_dir=assets_dir)["architecture"]
        model = CNN(CNNConfig(**architecture))
        model.load_state_dict(load_file(path), strict=True)
    except (TypeError, ValueError, RuntimeError, SafetensorError) as error:
        problem = f"The checkpoint file {path.name} does not fit the network: "
        raise fail(problem + f"{without_paths(str(error))}.") from error
    return model.eval().requires_grad_(False)
