"""The Convolution page, driven as a student would, through AppTest."""

import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import KERNELS
from tests.app.conftest import open_page, shape_after, text_of

PAGE = "pages/convolution.py"
RNG = np.random.default_rng(7)
PHOTO = (RNG.random((12, 10)) * 255).astype(np.uint8)  # a small grey "photo"


def values_range(at) -> tuple[float, float]:
    """The 'output values from a to b' numbers the page prints."""
    found = re.search(r"output values from (-?[0-9]+\.[0-9]+) to (-?[0-9]+\.[0-9]+)", text_of(at))
    assert found
    return float(found.group(1)), float(found.group(2))


@pytest.fixture
def page(upload):
    """The page with the small grey photo uploaded and Sobel x (the default kernel)."""
    return upload(open_page(PAGE), PHOTO)


def test_defaults_render_with_sample(tmp_path):
    """With the default sample the page shows input and output shapes and no error."""
    at = open_page(PAGE)
    assert shape_after(at, "output") == (254, 254)
    assert not at.error


def test_upload_end_to_end(page):
    """An uploaded photo is what gets filtered: 12 x 10 with a 3 x 3 kernel gives 10 x 8."""
    assert shape_after(page, "input") == (12, 10)
    assert shape_after(page, "output") == (10, 8)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("conv.stride_h", 2, (5, 8)),
        ("conv.stride_w", 3, (10, 3)),
        ("conv.dil_h", 2, (8, 8)),
        ("conv.dil_w", 4, (10, 2)),
    ],
)
def test_stride_and_dilation_change_the_shape(page, key, value, expected):
    """Stride and dilation shrink the output exactly as the formula says."""
    page.number_input(key=key).set_value(value).run()
    assert shape_after(page, "output") == expected
    assert f"= {expected[0]}" in text_of(page)


def test_padding_shortcuts_and_sides(page):
    """'Same' keeps the size; custom padding adds its rows and columns to the output."""
    page.segmented_control(key="conv.pad").set_value("same").run()
    assert shape_after(page, "output") == (12, 10)
    page.segmented_control(key="conv.pad").set_value("custom").run()
    page.number_input(key="conv.pad_t").set_value(3).run()
    page.number_input(key="conv.pad_r").set_value(0).run()
    assert shape_after(page, "output") == (10 + 3 + 1 - 0, 8 + 1 + 0)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_mode_changes_border_values(upload, mode):
    """On a flat white picture a box blur dims the border with zeros, never with copies."""
    at = upload(open_page(PAGE), np.full((9, 9), 255, np.uint8))
    at.selectbox(key="conv.preset").set_value("box_blur_3").run()
    at.segmented_control(key="conv.pad").set_value("same").run()
    assert values_range(at)[0] < 0.9  # zeros darken the edge
    at.selectbox(key="conv.mode").set_value(mode).run()
    assert values_range(at) == pytest.approx((1.0, 1.0), abs=1e-4)


def test_bias_relu_and_flip(page):
    """Bias shifts every value, ReLU removes negatives, flipping Sobel x negates it."""
    low, high = values_range(page)
    assert low < 0 < high
    page.number_input(key="conv.bias").set_value(1.0).run()
    assert values_range(page) == pytest.approx((low + 1, high + 1), abs=2e-4)
    page.number_input(key="conv.bias").set_value(0.0).run()
    page.toggle(key="conv.flip").set_value(True).run()
    assert values_range(page) == pytest.approx((-high, -low), abs=2e-4)
    page.toggle(key="conv.relu").set_value(True).run()
    assert values_range(page)[0] == 0


def test_preset_change_rerenders(page):
    """Choosing the identity preset gives back the input's own values."""
    page.selectbox(key="conv.preset").set_value("identity").run()
    low, high = values_range(page)
    inner = PHOTO[1:-1, 1:-1] / 255
    assert (low, high) == pytest.approx((inner.min(), inner.max()), abs=1e-4)
    assert KERNELS["identity"].explanation in text_of(page)


