"""The "Inside a CNN" page under AppTest: a test picture, an upload, no data, damaged weights,
and this session's own model beside the shared one, which must never change.

The page ends with ``next_step``, whose link needs app.py's navigation; until app.py registers
the page, each test serves it through a copy of app.py's registry with the page added
(``pages/`` is a link to the real folder, so the real files run).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from streamlit.testing.v1 import AppTest

from cnnviz.data import CLASS_NAMES, load_dataset
from cnnviz.images import decode_image
from cnnviz.model import CNN, CNNConfig, to_tensor
from cnnviz.preprocess import to_dataset_style
from cnnviz.weights import ASSETS_DIR, load_model, load_top_patches, top_patches_path
from tests.app.conftest import APP, png_bytes, text_of
from tests.test_preprocess import paper_digit
from ui.user_model import KEY as USER_MODEL_KEY
from ui.user_model import UserModel

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/inside_cnn.py"


@pytest.fixture
def entry() -> str:
    """The real entry point; ``page`` switches to the Inside a CNN page."""
    return APP


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(empty))
    return empty


@pytest.fixture
def with_data(data_dir, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(data_dir))
    return data_dir


def page(entry: str, **state) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return ok(at.switch_page(PAGE).run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def prediction(at: AppTest) -> tuple[str, float]:
    found = re.search(r"Prediction: (.+) \(([\d.]+) %\)", text_of(at))
    assert found, "no 'Prediction: class (p %)' on the page"
    return found.group(1), float(found.group(2))


def captions(at: AppTest) -> list[str]:
    return [image.proto.imgs[0].caption for image in at.get("image")]


def expected(model: torch.nn.Module, pixels: np.ndarray, classes) -> tuple[str, float]:
    with torch.inference_mode():
        probabilities = torch.softmax(model(to_tensor(pixels))[0], 0)
    best = int(probabilities.argmax())
    return classes[best], round(100 * float(probabilities[best]), 1)


@pytest.mark.data
def test_a_test_picture_shows_prediction_shapes_and_the_channel(entry, with_data):
    """Test picture #12: its prediction, every layer's shape, a channel's max and top nine."""
    at = page(entry)
    at.number_input(key="inside.index").set_value(12)
    at = ok(at.run())
    pixels, labels = load_dataset("fashion-mnist", "test", root=with_data)
    model = load_model("fashion-mnist")
    assert prediction(at) == expected(model, pixels[12], CLASS_NAMES["fashion-mnist"])
    text = text_of(at)
    assert f"label is **{CLASS_NAMES['fashion-mnist'][labels[12]]}**" in text
    for line in [
        "input `1 × 28 × 28`",
        "conv1 `32 × 26 × 26`",
        "pool1 `32 × 13 × 13`",
        "conv2 `64 × 11 × 11`",
        "pool2 `64 × 5 × 5`",
        "flatten `1600`",
        "dense1 `128`",
        "output `10`",
    ]:
        assert line in text
    with torch.inference_mode():
        conv1 = model.conv1((to_tensor(pixels[12]) - model.mean) / model.std)[0, 0]
    assert f"max activation **{conv1.max().item():.3f}**" in text
    assert "1,600 × 128 + 128 = 204,928 weights" in text
    assert "Top:" not in text  # the search over the test set waits until its box is opened
    at.session_state["inside.open.top"] = True
    top = re.search(r"Top: (.+)\.", text_of(ok(at.run())))
    assert top and len(top.group(1).split("), ")) == 9


@pytest.mark.data
def test_choosing_another_layer_and_map(entry, with_data):
    """conv2, map 5: the page prints that map's shape and its receptive field of 8 pixels."""
    at = page(entry)
    at.session_state["inside.open.top"] = True
    at.selectbox(key="inside.layer").set_value("conv2")
    at = ok(at.run())
    at.slider(key="inside.channel.conv2").set_value(5)
    at = ok(at.run())
    text = text_of(at)
    assert "**conv2, map 5** `11 × 11`" in text
    assert "sees a square of 8 × 8 input pixels" in text


