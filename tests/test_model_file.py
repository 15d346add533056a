"""A student's network file: what goes out comes back identical, and every other file is refused
with one sentence saying what is wrong, before anything in it is trusted."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import save

from cnnviz import model_file
from cnnviz.data import dataset_available, load_dataset
from cnnviz.model import CNN, CNNConfig, to_tensor
from cnnviz.model_file import (
    CARD_KEY,
    MAX_BYTES,
    ModelCard,
    ModelFileError,
    card_json,
    file_size,
    fits_upload,
    from_bytes,
    offered,
    to_bytes,
)
from cnnviz.train import TrainConfig, evaluate, train

SMALL = replace(model_file.TRAIN_CNN, channels=(16,), kernel_size=5, pool="max")
CARD = ModelCard("fashion-mnist", 1_000, 1.0, 0.71)


def network(config: CNNConfig = SMALL, seed: int = 0) -> CNN:
    torch.manual_seed(seed)
    return CNN(config, mean=0.29, std=0.35).eval()


def tensors_of(model: CNN) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone().contiguous() for name, t in model.state_dict().items()}


def forge(tensors: dict[str, torch.Tensor], card: object = None, config=SMALL) -> bytes:
    """A safetensors file with ``tensors`` and ``card`` (default: the true card of ``config``;
    a str goes in as it is)."""
    card = card_json(config, CARD) if card is None else card
    text = card if isinstance(card, str) else json.dumps(card)
    return save(tensors, metadata={CARD_KEY: text})


def refused(data: bytes) -> str:
    with pytest.raises(ModelFileError) as caught:
        from_bytes(data)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")  # one plain sentence
    assert message.startswith("This ")
    return message


# --- what goes out comes back -------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(data_dir) -> tuple[CNN, np.ndarray, np.ndarray]:
    """A CNN really trained (one pass over 2,000 Fashion-MNIST images), and 2,000 test
    pictures."""
    if not dataset_available("fashion-mnist", root=data_dir):
        pytest.skip(f"fashion-mnist not found in {data_dir}")
    images, labels = load_dataset("fashion-mnist", "train", root=data_dir)
    test_images, test_labels = load_dataset("fashion-mnist", "test", root=data_dir)
    model = network(SMALL)
    train(model, images[:2_000], labels[:2_000], TrainConfig(epochs=1, shift=0))  # 16 steps
    return model, test_images[:2_000], test_labels[:2_000]


@pytest.mark.data
def test_a_trained_network_comes_back_with_identical_predictions(trained):
    """Logits of 2,000 real test pictures are bit for bit the same after the round trip, and the
    card says what it was given."""
    model, images, labels = trained
    accuracy, _ = evaluate(model, images, labels)
    card = ModelCard("fashion-mnist", 2_000, 1.0, accuracy, test_images=len(images))
    before = tensors_of(model)
    back, card_back = from_bytes(to_bytes(model, SMALL, card))
    x = to_tensor(images)
    with torch.inference_mode():
        assert torch.equal(model(x), back(x))
    assert card_back == card and back.config == SMALL
    assert evaluate(back, images, labels)[0] == accuracy
    assert all(torch.equal(t, before[n]) for n, t in model.state_dict().items())  # untouched
    assert not back.training and not any(p.requires_grad for p in back.parameters())


CORNERS = [  # the smallest, three blocks, no pooling, average pooling, 7 x 7, the largest fitting
    replace(model_file.TRAIN_CNN, channels=(4,), kernel_size=3, pool="max"),
    replace(model_file.TRAIN_CNN, channels=(8, 16, 32), kernel_size=3, pool="max"),
    replace(model_file.TRAIN_CNN, channels=(16,), kernel_size=3, pool="none"),
    replace(model_file.TRAIN_CNN, channels=(32, 64), kernel_size=5, pool="avg"),
    replace(model_file.TRAIN_CNN, channels=(64, 128, 256), kernel_size=7, pool="none"),
    max((c for c in offered() if fits_upload(c)), key=file_size),
]


@pytest.mark.parametrize("config", CORNERS, ids=lambda c: f"{c.channels}-{c.kernel_size}-{c.pool}")
def test_every_kind_of_train_page_network_comes_back(config):
    """Random weights of a corner of the Train page's choices: equal logits after the trip, and
    the file is the size ``file_size`` says plus a small header."""
    model = network(config, seed=1)
    data = to_bytes(model, config, CARD)
    assert file_size(config) < len(data) < file_size(config) + 4_000
    back, _ = from_bytes(data)
    x = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        assert torch.equal(model(x), back(x))


def test_offered_is_the_train_pages_choices():
    """115 networks: 3 blocks x 5 filter counts x 3 kernels x 3 poolings, less the 20 whose
    picture shrinks to nothing; only the 5 biggest (no pooling) are too big to upload."""
    found = offered()
    assert len(found) == 115 == len(set(found))
    too_big = [c for c in found if not fits_upload(c)]
    assert len(too_big) == 5 and all(c.pool == "none" for c in too_big)
    assert model_file.TRAIN_CNN.dropout == 0.0 and model_file.TRAIN_CNN.dense == 128


def test_writing_needs_the_models_own_architecture():
    """to_bytes refuses a config that is not the model's (the card would lie)."""
    with pytest.raises(ValueError, match="architecture"):
        to_bytes(network(), replace(SMALL, kernel_size=3), CARD)


