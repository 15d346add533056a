"""The shipped weights: they load, they are checked, and they reach the promised accuracy."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from safetensors.torch import save_file

from cnnviz.data import dataset_available, load_dataset
from cnnviz.explain import channel_peaks, favourites
from cnnviz.model import CNN, LESSON_CNN, count_parameters
from cnnviz.train import evaluate, search_favourites, validation_facts, validation_split
from cnnviz.weights import (
    ASSETS_DIR,
    MADE_BY,
    MODEL_NAMES,
    SHIPPED_SHA256,
    TRAIN_COMMANDS,
    WeightsError,
    checkpoint_path,
    checkpoints_card_path,
    file_sha256,
    load_checkpoint,
    load_model,
    load_top_patches,
    model_paths,
    pixels_sha256,
    read_card,
    read_checkpoints,
    save_checkpoint,
    save_checkpoints_card,
    save_model,
    save_top_patches,
    top_patches_command,
    top_patches_path,
)

FLOORS = {"fashion-mnist": 0.92, "mnist": 0.99}


@pytest.fixture
def copied(tmp_path):
    """A private copy of the shipped assets that a test may damage."""
    for name in MODEL_NAMES:
        for path in (*model_paths(name), top_patches_path(name)):
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_card_describes_the_file(name):
    """Each card names the lesson architecture, the file's sha256 and the command that made it."""
    card = read_card(name)
    card_path, weights_path = model_paths(name)
    assert card["sha256"] == file_sha256(weights_path)
    assert card["architecture"] == asdict(LESSON_CNN) | {"channels": list(LESSON_CNN.channels)}
    assert card["command"] in MADE_BY[name]
    if "selection" in card:
        assert card["selection"]["command"] in MADE_BY[name]
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


def test_the_shipped_clothes_network_was_chosen_on_held_out_training_images():
    """The card says how the fashion-mnist network was chosen: its validation split (drawn
    again here, the same images), the candidates and their validation accuracies, the best
    of them chosen, and the test set scored once, after the choice."""
    card = read_card("fashion-mnist")
    split = card["validation"]
    assert split["images"] == 5_000 and split["of_training_images"] == 60_000
    assert card["training_images"] == 55_000
    _, held = validation_split(60_000, 5_000, seed=split["seed"])
    assert validation_facts(held, 60_000) == split
    selection = card["selection"]
    candidates = selection["candidates"]
    scores = [candidate["validation_accuracy"] for candidate in candidates]
    assert 2 <= len(candidates) <= 3 and selection["chosen"] == scores.index(max(scores))
    chosen = candidates[selection["chosen"]]
    assert chosen["command"] == card["command"] and chosen["sha256"] == card["sha256"]
    assert card["validation_accuracy"] == max(scores)
    assert all("--validation 5000" in candidate["command"] for candidate in candidates)
    assert "scored once" in selection["test_set"]


@pytest.mark.data
def test_the_shipped_clothes_network_scores_its_validation_accuracy(data_dir):
    """On the 5,000 held-out training images the shipped network scores what its card says
    it scored when it was chosen."""
    if not dataset_available("fashion-mnist", root=data_dir):
        pytest.skip(f"fashion-mnist not found in {data_dir}")
    card = read_card("fashion-mnist")
    images, labels = load_dataset("fashion-mnist", "train", root=data_dir)
    _, held = validation_split(len(images), card["validation"]["images"])
    accuracy, _ = evaluate(load_model("fashion-mnist"), images[held], labels[held])
    assert round(accuracy, 4) == pytest.approx(card["validation_accuracy"], abs=2e-4)


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
    assert weights_path.name in str(caught.value)
    assert str(copied) not in str(caught.value)  # a file's name, never the server's folders
    assert TRAIN_COMMANDS["fashion-mnist"] in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("suffix", [".safetensors", ".json"])
def test_missing_files_are_refused(copied, suffix):
    """A missing weights file or card raises WeightsError saying which file is missing."""
    victim = copied / f"mnist-cnn{suffix}"
    victim.unlink()
    with pytest.raises(WeightsError, match=f"{victim.name} is missing") as caught:
        load_model("mnist", assets_dir=copied)
    assert str(copied) not in str(caught.value)


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


