"""Your model, kept: the Train page's download of a student's CNN, uploaded again on "Inside a
CNN" in a later visit, predicts exactly what that CNN predicts; a file that is not such a
network gets its sentence and the page goes on with the shipped network.

The bytes are the ones the download button's own function makes when a student clicks it (the
test listens to Streamlit's media manager being handed that function; nothing is replaced).
"""

from __future__ import annotations

import io
import json
import re
import struct
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import save
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from cnnviz.data import CLASS_NAMES, dataset_available, load_dataset
from cnnviz.model import CNN, CNNConfig, layer_shapes, to_tensor
from cnnviz.model_file import CARD_KEY, ModelCard, card_json, to_bytes
from cnnviz.race import DEFAULT_PLAN
from cnnviz.weights import read_card
from pages.inside_cnn.model import UPLOAD, shape_text
from pages.train import results as train_results
from pages.train import settings as train_settings
from tests.app.conftest import APP, text_of
from tests.app.test_inside_page import ok
from tests.app.test_inside_page import page as inside_page
from tests.app.test_train_page import short_race

INSIDE = "pages/inside_cnn.py"
SHIPPED = CNNConfig(**read_card("fashion-mnist")["architecture"])
SHIPPED_CONV1 = f"conv1 `{shape_text(dict(layer_shapes(SHIPPED))['conv1'])}`"  # the page's line

MEANWHILE = "Meanwhile the page shows the shipped Clothes (Fashion-MNIST) network."


@pytest.fixture
def with_data(data_dir, monkeypatch):
    """The real datasets for the app, or a skip saying why."""
    for name in ("fashion-mnist", "mnist"):
        if not dataset_available(name, root=data_dir):
            pytest.skip(f"{name} not found in {data_dir}: set CNNVIZ_DATA_DIR")
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(data_dir))  # where the app looks for them
    return data_dir