@pytest.mark.data
def test_an_upload_shows_every_preprocessing_step(entry, with_data):
    """A photo of a dark digit on paper: eight steps shown, and the digits model's answer."""
    data = png_bytes((paper_digit() * 255).astype(np.uint8))
    at = page(entry, **{"inside.model": "mnist", "inside.source": "upload"})
    at.file_uploader(key="inside.upload").set_value(("digit.png", data, "image/png"))
    at = ok(at.run())
    shown = captions(at)
    for step in ["1. Your picture", "2. Grey", "3. Inverted", "5. Cropped", "8. Centre of mass"]:
        assert any(c.startswith(step) for c in shown), step
    pixels = to_dataset_style(decode_image(data).pixels, style="mnist").image
    assert prediction(at) == expected(load_model("mnist"), pixels, CLASS_NAMES["mnist"])
    assert prediction(at)[0] == "3"
    assert not at.error


def test_a_file_that_is_no_picture_gets_a_sentence(entry, no_data):
    at = page(entry)
    at.file_uploader(key="inside.upload").set_value(("notes.png", b"hello there", "image/png"))
    at = ok(at.run())
    assert "could not be used" in at.error[0].value
    assert "text, not a picture" in at.error[0].value


def test_without_data_the_page_explains_and_uploads_still_work(entry, no_data):
    """No dataset: upload is the default source; the test set option says how to get it."""
    at = page(entry)
    assert at.radio(key="inside.source").value == "upload"
    data = png_bytes((paper_digit() * 255).astype(np.uint8))
    at.file_uploader(key="inside.upload").set_value(("digit.png", data, "image/png"))
    at = ok(at.run())
    assert prediction(at)
    assert "conv1 `32 × 26 × 26`" in text_of(at)
    assert "need the test set" not in text_of(at)  # the top nine patches: box closed
    at.session_state["inside.open.top"] = True
    at = ok(at.run())
    assert "need the test set" in text_of(at)
    at.radio(key="inside.source").set_value("test")
    at = ok(at.run())
    assert "are not on this server" in at.warning[0].value
    assert str(no_data) not in text_of(at) and "`fashion-mnist/` folder" in text_of(at)
    assert at.button(key="inside.download").label.startswith("Download")


def test_drawing_pad_waits_for_a_drawing(entry, no_data):
    at = page(entry, **{"inside.model": "mnist", "inside.source": "draw"})
    assert "Draw a digit" in text_of(at)


@pytest.fixture
def damaged_assets(tmp_path, monkeypatch) -> Path:
    """A copy of assets/ whose Fashion-MNIST weights have some bytes flipped."""
    folder = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, folder)
    weights = folder / "fashion-mnist-cnn.safetensors"
    data = bytearray(weights.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setenv("CNNVIZ_ASSETS_DIR", str(folder))
    return folder


def test_damaged_weights_get_a_clear_message_and_the_other_model_works(
    entry, no_data, damaged_assets
):
    at = page(entry)
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Clothes (Fashion-MNIST) network cannot be used" in message
    assert "damaged" in message and "Handwritten digits (MNIST)" in message
    at.radio(key="inside.model").set_value("mnist")
    at = ok(at.run())
    assert not at.error
    assert at.radio(key="inside.source").value == "upload"


def top_line(at: AppTest) -> list[str]:
    """The ``#index (class, activation)`` items of the favourite test pictures' sentence."""
    found = re.search(r"Top: (.+)\.", text_of(at))
    assert found, "no 'Top: ...' sentence"
    return found.group(1).split(", #")


@pytest.mark.data
def test_a_shipped_models_top_patches_are_read_not_searched(entry, with_data, monkeypatch):
    """The shipped networks bring their favourite test pictures: no search of the test set,
    and the nine are the stored ones, strongest first."""
    import pages.inside_cnn.views

    def no_search(*args, **kwargs):
        raise AssertionError("the test set was searched")

    monkeypatch.setattr(pages.inside_cnn.views, "channel_peaks", no_search)
    at = page(entry)
    at.session_state["inside.open.top"] = True
    at.selectbox(key="inside.layer").set_value("conv2")
    at = ok(at.run())
    at.slider(key="inside.channel.conv2").set_value(7)
    items = top_line(ok(at.run()))
    pixels, _ = load_dataset("fashion-mnist", "test", root=with_data)
    stored = load_top_patches("fashion-mnist", images=pixels)["conv2"]
    assert [int(re.match(r"#?(\d+)", i).group(1)) for i in items] == list(stored.indices[7])
    assert f"{stored.values[7][0]:.2f})" in items[0]
    assert "searched now" not in text_of(at)


@pytest.mark.data
def test_damaged_top_patches_are_searched_instead(entry, with_data, damaged_patches):
    """A top patches file that fails its check: a sentence saying so, then a search."""
    at = page(entry)
    at.session_state["inside.open.top"] = True
    at = ok(at.run())
    assert len(top_line(at)) == 9
    assert "the test set is searched now" in text_of(at)
    assert "damaged or was replaced" in text_of(at)


@pytest.fixture
def damaged_patches(tmp_path, monkeypatch) -> Path:
    """A copy of assets/ whose Fashion-MNIST top patches have one number changed."""
    folder = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, folder)
    path = top_patches_path("fashion-mnist", folder)
    path.write_text(re.sub(r"\[(\d)", r"[1\1", path.read_text(), count=1))  # 4134 -> 14134
    monkeypatch.setenv("CNNVIZ_ASSETS_DIR", str(folder))
    return folder