# --- the stored top patches -----------------------------------------------------------------


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_card_names_its_top_patches(name):
    """The card names the top patches file by sha256, the weights it belongs to and the
    command that remakes it."""
    card = read_card(name)
    entry = card["top_patches"]
    path = top_patches_path(name)
    assert entry["file"] == path.name and entry["sha256"] == file_sha256(path)
    assert entry["weights_sha256"] == card["sha256"]
    assert entry["k"] == 9 and entry["test_images"] == 10_000
    assert entry["command"].startswith(top_patches_command(name).split(" --out")[0])
    assert path.stat().st_size < 100_000


@pytest.mark.data
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_top_patches_are_what_a_search_finds(data_dir, name):
    """Loaded and checked against the real test set, conv1's stored favourites are exactly
    those a fresh search of the 10,000 pictures finds (conv2's shapes are checked on load)."""
    images, _ = load_dataset(name, "test", root=data_dir)
    model = load_model(name)
    stored = load_top_patches(name, images=images)
    assert set(stored) == {"conv1", "conv2"}
    assert stored["conv2"].indices.shape == (64, 9)
    fresh = favourites(channel_peaks(model, images, "conv1"))
    assert_array_equal(stored["conv1"].indices, fresh.indices)
    np.testing.assert_allclose(stored["conv1"].values, fresh.values, rtol=1e-6)


def small_set(count: int = 40) -> np.ndarray:
    return np.random.default_rng(5).integers(0, 256, (count, 28, 28), dtype=np.uint8)


@pytest.fixture
def stored(copied):
    """The mnist weights in ``copied`` with top patches searched in a small random set."""
    images = small_set()
    found = search_favourites(load_model("mnist", assets_dir=copied), images, k=4)
    save_top_patches("mnist", found, out_dir=copied, images=images, command="test")
    return copied, images, found


def test_stored_top_patches_come_back_exactly(stored):
    folder, images, found = stored
    loaded = load_top_patches("mnist", images=images, assets_dir=folder, trusted=None)
    for layer, f in found.items():
        for field in ("indices", "values", "rows", "cols"):
            assert_array_equal(getattr(loaded[layer], field), getattr(f, field), err_msg=field)
    digest = pixels_sha256(images)
    assert load_top_patches(
        "mnist", images=images, assets_dir=folder, images_sha256=digest, trusted=None
    )


def test_damaged_or_missing_top_patches_are_refused(stored):
    """Flipped bytes or a missing file raise WeightsError with the command that remakes it."""
    folder, images, _ = stored
    path = top_patches_path("mnist", folder)
    path.write_text(path.read_text().replace("1", "2", 1))
    with pytest.raises(WeightsError, match="damaged or was replaced") as caught:
        load_top_patches("mnist", images=images, assets_dir=folder, trusted=None)
    assert top_patches_command("mnist") in str(caught.value)
    path.unlink()
    with pytest.raises(WeightsError, match="is missing"):
        load_top_patches("mnist", images=images, assets_dir=folder, trusted=None)


def test_top_patches_of_other_pictures_or_weights_are_refused(stored):
    folder, images, _ = stored
    other = images.copy()
    other[0, 0, 0] ^= 1
    with pytest.raises(WeightsError, match="other test pictures"):
        load_top_patches("mnist", images=other, assets_dir=folder, trusted=None)
    card_path, _ = model_paths("mnist", folder)
    card = json.loads(card_path.read_text())
    card["top_patches"]["weights_sha256"] = "0" * 64
    card_path.write_text(json.dumps(card))
    with pytest.raises(WeightsError, match="other weights"):
        load_top_patches("mnist", images=images, assets_dir=folder, trusted=None)
    del card["top_patches"]
    card_path.write_text(json.dumps(card))
    with pytest.raises(WeightsError, match="names no stored top patches"):
        load_top_patches("mnist", images=images, assets_dir=folder, trusted=None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda layers: layers["conv2"]["indices"].pop(), "64 rows"),
        (lambda layers: layers["conv1"]["rows"][0].__setitem__(0, 26), "out of range"),
        (lambda layers: layers["conv1"]["indices"][3].__setitem__(1, 40), "out of range"),
        (lambda layers: layers["conv1"]["values"][0].reverse(), "not in order"),
        (lambda layers: layers.pop("conv2"), "conv2"),
    ],
)
def test_top_patches_that_do_not_fit_the_model_are_refused(stored, change, message):
    """A file whose sha256 the card vouches for but whose lists do not fit the architecture."""
    folder, images, _ = stored
    path = top_patches_path("mnist", folder)
    data = json.loads(path.read_text())
    change(data["layers"])
    path.write_text(json.dumps(data))
    card_path, _ = model_paths("mnist", folder)
    card = json.loads(card_path.read_text())
    card["top_patches"]["sha256"] = file_sha256(path)
    card_path.write_text(json.dumps(card))
    with pytest.raises(WeightsError, match=f"does not fit the model: .*{message}"):
        load_top_patches("mnist", images=images, assets_dir=folder, trusted=None)