def test_kernel_size_and_buttons(page):
    """Rows/columns resize the kernel; normalise, flip, randomise and reset act on it."""
    page.number_input(key="conv.cols").set_value(5).run()
    assert shape_after(page, "Kernel") == (3, 5) or shape_after(page, "output") == (10, 6)
    assert shape_after(page, "output") == (10, 6)
    page.button(key="conv.button_reset").click().run()
    assert shape_after(page, "output") == (10, 8)
    before = values_range(page)
    page.button(key="conv.button_flip").click().run()
    assert values_range(page) == pytest.approx((-before[1], -before[0]), abs=2e-4)
    page.selectbox(key="conv.preset").set_value("sharpen").run()
    page.button(key="conv.button_normalise").click().run()  # sharpen sums to 1 already
    page.button(key="conv.button_random").click().run()
    assert not page.exception
    assert "conv.kernel" in page.query_params  # a custom matrix goes into the link


def linked_data(at) -> dict:
    """The settings the page sent to the linked view in the browser."""
    found = [e for e in at.get("bidi_component") if '"kind": "conv"' in e.proto.json]
    assert len(found) == 1, "the page mounts one linked convolution view"
    return json.loads(found[0].proto.json)


def test_linked_view_gets_the_settings_of_the_output(page):
    """The browser gets the padded input's shape, the kernel, stride, bias and output shape."""
    page.segmented_control(key="conv.pad").set_value("same").run()
    page.number_input(key="conv.stride_w").set_value(2).run()
    page.number_input(key="conv.bias").set_value(0.5).run()
    data = linked_data(page)
    assert data["padded"]["shape"] == [1, 12 + 2, 10 + 2]
    assert data["kernel"]["shape"] == [1, 3, 3]
    assert data["kernel"]["values"] == KERNELS["sobel_x"].weights.ravel().tolist()
    assert data["stride"] == [1, 2] and data["pad"] == [1, 1, 1, 1] and data["bias"] == 0.5
    assert data["output"]["shape"] == [1, *shape_after(page, "output")]
    assert data["padded"]["url"].endswith(".bin") and data["output"]["url"].endswith(".png")


def test_linked_view_sends_the_flipped_kernel(page):
    """With Flip on, the browser explains the sum with the kernel rotated by 180 degrees."""
    page.toggle(key="conv.flip").set_value(True).run()
    flipped = KERNELS["sobel_x"].weights[::-1, ::-1]
    assert linked_data(page)["kernel"]["values"] == flipped.ravel().tolist()


def test_colour_layer_mode_sums_channels(upload):
    """On a colour picture, 'one kernel per colour, summed' gives one map, the filter keeps 3."""
    colour = (RNG.random((8, 9, 3)) * 255).astype(np.uint8)
    at = upload(open_page(PAGE), colour)
    assert shape_after(at, "output") == (3, 6, 7)
    at.radio(key="conv.colour_mode").set_value("layer").run()
    assert shape_after(at, "output") == (6, 7)
    at.sidebar.toggle(key="input.colour").set_value(False).run()
    assert shape_after(at, "input") == (8, 9)


def test_impossible_setting_is_explained(upload):
    """A kernel larger than the picture gets an explanation, not an error."""
    at = upload(open_page(PAGE), np.zeros((4, 4), np.uint8))
    at.selectbox(key="conv.preset").set_value("motion_blur").run()
    assert any("does not fit even once" in w.value for w in at.warning)
    assert not at.exception and not at.error


@pytest.mark.parametrize("mode", ["reflect", "circular"])
def test_padding_a_mode_cannot_add_names_the_modes_that_can(upload, mode):
    """Reflect or circular padding larger than a 12 x 10 picture allows: the warning says
    why and names the modes that pad any amount (zeros, replicate); the app keeps working."""
    at = upload(open_page(PAGE), PHOTO)
    at.segmented_control(key="conv.pad").set_value("custom").run()
    at.number_input(key="conv.pad_t").set_value(13).run()
    at.selectbox(key="conv.mode").set_value(mode).run()
    warned = " ".join(w.value for w in at.warning)
    assert "These settings do not work together" in warned and "padding asks for" in warned
    assert "choose zeros or replicate padding, which can add any amount" in warned
    assert not at.exception and not at.error


