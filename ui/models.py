"""The shipped pre-trained CNNs, loaded once per server and shared read-only by every user.

A cached model is one object for the whole class: it stays in ``eval()`` mode with its
gradients off, and nothing here or in the pages may train it or change its weights (a model a
user trains lives in that user's session, see ``ui/user_model.py``).

``$CNNVIZ_ASSETS_DIR`` may point at another assets folder (tests hand it a damaged copy).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from cnnviz.model import CNN
from cnnviz.weights import (
    SHIPPED_SHA256,
    WeightsError,
    checkpoints_card_path,
    load_checkpoint,
    load_model,
    read_card,
    read_checkpoints,
)
from ui import cache

ASSETS_ENV = "CNNVIZ_ASSETS_DIR"
MAX_THREADS = 1
SUBJECTS = {"fashion-mnist": "Clothes (Fashion-MNIST)", "mnist": "Handwritten digits (MNIST)"}


@cache.resource()
def limit_threads() -> int:
    """Give torch at most ``MAX_THREADS`` threads per operation, once per server process.

    Torch's default is one thread per core for every operation. On a class server, thirty
    students' requests arrive together: each op spreading over the cores makes the threads
    fight for them (oversubscription), and the lesson's 28 x 28 networks are too small to
    gain from a second thread. Measured here with other work running: one picture's forward
    pass took 53 ms on two threads against 0.7 ms on one, its saliency 27 ms against 1.9 ms.
    The setting is process-wide; each thread that runs torch picks it up at its first
    parallel operation.
    """
    threads = max(1, min(MAX_THREADS, os.cpu_count() or 1))
    torch.set_num_threads(threads)
    return threads


def assets_dir() -> str | None:
    """The folder with the shipped weights: ``$CNNVIZ_ASSETS_DIR``, else None (``assets/``)."""
    return os.environ.get(ASSETS_ENV) or None


@cache.resource(spinner="Loading the trained network…", max_entries=8)
def _load(name: str, folder: str | None) -> CNN:
    limit_threads()
    model = load_model(name, assets_dir=folder)  # checks the sha256 against the card
    model.eval().requires_grad_(False)
    return model


def shipped_model(name: str) -> CNN:
    """The shipped CNN ``name`` (shared, eval, frozen); raises ``WeightsError`` if damaged.

    A failed load is not cached: restoring the file fixes the page without a restart.
    """
    return _load(name, assets_dir())


@cache.budgeted("model card")
def _card(name: str, folder: str | None) -> dict:
    return read_card(name, assets_dir=folder)


def model_title(name: str) -> str:
    """``"Clothes (Fashion-MNIST): 92.4 % right on the test set"``; never raises."""
    try:
        accuracy = float(_card(name, assets_dir())["test_accuracy"])
    except (WeightsError, TypeError, ValueError, KeyError):
        return f"{SUBJECTS[name]}: its file is damaged"
    return f"{SUBJECTS[name]}: {100 * accuracy:.1f} % right on the test set"


@cache.budgeted("learned kernels")
def _kernels(name: str, folder: str | None) -> np.ndarray:
    weight = _load(name, folder).conv1.weight  # (C, 1, kh, kw)
    return weight[:, 0].detach().numpy().copy()  # (C, kh, kw)


def first_layer_kernels(name: str) -> np.ndarray:
    """The learned 3 x 3 kernels of ``conv1`` of shipped model ``name``: float32 ``(C, kh, kw)``.

    A private copy (changing it changes nothing shared). Raises ``WeightsError`` if the file
    is damaged.
    """
    return _kernels(name, assets_dir()).copy()


# --- the same networks earlier in their training (the rewind slider) ------------------------


def ships_checkpoints(name: str) -> bool:
    """Whether this version of the app ships checkpoints of model ``name``."""
    return checkpoints_card_path(name).name in SHIPPED_SHA256


@cache.budgeted("checkpoint list")
def _checkpoints(name: str, folder: str | None) -> list[dict]:
    return read_checkpoints(name, assets_dir=folder)


def checkpoints(name: str) -> list[dict]:
    """The checkpoints of shipped model ``name``, first step first (step, epoch, file, sha256,
    test_accuracy from its card); raises ``WeightsError`` if the card is missing or damaged.
    A failed read is not cached: restoring the file fixes the page without a restart."""
    return _checkpoints(name, assets_dir())


@cache.resource(spinner="Loading the network at that training step…", max_entries=32)
def _checkpoint(name: str, step: int, folder: str | None) -> CNN:
    limit_threads()
    return load_checkpoint(name, step, assets_dir=folder)  # checked; eval and frozen


def checkpoint_model(name: str, step: int) -> CNN:
    """Shipped model ``name`` after ``step`` training steps, shared by every user like the
    trained one (eval, frozen, read only); raises ``WeightsError`` if its file is damaged."""
    return _checkpoint(name, step, assets_dir())