def tamper_consistently(folder) -> None:
    """Change the mnist weights and write their new sha256 into the card, as an attacker who
    can write to assets/ would: the card and the weights agree with each other."""
    card_path, weights_path = model_paths("mnist", folder)
    model = load_model("mnist", assets_dir=folder)
    with torch.no_grad():
        model.output.bias.add_(5.0)  # every picture gets the same answer
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights_path)
    card = json.loads(card_path.read_text())
    card["sha256"] = file_sha256(weights_path)
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def test_weights_changed_together_with_their_card_are_refused(copied):
    """The card alone cannot vouch for the weights: the checksums in the code refuse them."""
    tamper_consistently(copied)
    with pytest.raises(WeightsError, match="SHIPPED_SHA256") as caught:
        load_model("mnist", assets_dir=copied)
    assert "mnist-cnn" in str(caught.value) and str(copied) not in str(caught.value)
    assert load_model("mnist", assets_dir=copied, trusted=None)  # your own files: allowed


def test_top_patches_rewritten_with_their_card_are_refused(stored):
    """Top patches and a card that vouch for each other, but not for what ships: refused."""
    folder, images, _ = stored
    with pytest.raises(WeightsError, match="SHIPPED_SHA256"):
        load_top_patches("mnist", images=images, assets_dir=folder)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_the_shipped_files_are_the_anchored_ones(name):
    """Every shipped file has the sha256 the code records, and assets/README.md lists it."""
    readme = (ASSETS_DIR / "README.md").read_text(encoding="utf-8")
    for path in (*model_paths(name), top_patches_path(name)):
        assert file_sha256(path) == SHIPPED_SHA256[path.name], path.name
        assert f"`{SHIPPED_SHA256[path.name]}`" in readme, path.name


# --- checkpoints --------------------------------------------------------------------------


def made_checkpoints(folder, steps=(0, 3, 7)) -> dict[int, CNN]:
    """A small set of checkpoints written the way training writes them: step -> model."""
    models = {}
    for step in steps:
        torch.manual_seed(step)
        models[step] = CNN(LESSON_CNN, mean=0.3, std=0.35)
    *early, last = steps
    for step in early:
        save_checkpoint(models[step], "fashion-mnist", step, out_dir=folder)
    save_model(models[last], "fashion-mnist", out_dir=folder, card={"test_accuracy": 0.5})
    entries = [
        {"step": step, "epoch": step / 10, "file": checkpoint_path("fashion-mnist", step).name}
        for step in early
    ]
    entries.append({"step": last, "epoch": last / 10, "file": "fashion-mnist-cnn.safetensors"})
    for entry in entries:
        entry["test_accuracy"] = 0.1 + entry["step"] / 100
    save_checkpoints_card(
        "fashion-mnist",
        entries,
        out_dir=folder,
        command="made here",
        steps_per_epoch=10,
        test_images=0,
    )
    return models