def test_share_link_restores_settings():
    """Settings in the address come back: stride, padding, preset and a custom matrix."""
    # Bound choices travel as the labels a user reads: "Laplacian", "Same size".
    query = {
        "conv.stride_h": "2",
        "conv.pad": "Same size",
        "conv.preset": "Laplacian",
        "conv.kernel": "1,2;3,4",
    }
    at = open_page(PAGE, query)
    assert at.number_input(key="conv.stride_h").value == 2
    assert at.selectbox(key="conv.preset").value == "laplacian"
    assert shape_after(at, "Kernel") == (2, 2)
    assert at.segmented_control(key="conv.pad").value == "same"
    assert shape_after(at, "output") == (128, 256)


def test_pytorch_code_and_downloads(page):
    """Opened (closed it costs nothing), the box shows F.conv2d code and offers .npy and PNG
    downloads; the textbook loop's box shows the loop."""
    assert not any("F.conv2d" in c.value for c in page.code)
    assert not page.get("download_button")
    page.session_state["conv.open.code"] = True
    page.session_state["conv.open.loop"] = True
    page.run()
    assert any("F.conv2d" in c.value for c in page.code)
    assert any("def correlate2d_loop" in c.value for c in page.code)
    assert len(page.get("download_button")) == 2
    page.session_state["conv.open.code"] = False
    page.session_state["conv.open.loop"] = False
    page.run()


def test_share_link_keeps_values_equal_to_the_minimum():
    """A link with top padding 0 and bias -10 opens with exactly those values."""
    at = open_page(PAGE, {"conv.pad": "Custom", "conv.pad_t": "0", "conv.bias": "-10.0"})
    assert at.number_input(key="conv.pad_t").value == 0
    assert at.number_input(key="conv.bias").value == -10.0
    assert shape_after(at, "output") == (254 + 1, 254 + 2)


def test_flip_lesson_shows_the_difference(page):
    """Opened (closed it costs nothing), Sobel x differs from its rotation; the identity not."""
    assert not any("differ by up to" in w.value for w in page.warning)
    page.session_state["conv.open.flip"] = True
    page.run()
    assert any("differ by up to" in w.value for w in page.warning)
    page.selectbox(key="conv.preset").set_value("identity").run()
    assert any("looks the same rotated" in i.value for i in page.info)


def captions(at) -> list[str]:
    """The captions under the page's pictures."""
    return [image.caption for element in at.get("image") for image in element.proto.imgs]


def test_second_kernel_is_computed_only_when_its_box_is_open(page):
    """The comparison box runs when opened and shows the second kernel's output shape."""
    assert not any(c.startswith("Gaussian blur 5") for c in captions(page))
    page.session_state["conv.open.compare"] = True
    page.run()
    page.selectbox(key="conv.compare").set_value("gaussian_5").run()
    height, width = shape_after(page, "output")  # Sobel x is 3 x 3; the Gaussian is 5 x 5
    assert f"Gaussian blur 5x5: output {height - 2} × {width - 2}" in captions(page)
    assert not page.exception


def test_learned_kernel_from_the_trained_cnn(page):
    """A first-layer kernel of the shipped CNN can be put on the picture, numbers and all."""
    from cnnviz.weights import load_model

    page.segmented_control(key="conv.source").set_value("learned").run()
    page.slider(key="conv.learned").set_value(5).run()
    assert shape_after(page, "Kernel") == (3, 3)
    expected = load_model("fashion-mnist").conv1.weight[5, 0].detach().numpy()
    image = torch.tensor(PHOTO / 255, dtype=torch.float32)[None, None]
    out = F.conv2d(image, torch.tensor(expected)[None, None])[0, 0]
    low, high = values_range(page)
    assert (low, high) == pytest.approx((float(out.min()), float(out.max())), abs=1e-3)
    page.button(key="conv.button_reset").click().run()
    assert values_range(page) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize("source", ["draw", "camera"])
def test_drawing_and_camera_wait_for_a_picture(source):
    """Before anything is drawn or shot, the page asks for a picture and shows no error."""
    at = open_page(PAGE)
    at.sidebar.radio(key="input.source").set_value(source).run()
    assert not at.exception and not at.error
    assert any("Choose a picture" in i.value for i in at.info)