# --- hostile files: each gets its sentence ------------------------------------------------------


def test_wrong_shapes_are_named_with_the_shapes_needed():
    """A 16-filter 5 x 5 network's tensors under a card for 32 filters of 3 x 3."""
    other = replace(SMALL, channels=(32,), kernel_size=3)
    message = refused(forge(tensors_of(network()), config=other))
    assert message == (
        "This file's conv1 weights have shape (16, 1, 5, 5); a network with 32 filters of "
        "3 × 3 needs (32, 1, 3, 3)."
    )


def test_a_wrong_dense_shape_names_what_it_depends_on():
    """The dense layer's size follows the pooling: the sentence says so."""
    tensors = tensors_of(network())
    tensors["dense1.weight"] = torch.zeros(128, 100)
    message = refused(forge(tensors))
    assert message == (
        "This file's dense1 weights have shape (128, 100); a network with 16 filters of 5 × 5, "
        "max pooling and 128 dense units needs (128, 2304)."
    )


def test_a_2_gb_header_claim_is_refused_without_reading_it():
    """The first 8 bytes claim 2,000,000,000 bytes of header: refused at once, and checking
    allocates nothing near that (under 1 MB)."""
    data = struct.pack("<Q", 2_000_000_000) + b'{"__metadata__":' + b" " * 1_000
    tracemalloc.start()
    try:
        message = refused(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "says its header is 2,000,000,000 bytes long" in message
    assert "at most 100,000 bytes" in message
    assert peak < 1_000_000


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_a_torch_save_pickle_is_refused_unopened(legacy):
    """torch.save's zip (and its old raw pickle) is named for what it is and never unpickled."""
    buffer = io.BytesIO()
    torch.save(network().state_dict(), buffer, _use_new_zipfile_serialization=not legacy)
    message = refused(buffer.getvalue())
    assert "pickle that can run any program" in message or "Python pickle" in message
    assert "only .safetensors files" in message


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_weights_that_are_not_numbers_are_refused(bad):
    """A diverged network: NaN or infinite weights are named with their layer and count."""
    tensors = tensors_of(network())
    tensors["conv1.weight"][0, 0, 0, 0] = bad
    tensors["conv1.weight"][1, 0, 0, 0] = bad
    message = refused(forge(tensors))
    assert message.startswith(
        "This file's conv1 weights include 2 values that are NaN (not a number) or infinite"
    )
    assert "smaller learning rate" in message


def card_with(**changes) -> dict:
    card = card_json(SMALL, CARD)
    card.update(changes)
    return card


def architecture_with(**changes) -> dict:
    card = card_json(SMALL, CARD)
    card["architecture"].update(changes)
    return card


@pytest.mark.parametrize(
    ("card", "words"),
    [
        (
            card_with(layers=["conv1", "attention1", "pool1", "flatten", "dense1", "output"]),
            "card names a layer “attention1” that the Train page's networks do not have",
        ),
        (
            card_with(layers=["conv1", "pool1", "relu1", "flatten", "dense1", "relu2", "output"]),
            "but a network with 16 filters of 5 × 5 has conv1, relu1, pool1,",
        ),
        (architecture_with(attention=4), "gives its network a setting “attention”"),
        (architecture_with(channels=[12]), "12 filters in its first block"),
        (architecture_with(channels=[16, 24]), "blocks of 16 → 24 filters"),
        (architecture_with(channels=[4, 8, 16, 32]), "4 conv blocks"),
        (architecture_with(kernel_size=4), "kernels of 4 pixels a side"),
        (architecture_with(pool="median"), "an unknown pooling"),
        (architecture_with(dense=256), "256 dense units"),
        (architecture_with(dropout=0.5), "another dropout"),
        (architecture_with(kernel_size="3"), "kernel_size as no whole number"),
        (
            architecture_with(channels=[64, 128, 256], kernel_size=7, pool="max"),
            "picture shrinks to nothing",
        ),
        (card_with(dataset="cifar-10"), "trained on Fashion-MNIST or MNIST"),
        (card_with(test_accuracy=1.5), "no plain test accuracy"),
        (card_with(format="something else"), "not a cnnviz card"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_card_outside_the_train_pages_choices_is_refused(card, words):
    """Unknown layers, settings, filter counts, kernels, poolings, widths and datasets."""
    assert words in refused(forge(tensors_of(network()), card))


def test_a_card_that_is_not_json_is_refused():
    """The card's text is not JSON (or not a JSON object)."""
    for text in ("{not json", "[1, 2]", "[" * 50_000):
        assert "card is not readable JSON" in refused(forge(tensors_of(network()), text))


def test_a_safetensors_file_without_a_card_is_refused():
    """Somebody's safetensors file, not the Train page's: no card, so no way to read it."""
    assert "carries no cnnviz card" in refused(save(tensors_of(network())))


def test_a_wrong_dtype_is_refused():
    """64-bit (or 16-bit) weights are not what the Train page stores."""
    for dtype, words in ((torch.float64, "64-bit floats"), (torch.float16, "16-bit floats")):
        tensors = tensors_of(network())
        tensors["output.weight"] = tensors["output.weight"].to(dtype)
        message = refused(forge(tensors))
        assert message.startswith(f"This file's output weights are stored as {words}")


def test_missing_and_extra_tensors_are_refused():
    """A tensor left out, and one the architecture has no place for."""
    tensors = tensors_of(network())
    del tensors["conv1.bias"]
    assert "lacks the conv1 biases (conv1.bias)" in refused(forge(tensors))
    tensors = {**tensors_of(network()), "conv3.weight": torch.zeros(3)}
    assert "holds a tensor “conv3.weight” that a network with 16 filters" in refused(forge(tensors))
    odd = {**tensors_of(network()), "**look** <b>here</b>": torch.zeros(1)}
    message = refused(forge(odd))
    assert "a tensor with an odd name" in message and "look" not in message


def test_truncated_and_empty_files_are_refused():
    """Cut after 5 bytes, inside the header, inside the numbers; and an empty file."""
    data = to_bytes(network(), SMALL, CARD)
    assert "ends after 5 bytes, before its header" in refused(data[:5])
    assert "ends inside its header" in refused(data[:200])
    assert "This file ends early: its tensors need" in refused(data[:-3])
    assert "bytes more than its tensors need" in refused(data + b"\0" * 4)
    assert refused(b"").startswith("This file is empty (0 bytes)")


def test_other_files_students_pick_are_named():
    """A picture, a file too big, a file whose header is not JSON."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    assert "is a picture, not a network" in refused(png)
    assert "at most 25 MB" in refused(b"\0" * (MAX_BYTES + 1))
    assert "header is not readable" in refused(struct.pack("<Q", 4) + b"abcd")


def test_a_pixel_spread_of_zero_is_refused():
    """std = 0 would divide by zero in every picture."""
    tensors = tensors_of(network())
    tensors["std"] = torch.tensor(0.0)
    assert "pixel spread (std) is not positive" in refused(forge(tensors))