def test_checkpoints_round_trip(tmp_path):
    """Each checkpoint written loads back with the same tensors, in eval mode and frozen."""
    models = made_checkpoints(tmp_path)
    entries = read_checkpoints("fashion-mnist", assets_dir=tmp_path, trusted=None)
    assert [e["step"] for e in entries] == [0, 3, 7]
    assert [e["test_accuracy"] for e in entries] == [0.1, 0.13, 0.17]
    for step, made in models.items():
        model = load_checkpoint("fashion-mnist", step, assets_dir=tmp_path, trusted=None)
        assert not model.training and not any(p.requires_grad for p in model.parameters())
        for key, tensor in made.state_dict().items():
            assert torch.equal(model.state_dict()[key], tensor), key


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("delete step 3", "fashion-mnist-cnn-step-00003.safetensors is missing"),
        ("flip step 3", "fashion-mnist-cnn-step-00003.safetensors is damaged or was replaced"),
        ("delete card", "fashion-mnist-cnn-checkpoints.json is missing"),
        ("garble card", "is not readable JSON"),
        ("unorder card", "not in order"),
        ("ask step 4", "No checkpoint of step 4"),
    ],
)
def test_damaged_checkpoints_are_refused_with_a_sentence(tmp_path, damage, words):
    """A missing, damaged or disordered checkpoint gets a WeightsError naming the file and
    the command that makes it again, never a traceback from safetensors or json."""
    made_checkpoints(tmp_path)
    card = checkpoints_card_path("fashion-mnist", tmp_path)
    step_file = checkpoint_path("fashion-mnist", 3, tmp_path)
    step = 3
    if damage == "delete step 3":
        step_file.unlink()
    elif damage == "flip step 3":
        data = bytearray(step_file.read_bytes())
        data[-1] ^= 1
        step_file.write_bytes(bytes(data))
    elif damage == "delete card":
        card.unlink()
    elif damage == "garble card":
        card.write_text("{not json", encoding="utf-8")
    elif damage == "unorder card":
        text = json.loads(card.read_text(encoding="utf-8"))
        text["checkpoints"].reverse()
        card.write_text(json.dumps(text), encoding="utf-8")
    else:
        step = 4
    with pytest.raises(WeightsError, match=words) as caught:
        load_checkpoint("fashion-mnist", step, assets_dir=tmp_path, trusted=None)
    assert "--checkpoints" in str(caught.value) and str(tmp_path) not in str(caught.value)


def test_checkpoints_not_anchored_are_refused(tmp_path):
    """Checkpoints whose checksums this version of the app does not record are refused."""
    made_checkpoints(tmp_path)
    with pytest.raises(WeightsError, match="No checksum is recorded|differs from the one recorded"):
        read_checkpoints("fashion-mnist", assets_dir=tmp_path)


NEEDS_CHECKPOINTS = pytest.mark.skipif(
    "fashion-mnist-cnn-checkpoints.json" not in SHIPPED_SHA256,
    reason="this version ships no checkpoints of fashion-mnist (assets/README.md: Checkpoints)",
)


def test_every_shipped_file_is_anchored_and_listed():
    """Every weights and JSON file in assets/, checkpoints included, has the sha256 the code
    records, and assets/README.md lists it."""
    readme = (ASSETS_DIR / "README.md").read_text(encoding="utf-8")
    shipped = sorted([*ASSETS_DIR.glob("*.safetensors"), *ASSETS_DIR.glob("*.json")])
    assert {path.name for path in shipped} == set(SHIPPED_SHA256)
    for path in shipped:
        assert file_sha256(path) == SHIPPED_SHA256[path.name], path.name
        assert f"`{SHIPPED_SHA256[path.name]}`" in readme, path.name


@NEEDS_CHECKPOINTS
def test_the_shipped_checkpoints_are_small_and_end_at_the_trained_network():
    """The checkpoints run from step 0 to the trained weights (the same file, not a copy)
    and all of them together stay under 20 MB."""
    entries = read_checkpoints("fashion-mnist")
    card = read_card("fashion-mnist")
    assert entries[0]["step"] == 0 and entries[-1]["step"] == card["steps"]
    assert entries[-1]["file"] == "fashion-mnist-cnn.safetensors"
    assert entries[-1]["sha256"] == card["sha256"]
    assert entries[-1]["test_accuracy"] == card["test_accuracy"]
    extra = [ASSETS_DIR / e["file"] for e in entries[:-1]]
    extra.append(checkpoints_card_path("fashion-mnist"))
    assert sum(path.stat().st_size for path in extra) < 20_000_000


@NEEDS_CHECKPOINTS
@pytest.mark.data
def test_each_shipped_checkpoint_scores_what_its_card_says(data_dir):
    """Each checkpoint loaded from its real file scores its card's accuracy on all 10,000
    test pictures: step 0 near chance (10 %), the last one the trained network's."""
    if not dataset_available("fashion-mnist", root=data_dir):
        pytest.skip(f"fashion-mnist not found in {data_dir}")
    images, labels = load_dataset("fashion-mnist", "test", root=data_dir)
    entries = read_checkpoints("fashion-mnist")
    for entry in entries:
        model = load_checkpoint("fashion-mnist", entry["step"])
        accuracy, _ = evaluate(model, images, labels)
        assert round(accuracy, 4) == pytest.approx(entry["test_accuracy"], abs=2e-4), entry
    assert 0.05 < entries[0]["test_accuracy"] < 0.15
    assert entries[-1]["test_accuracy"] == read_card("fashion-mnist")["test_accuracy"]
