"""The shipped, pre-trained CNNs: each is a safetensors file plus a JSON card that describes it.

``assets/<name>-cnn.safetensors`` holds the tensors; ``assets/<name>-cnn.json`` holds the
architecture, the training command, the test accuracy and the sha256 of the tensors file.
Loading never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, get_args

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from cnnviz.model import CNN, CNNConfig, count_parameters

ModelName = Literal["fashion-mnist", "mnist"]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"

# The commands that made the shipped files (run from the repository root).
TRAIN_COMMANDS = {
    "fashion-mnist": "python -m cnnviz.train --dataset fashion-mnist --epochs 20 --seed 0 "
    "--shift 1 --hflip --threads 1 --out assets/",
    "mnist": "python -m cnnviz.train --dataset mnist --epochs 10 --seed 0 "
    "--threads 1 --out assets/",
}


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


def _fail(name: str, problem: str) -> WeightsError:
    return WeightsError(
        f"{problem} The app cannot use the pre-trained {name} model until the file is restored "
        f"(git checkout assets/) or regenerated with: {TRAIN_COMMANDS[name]}"
    )


def read_card(name: ModelName, *, assets_dir: str | os.PathLike[str] | None = None) -> dict:
    """The JSON card of model ``name``: dataset, command, test_accuracy, sha256, architecture..."""
    card_path, _ = model_paths(name, assets_dir)
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(name, f"The model card {card_path} is missing.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _fail(name, f"The model card {card_path} is not readable JSON ({error}).") from None
    needed = {"dataset", "sha256", "architecture", "test_accuracy"}
    if not isinstance(card, dict) or not needed <= card.keys() or card["dataset"] != name:
        raise _fail(name, f"The model card {card_path} lacks {sorted(needed)} for {name!r}.")
    return card


def load_model(name: ModelName, *, assets_dir: str | os.PathLike[str] | None = None) -> CNN:
    """The shipped CNN for ``name``, checked against its card, in ``eval()`` mode and frozen."""
    card = read_card(name, assets_dir=assets_dir)
    _, weights_path = model_paths(name, assets_dir)
    if not weights_path.is_file():
        raise _fail(name, f"The weights file {weights_path} is missing.")
    actual = file_sha256(weights_path)
    if actual != card["sha256"]:
        raise _fail(
            name,
            f"The weights file {weights_path} is damaged or was replaced: its sha256 is "
            f"{actual[:12]}... but its card expects {str(card['sha256'])[:12]}....",
        )
    try:
        model = CNN(CNNConfig(**card["architecture"]))
        model.load_state_dict(load_file(weights_path), strict=True)
    except (TypeError, ValueError, RuntimeError, SafetensorError) as error:
        problem = f"The weights file {weights_path} does not fit its card: {error}."
        raise _fail(name, problem) from error
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
    card_path.write_text(json.dumps(full, indent=2) + "\n", encoding="utf-8")
    return full