def small_user_model() -> UserModel:
    """A differently shaped CNN, as the Train page may hand over."""
    config = CNNConfig(channels=(4, 8), kernel_size=5, pool="avg", dense=16)
    torch.manual_seed(3)
    model = CNN(config, mean=0.1, std=0.3).eval().requires_grad_(False)
    return UserModel(model, "mnist", config, test_accuracy=0.9, parameters=0)


@pytest.mark.data
def test_your_model_is_offered_and_the_shared_one_never_changes(entry, with_data, monkeypatch):
    """With a trained model in the session, the page offers and shows it; afterwards the
    shipped model (one object shared by every user) has exactly the weights of its file."""
    import ui.models

    shared = ui.models.shipped_model("fashion-mnist")  # the object every session gets
    calls = []
    monkeypatch.setattr(ui.models, "load_model", lambda *a, **k: calls.append(a))
    user = small_user_model()
    at = page(entry, **{USER_MODEL_KEY: user})
    radio = at.radio(key="inside.model")
    assert "Your model from the Train page (Your CNN (mnist, 90.0 % test accuracy))" in (
        radio.options
    )
    radio.set_value("yours")
    at = ok(at.run())
    text = text_of(at)
    assert "conv1 `4 × 24 × 24`" in text and "pool2 `8 × 4 × 4`" in text
    assert prediction(at) == expected(user.model, at_input(with_data, 0), CLASS_NAMES["mnist"])
    at.session_state["inside.open.top"] = True
    at.selectbox(key="inside.layer").set_value("conv2")
    at = ok(at.run())
    assert "sees a square of 14 × 14 input pixels" in text_of(at)
    at.radio(key="inside.model").set_value("fashion-mnist")
    ok(at.run())

    assert calls == []  # the page used the cached, shared object
    assert ui.models.shipped_model("fashion-mnist") is shared
    pristine = load_file(ASSETS_DIR / "fashion-mnist-cnn.safetensors")
    for name, tensor in shared.state_dict().items():
        assert torch.equal(tensor, pristine[name]), name
    assert not shared.training
    assert not any(p.requires_grad for p in shared.parameters())


@pytest.mark.data
def test_a_diverged_model_is_shown_without_a_traceback(entry, with_data):
    """A model from the Train page whose weights hold NaN and inf (training diverged): every
    section still appears; the numbers that are not numbers are drawn grey."""
    user = small_user_model()
    with torch.no_grad():
        user.model.conv1.weight[0, 0, 0, 0] = float("nan")
        user.model.conv2.weight[1, 0, 0, 0] = float("inf")
    at = page(entry, **{USER_MODEL_KEY: user, "inside.model": "yours"})
    at.session_state["inside.open.top"] = True
    at.selectbox(key="inside.layer").set_value("conv2")
    text = text_of(ok(at.run()))
    assert "Where did the network look?" in [s.value for s in at.subheader][-1]
    assert "conv2 `8 × 8 × 8`" in text and "Top: " in text


def at_input(data_dir, index: int) -> np.ndarray:
    pixels, _ = load_dataset("mnist", "test", root=data_dir)
    return pixels[index]


@pytest.mark.data
def test_every_class_probability_and_layer_scale_is_printed(entry, with_data):
    """The bars carry their numbers as text (ten of them, adding up to 100 %, the test set's
    answer ticked), and each layer's mosaic its name, shape and colour scale numbers."""
    at = page(entry)
    at.number_input(key="inside.index").set_value(12)
    text = text_of(ok(at.run()))
    _, labels = load_dataset("fashion-mnist", "test", root=with_data)
    percentages = [float(p) for p in re.findall(r">([\d.]+) %</td>", text)]
    assert len(percentages) == 10 and sum(percentages) == pytest.approx(100, abs=0.6)
    assert f"{CLASS_NAMES['fashion-mnist'][labels[12]]} ✓" in text
    assert max(percentages) == prediction(at)[1]
    for line in [
        "**conv1** `32 × 26 × 26`: 32 kernels of 3 × 3 × 1",
        "**relu1** `32 × 26 × 26`: ReLU",
        "**pool2** `64 × 5 × 5`: max pooling",
    ]:
        assert line in text
    lows = [float(v) for v in re.findall(r"Receptive field \d+ × \d+; values (-?[\d.]+) to", text)]
    assert len(lows) == 6 and lows[0] < 0 and lows[1] == 0  # conv1 signed, relu1 not