def test_networks_load_only_when_a_learned_kernel_is_asked_for(page, monkeypatch):
    """Presets need no network (the first visit stays quick); choosing 'learned' loads them."""
    import ui.models

    loaded = []
    real = ui.models.load_model
    monkeypatch.setattr(ui.models, "load_model", lambda *a, **k: loaded.append(a) or real(*a, **k))
    ui.models._load.clear()
    ui.models._kernels.clear()
    page.run()
    assert loaded == []
    page.segmented_control(key="conv.source").set_value("learned").run()
    assert sorted(name for name, *_ in loaded) == ["fashion-mnist", "mnist"]
    assert not page.exception


def test_a_damaged_network_is_left_out_of_the_learned_kernels(page, tmp_path, monkeypatch):
    """A flipped byte in one weights file: its kernels are not offered, the other's are."""
    import shutil

    import ui.models
    from cnnviz.weights import ASSETS_DIR

    folder = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, folder)
    weights = folder / "fashion-mnist-cnn.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setenv(ui.models.ASSETS_ENV, str(folder))
    page.segmented_control(key="conv.source").set_value("learned").run()
    assert not page.exception
    notes = [c.value for c in page.caption if "could not be loaded" in c.value]
    assert len(notes) == 1 and "Fashion-MNIST" in notes[0], [c.value for c in page.caption]
    assert page.selectbox(key="conv.model").options == ["Trained on Handwritten digits (MNIST)"]


def test_the_input_caption_names_only_the_marks_it_shows(page):
    """No padding and every pixel reached: no colour legend; 'same' padding: orange named."""
    assert linked_data(page)["input"]["caption"] == "12 × 10 → 12 × 10"
    page.segmented_control(key="conv.pad").set_value("same").run()
    assert linked_data(page)["input"]["caption"] == "12 × 10 → 14 × 12 (orange: padding)"


def test_share_link_to_a_learned_kernel_opens_that_kernel():
    """A link naming a learned kernel opens with that kernel's numbers, not the preset's."""
    from cnnviz.weights import load_model

    at = open_page(PAGE, {"conv.source": "A kernel the CNN learned", "conv.learned": "5"})
    expected = load_model("fashion-mnist").conv1.weight[5, 0].detach().numpy()
    assert linked_data(at)["kernel"]["values"] == pytest.approx(expected.ravel(), abs=1e-6)


def test_exact_pixels_travel_as_bytes_shrunk_ones_as_float32(page):
    """An upload used at its own size is k/255 exactly: one byte a pixel; a sample photo
    shrunk to the working size is not: float32."""
    assert linked_data(page)["padded"]["dtype"] == "u8"
    assert linked_data(open_page(PAGE))["padded"]["dtype"] == "f4"


@pytest.mark.parametrize(("top", "words"), [(70, "stretched: black is 0"), (250, "white is 1")])
def test_a_dark_output_is_stretched_and_the_legend_says_so(upload, top, words):
    """An output in 0..0.27 (Emboss + ReLU on a photo looks black as it is) is stretched to
    full brightness and its legend says how; one reaching 0.98 is shown as it is."""
    dim = (np.linspace(0, top, 120).reshape(12, 10)).astype(np.uint8)
    at = upload(open_page(PAGE, {"conv.preset": "identity"}), dim)
    assert not at.exception
    assert words in json.dumps([e.proto.json for e in at.get("bidi_component")]) + text_of(at)


def test_padding_modes_box_draws_every_mode_with_its_words():
    """Opened, the padding-modes box draws each mode's padded grid, captioned in plain words."""
    from cnnviz.padding import MODES

    at = open_page(PAGE)
    shown = sum(mode.words in text_of(at) for mode in MODES.values())
    assert shown == 1  # closed, the box runs nothing: only the chosen mode is described
    at.session_state["conv.open.modes"] = True
    at.run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert all(mode.words in captions for mode in MODES.values())
    grids = [h.proto.body for h in at.get("html") if "<table" in h.proto.body]
    assert len(grids) >= len(MODES)
