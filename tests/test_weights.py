"""The shipped weights: they load, they are checked, and they reach the promised accuracy."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict

import pytest

from cnnviz.data import dataset_available, load_dataset
from cnnviz.model import LESSON_CNN, count_parameters
from cnnviz.train import evaluate
from cnnviz.weights import (
    ASSETS_DIR,
    MODEL_NAMES,
    TRAIN_COMMANDS,
    WeightsError,
    file_sha256,
    load_model,
    model_paths,
    read_card,
)

FLOORS = {"fashion-mnist": 0.92, "mnist": 0.99}


@pytest.fixture
def copied(tmp_path):
    """A private copy of the shipped assets that a test may damage."""
    for name in MODEL_NAMES:
        for path in model_paths(name):
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_card_describes_the_file(name):
    """Each card names the lesson architecture, the file's sha256 and the command that made it."""
    card = read_card(name)
    card_path, weights_path = model_paths(name)
    assert card["sha256"] == file_sha256(weights_path)
    assert card["architecture"] == asdict(LESSON_CNN) | {"channels": list(LESSON_CNN.channels)}
    assert card["command"] == TRAIN_COMMANDS[name]
    assert card["test_accuracy"] >= FLOORS[name]
    assert weights_path.stat().st_size < 1_000_000


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_model_loads_frozen(name):
    """The loaded model is the lesson CNN, in eval mode, with no gradients."""
    model = load_model(name)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert count_parameters(model) == read_card(name)["parameters"] == 225_034
    assert model.config == LESSON_CNN


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_model_accuracy_on_the_full_test_set(data_dir, name):
    """Each shipped model reaches its floor on all 10,000 test images, as its card says."""
    if not dataset_available(name, root=data_dir):
        pytest.skip(f"{name} not found in {data_dir}")
    images, labels = load_dataset(name, "test", root=data_dir)
    accuracy, predictions = evaluate(load_model(name), images, labels)
    assert len(predictions) == 10_000
    assert accuracy >= FLOORS[name]
    assert accuracy == pytest.approx(read_card(name)["test_accuracy"], abs=0.002)


def test_damaged_weights_are_refused(copied):
    """Flipped bytes in a weights file raise WeightsError naming the file and the fix."""
    _, weights_path = model_paths("fashion-mnist", copied)
    data = bytearray(weights_path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8] = bytes(
        b ^ 0xFF for b in data[len(data) // 2 : len(data) // 2 + 8]
    )
    weights_path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="damaged or was replaced") as caught:
        load_model("fashion-mnist", assets_dir=copied)
    assert str(weights_path) in str(caught.value)
    assert TRAIN_COMMANDS["fashion-mnist"] in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("suffix", [".safetensors", ".json"])
def test_missing_files_are_refused(copied, suffix):
    """A missing weights file or card raises WeightsError saying which file is missing."""
    victim = copied / f"mnist-cnn{suffix}"
    victim.unlink()
    with pytest.raises(WeightsError, match=f"{victim}.* is missing"):
        load_model("mnist", assets_dir=copied)


def test_card_that_does_not_fit_the_weights_is_refused(copied):
    """A card whose architecture disagrees with the tensors raises WeightsError."""
    card_path, _ = model_paths("mnist", copied)
    card = json.loads(card_path.read_text())
    card["architecture"]["channels"] = [16, 64]
    card_path.write_text(json.dumps(card))
    with pytest.raises(WeightsError, match="does not fit its card"):
        load_model("mnist", assets_dir=copied)


def test_unreadable_card_is_refused(copied):
    """A card that is not JSON raises WeightsError."""
    model_paths("mnist", copied)[0].write_text("{not json")
    with pytest.raises(WeightsError, match="not readable JSON"):
        load_model("mnist", assets_dir=copied)


def test_unknown_model_name_lists_choices():
    """An unknown model name raises ValueError listing the shipped ones."""
    with pytest.raises(ValueError, match="fashion-mnist, mnist"):
        load_model("cifar10")


def test_default_assets_folder_is_the_repository_one():
    """Without ``assets_dir`` the shipped files are read from the repository's assets/."""
    assert ASSETS_DIR.name == "assets" and (ASSETS_DIR.parent / "cnnviz").is_dir()