def visit(**state) -> AppTest:
    """A new student's session on Inside a CNN."""
    return inside_page(APP, **state)


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """file name -> the function a download button runs when clicked, for every deferred
    download the pages register."""
    found = {}
    register = MediaFileManager.add_deferred

    def listen(self, data_callable, mimetype, coordinates, file_name=None, **options):
        found[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", listen)
    return found


def upload(at: AppTest, data: bytes, name: str = "my-cnn.safetensors") -> AppTest:
    """Choose "A network you trained" and give it ``data`` as the file ``name``."""
    at.radio(key="inside.model").set_value(UPLOAD).run()
    at.file_uploader(key="inside.model_file").set_value((name, data, "application/octet-stream"))
    return ok(at.run())


def printed_probabilities(at: AppTest) -> list[float]:
    """The ten percentages the page prints beside its bars, in class order."""
    found = [float(p) for p in re.findall(r">([\d.]+) %</td>", text_of(at))]
    assert len(found) == 10
    return found


def own_answer(model: CNN, pixels: np.ndarray) -> tuple[int, list[float]]:
    with torch.inference_mode():
        probabilities = torch.softmax(model(to_tensor(pixels))[0], 0)
    return int(probabilities.argmax()), [round(100 * float(p), 1) for p in probabilities]


@pytest.mark.data
def test_a_downloaded_cnn_uploaded_later_predicts_what_it_predicted(downloads, with_data):
    """Train a tiny race, take the file its download button makes, upload it in another
    visit: the page says it is the student's network, with its card, and prints its own
    prediction and all ten probabilities; the shipped network is one click away."""
    trainer = AppTest.from_file(APP, default_timeout=120)
    trainer.session_state[train_settings.MAX_STEPS_KEY] = 3  # three steps each: a tiny race
    trainer.run()
    trainer = short_race(ok(trainer.switch_page("pages/train.py").run()))
    user = trainer.session_state["user_model"]
    button = trainer.download_button(key="train.download_model")
    assert button.label.startswith("Download your CNN (") and button.label.endswith(" MB)")
    assert "“A network you trained (upload its file)”" in text_of(trainer)
    name = train_results.model_file_name(user)
    assert name.startswith("my-cnn-fashion-mnist-16-filters-") and name.endswith(".safetensors")
    data = downloads[name]()  # what the browser receives on a click

    later = upload(visit(), data, name)
    text = text_of(later)
    assert "**You are looking inside your own network**" in text
    job = trainer.session_state["train.job"]
    result = job.view().results["CNN"]
    assert f"{100 * user.test_accuracy:.1f} %**" in text
    assert "1,000 Fashion-MNIST (clothes) training images" in text
    assert "conv1 `16 × 26 × 26`" in text and SHIPPED_CONV1 not in text
    pixels, _ = load_dataset("fashion-mnist", "test", root=with_data)
    best, probabilities = own_answer(user.model, pixels[0])
    classes = CLASS_NAMES["fashion-mnist"]
    assert f"Prediction: {classes[best]} ({probabilities[best]:.1f} %)" in text
    assert printed_probabilities(later) == probabilities
    assert result.test_accuracy == user.test_accuracy

    later.radio(key="inside.model").set_value("fashion-mnist")
    assert SHIPPED_CONV1 in text_of(ok(later.run()))


@pytest.fixture
def network_file() -> tuple[CNN, bytes]:
    """A small digits network (8 filters of 5 x 5) and its file, as the Train page makes it."""
    torch.manual_seed(5)
    config = replace(DEFAULT_PLAN.cnn, channels=(8,), kernel_size=5)
    model = CNN(config, mean=0.29, std=0.35).eval()
    card = ModelCard("mnist", 5_000, 2.0, 0.91)
    return model, to_bytes(model, config, card)


@pytest.mark.data
def test_an_uploaded_digit_network_keeps_the_digits_and_stays_for_the_visit(
    network_file, with_data
):
    """An MNIST network's file: digit names, MNIST test pictures, its own answer; after a
    visit to another page it is still the network shown; another student never sees it."""
    model, data = network_file
    at = upload(visit(), data)
    pixels, _ = load_dataset("mnist", "test", root=with_data)
    best, probabilities = own_answer(model, pixels[0])
    assert f"Prediction: {CLASS_NAMES['mnist'][best]} (" in text_of(at)
    assert printed_probabilities(at) == probabilities
    assert "conv1 `8 × 24 × 24`" in text_of(at)

    ok(at.switch_page("pages/train.py").run())
    ok(at.switch_page(INSIDE).run())
    text = text_of(at)
    assert "conv1 `8 × 24 × 24`" in text
    assert "the file you uploaded earlier in this visit" in text
    assert printed_probabilities(at) == probabilities

    other = visit()
    assert SHIPPED_CONV1 in text_of(other)
    other.radio(key="inside.model").set_value(UPLOAD).run()
    assert "Choose the file you downloaded from the Train page" in text_of(ok(other))
    assert SHIPPED_CONV1 in text_of(other)


@pytest.mark.data
def test_a_second_file_replaces_the_first_and_no_cache_mixes_them(network_file, with_data):
    """Two files of the same architecture with other weights: each prints its own answer (the
    shared caches are keyed on the file's content hash)."""
    first, data = network_file
    second = CNN(first.config, mean=0.29, std=0.35).eval()  # other random weights
    with torch.no_grad():
        second.output.bias.copy_(torch.arange(10.0))  # digit 9 wins by far
    at = upload(visit(), data)
    pixels, _ = load_dataset("mnist", "test", root=with_data)
    assert printed_probabilities(at) == own_answer(first, pixels[0])[1]
    again = to_bytes(second, second.config, ModelCard("mnist", 5_000, 2.0, 0.1))
    at.file_uploader(key="inside.model_file").set_value(("b.safetensors", again, ""))
    at = ok(at.run())
    assert printed_probabilities(at) == own_answer(second, pixels[0])[1]
    assert "Prediction: 9 (" in text_of(at)


def hostile_files(good: bytes, model: CNN) -> list[tuple[str, bytes, str]]:
    """(what, its bytes, words of its sentence)."""
    pickled = io.BytesIO()
    torch.save(model.state_dict(), pickled)
    tensors = {name: t.clone() for name, t in model.state_dict().items()}
    tensors["conv1.weight"][0, 0, 0, 0] = float("nan")
    card = ModelCard("mnist", 5_000, 2.0, 0.91)
    wide = replace(model.config, channels=(32,), kernel_size=3)
    return [
        ("pickle", pickled.getvalue(), "made by torch.save, which holds a pickle"),
        ("2 GB header", struct.pack("<Q", 2 * 10**9) + b"{}", "header is 2,000,000,000 bytes"),
        ("cut off", good[:-10], "ends early"),
        ("empty", b"", "This file is empty"),
        ("NaN", save(tensors, {CARD_KEY: json.dumps(card_json(model.config, card))}), "NaN"),
        (
            "shapes",
            save(model.state_dict(), {CARD_KEY: json.dumps(card_json(wide, card))}),
            "This file's conv1 weights have shape (8, 1, 5, 5); a network with 32 filters of "
            "3 × 3 needs (32, 1, 3, 3).",
        ),
        ("picture", b"\x89PNG\r\n\x1a\n" + bytes(40), "is a picture, not a network"),
        ("not JSON", save(model.state_dict(), {CARD_KEY: "{oops"}), "card is not readable JSON"),
    ]


@pytest.mark.data
def test_hostile_files_get_their_sentence_and_the_shipped_network(network_file, with_data):
    """Each: its sentence in an error box, no exception, the shipped network's views below."""
    model, good = network_file
    at = visit()
    for what, data, words in hostile_files(good, model):
        at.radio(key="inside.model").set_value(UPLOAD).run()
        at.file_uploader(key="inside.model_file").set_value((f"{what}.safetensors", data, ""))
        at = ok(at.run())
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and words in errors[0], (what, errors)
        assert errors[0].endswith(MEANWHILE), what
        assert SHIPPED_CONV1 in text_of(at), what
        assert at.subheader[-1].value.startswith("7. Where did the network look?"), what
    assert "inside.uploaded" not in at.session_state  # nothing refused is kept


@pytest.mark.data
@pytest.mark.slow
def test_a_network_too_big_to_come_back_is_not_offered_as_a_file(with_data):
    """64 → 128 filters without pooling make a 38 MB file, more than the upload takes: the
    page says so and why, and offers no download (a minute here: testing so big a network on
    the 15,000 test pictures)."""
    trainer = AppTest.from_file(APP, default_timeout=240)
    trainer.session_state[train_settings.MAX_STEPS_KEY] = 1
    trainer.run()
    trainer = ok(trainer.switch_page("pages/train.py").run())
    trainer.segmented_control(key="train.blocks").set_value(2)
    trainer.select_slider(key="train.filters").set_value(64)
    trainer.segmented_control(key="train.pool").set_value("none")
    text = text_of(short_race(trainer))
    assert "Your CNN would be a file of 38 MB, more than the 25 MB" in text
    assert "Train one with pooling or fewer filters to keep it." in text
    assert not [b for b in trainer.download_button if b.key == "train.download_model"]