@pytest.mark.data
def test_linked_feature_maps_know_each_layers_receptive_field(entry, with_data):
    """The browser gets every layer's mosaic, with the receptive field the lesson CNN has:
    conv1 3, pool1 4, conv2 8, pool2 10 input pixels, and the mosaic's exact geometry."""
    at = ok(page(entry).run())
    found = [e for e in at.get("bidi_component") if '"kind": "field"' in e.proto.json]
    assert len(found) == 1
    data = json.loads(found[0].proto.json)
    sizes = {layer["name"]: layer["field"]["size"] for layer in data["layers"]}
    assert sizes == {"conv1": 3, "relu1": 3, "pool1": 4, "conv2": 8, "relu2": 8, "pool2": 10}
    conv2 = next(layer for layer in data["layers"] if layer["name"] == "conv2")
    assert conv2["field"]["jump"] == 2
    assert (conv2["mosaic"]["count"], conv2["mosaic"]["tile_h"]) == (64, 11)
    assert data["input"]["size"] == 28


@pytest.mark.data
def test_no_matplotlib_figure_is_drawn_per_interaction(entry, with_data, monkeypatch):
    """A new test picture, an upload, another layer and map, the favourite patches: all drawn
    without one matplotlib figure (they cost a few hundred ms each)."""
    import matplotlib.figure

    at = page(entry)
    made = []
    original = matplotlib.figure.Figure.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "__init__", counting)
    at.number_input(key="inside.index").set_value(3)
    ok(at.run())
    at.selectbox(key="inside.layer").set_value("conv2")
    ok(at.run())
    at.slider(key="inside.channel.conv2").set_value(9)
    at.session_state["inside.open.top"] = True
    ok(at.run())
    at.radio(key="inside.source").set_value("upload")
    ok(at.run())
    data = png_bytes((paper_digit() * 255).astype(np.uint8))
    at.file_uploader(key="inside.upload").set_value(("digit.png", data, "image/png"))
    assert prediction(ok(at.run()))
    assert made == []


def test_first_layer_kernels_for_the_convolution_page(monkeypatch):
    """conv1's learned kernels as (32, 3, 3), a private copy; a damaged file raises."""
    import ui.models
    from cnnviz.weights import WeightsError

    kernels = ui.models.first_layer_kernels("mnist")
    assert kernels.shape == (32, 3, 3) and kernels.dtype == np.float32
    model = ui.models.shipped_model("mnist")
    np.testing.assert_array_equal(kernels, model.conv1.weight[:, 0].numpy())
    kernels[:] = 0
    assert model.conv1.weight.abs().sum() > 0
    # torch keeps its thread count per thread, and threads started after the limit inherit
    # it: a server's script threads are started per run, so check in a new thread (this
    # test's own thread may predate the limit, set in an earlier test's script thread)
    seen: list[int] = []
    later = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    later.start()
    later.join()
    assert seen[0] <= ui.models.MAX_THREADS
    monkeypatch.setenv("CNNVIZ_ASSETS_DIR", "/nonexistent-assets")
    with pytest.raises(WeightsError, match="missing"):
        ui.models.first_layer_kernels("mnist")


def test_a_picture_that_becomes_blank_gets_a_warning(entry, no_data):
    """A plain grey photo has nothing to crop: the page says the input is empty, no error."""
    at = page(entry)
    grey = np.full((60, 80, 3), 128, np.uint8)
    at.file_uploader(key="inside.upload").set_value(("wall.png", png_bytes(grey), "image/png"))
    at = ok(at.run())
    assert any("all black" in w.value for w in at.warning)
    assert prediction(at)  # the page goes on: the network still answers, and says so
    at.file_uploader(key="inside.upload").set_value(
        ("digit.png", png_bytes((paper_digit() * 255).astype(np.uint8)), "image/png")
    )
    assert not any("all black" in w.value for w in ok(at.run()).warning)
