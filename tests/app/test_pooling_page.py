"""The Pooling page under AppTest: every control, the printed numbers, the question.

Most tests upload a small PNG whose pixels they know, so every printed number can be
recomputed here with cnnviz (AppTest cannot see pictures; the page prints what matters).
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import KERNELS, output_size, pool2d
from cnnviz.images import decode_image
from cnnviz.invariance import shift_effects
from pages.pooling.sections import REPEATS
from tests.app.conftest import APP, open_page

PAGE = "pages/pooling.py"  # run under app.py, as a student opens it (its Next link needs the
# app's page list)


def png_bytes(array: np.ndarray) -> bytes:
    """PNG of a uint8 ``(H, W)`` grey or ``(H, W, 3)`` colour array."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_like(height: int, width: int, colour: bool = False, seed: int = 0) -> np.ndarray:
    """Smooth blobs plus a little noise: edges and flat parts, like a small photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    planes = []
    for c in range(3 if colour else 1):
        smooth = np.sin(x / (3 + c)) * np.cos(y / 4) + 0.3 * rng.standard_normal((height, width))
        planes.append(np.clip(127 + 90 * smooth, 0, 255).astype(np.uint8))
    return np.stack(planes, -1) if colour else planes[0]


GREY = photo_like(24, 20)
GREY_PNG = png_bytes(GREY)


def working_pixels(data: bytes) -> np.ndarray:
    """What the picker hands the page for a small upload: the decoded float pixels."""
    return decode_image(data).pixels.astype(np.float32)


def page(data: bytes | None = GREY_PNG, **state) -> AppTest:
    """The page, run once with ``state`` preset and (unless None) ``data`` uploaded."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if data is None:
        return at.switch_page(PAGE).run()
    at.session_state["input.source"] = "upload"
    at.switch_page(PAGE).run()
    at.file_uploader[0].set_value(("photo.png", data, "image/png"))
    return at.run()


def texts(at: AppTest) -> str:
    """Everything the page printed as markdown, alerts or captions, one string."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [a.value for group in (at.success, at.info, at.warning, at.error) for a in group]
    return "\n".join(parts)


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in the page"
    return float(found.group(1))


@pytest.fixture(scope="module")
def grey_page() -> AppTest:
    return page()


def test_sample_photo_runs_clean():
    """With the default sample photo the page runs, titled, with shapes printed, no errors."""
    at = page(None)
    no_errors(at)
    assert at.title[0].value == "Pooling"
    assert "max pooling `128 × 128`" in texts(at)


def test_side_by_side_prints_both_shapes_and_means(grey_page):
    """Max and average pooling of the same map: both shapes and their mean values."""
    no_errors(grey_page)
    x = working_pixels(GREY_PNG)
    text = texts(grey_page)
    assert "before `24 × 20` → max pooling `12 × 10`, average pooling `12 × 10`" in text
    assert f"after max pooling {pool2d(x, 2).mean():.4f}" in text
    assert f"after average pooling {pool2d(x, 2, mode='avg').mean():.4f}" in text


def test_repeated_pooling_follows_each_setting_in_turn():
    """Pooling again and again, for one window then another and back: each time the sizes
    of the library's repeated pooling (the shared cache names every map by where it came
    from, so the second setting never meets the first one's maps)."""
    at = page()
    x = working_pixels(GREY_PNG)  # (24, 20)
    for window in (2, 3, 2):
        at.number_input(key="pool.kh").set_value(window).run()
        no_errors(at)
        maps = [x]
        while len(maps) <= REPEATS and maps[-1].shape[0] >= window and maps[-1].shape[1] >= 2:
            maps.append(pool2d(maps[-1], (window, 2), stride=2))
        sizes = " → ".join(f"`{m.shape[0]} × {m.shape[1]}`" for m in maps)
        assert f"**Sizes:** {sizes}." in texts(at), window


def test_formula_uses_the_users_numbers(grey_page):
    """The output-size formula is written out with 24 x 20 and the 2x2 window."""
    text = texts(grey_page)
    assert "Height: ⌊(24 + 0 + 0 − 2) / 2⌋ + 1 = ⌊11⌋ + 1 = 12" in text
    assert "Width: ⌊(20 + 0 + 0 − 2) / 2⌋ + 1 = ⌊9⌋ + 1 = 10" in text


@pytest.mark.parametrize(
    ("key", "value", "shape"),
    [
        ("pool.kh", 3, (output_size(24, 3, stride=2), 10)),
        ("pool.kw", 4, (12, output_size(20, 4, stride=2))),
        ("pool.sh", 3, (output_size(24, 2, stride=3), 10)),
        ("pool.sw", 1, (12, output_size(20, 2, stride=1))),
        ("pool.ph", 1, (output_size(24, 2, stride=2, padding=1), 10)),
        ("pool.pw", 1, (12, output_size(20, 2, stride=2, padding=1))),
    ],
)
def test_each_number_input_changes_the_shape(key, value, shape):
    """Window, stride and padding inputs each change the printed shape, and live in the URL."""
    at = page()
    at.number_input(key=key).set_value(value).run()
    no_errors(at)
    assert f"max pooling `{shape[0]} × {shape[1]}`" in texts(at)
    assert at.number_input(key=key).proto.query_param_key == key  # the URL parameter


def test_settings_come_from_the_url():
    """A shared link with ?pool.kh=3&pool.sw=1 opens with those settings."""
    at = open_page(PAGE, {"pool.kh": "3", "pool.sw": "1"})
    no_errors(at)
    assert at.number_input(key="pool.kh").value == 3
    assert "⌊(256 + 0 + 0 − 3) / 2⌋ + 1" in texts(at)
    assert "max pooling `127 × 255`" in texts(at)


def linked_data(at) -> dict:
    """The settings the page sent to the linked pooling view (the browser does the rest:
    tests/e2e/test_linked.py checks its winners and means)."""
    found = [e for e in at.get("bidi_component") if '"kind": "pool"' in e.proto.json]
    assert len(found) == 1, "the page mounts one linked pooling view"
    return json.loads(found[0].proto.json)


def test_linked_view_gets_the_window_settings():
    """The browser gets the map's shape, the window, stride, padding, mode and pooled shape."""
    at = page(**{"pool.kh": 3, "pool.ph": 1})
    at.segmented_control(key="pool.mode").set_value("avg").run()
    no_errors(at)
    data = linked_data(at)
    assert data["input"]["shape"] == [24, 20]
    assert data["size"] == [3, 2] and data["stride"] == [2, 2] and data["padding"] == [1, 0]
    assert data["mode"] == "avg"
    expected = pool2d(working_pixels(GREY_PNG), (3, 2), stride=2, padding=(1, 0), mode="avg")
    assert data["output"]["shape"] == list(expected.shape)
    assert "orange frame: padding" in data["input"]["caption"]


def test_colour_channel_choice():
    """On a colour picture the channel radio picks which plane the linked view explains."""
    data = png_bytes(photo_like(16, 16, colour=True))
    at = page(data)
    at.radio(key="pool.channel").set_value(1).run()
    no_errors(at)
    assert "green channel" in linked_data(at)["input"]["caption"]
    assert linked_data(at)["input"]["shape"] == [16, 16]
    text = texts(at)
    assert "before `3 × 16 × 16`" in text


@pytest.mark.parametrize(("kernel", "conv"), [("sobel_x", (22, 18)), ("box_blur_5", (20, 16))])
def test_pooling_a_feature_map(kernel, conv):
    """'A feature map' pools the ReLU of the chosen kernel's convolution: shapes follow."""
    at = page()
    at.radio(key="pool.what").set_value("feature")
    at.selectbox(key="pool.kernel").set_value(kernel).run()
    no_errors(at)
    pooled = (conv[0] // 2, conv[1] // 2)
    assert f"before `{conv[0]} × {conv[1]}` → max pooling `{pooled[0]} × {pooled[1]}`" in texts(at)


def test_pipeline_shapes(grey_page):
    """Input -> convolution -> ReLU -> pooling, every shape printed in order."""
    assert (
        "`24 × 20` → convolution 3 × 3 (no padding) → `22 × 18` → ReLU → `22 × 18` → "
        "max pooling (2 × 2 window, stride 2 × 2, padding 0 × 0) → `11 × 9`"
    ) in texts(grey_page)


def test_repeated_pooling_sizes(grey_page):
    """Four 2x2 poolings in a row: 24x20 -> 12x10 -> 6x5 -> 3x2 -> 1x1."""
    assert "`24 × 20` → `12 × 10` → `6 × 5` → `3 × 2` → `1 × 1`" in texts(grey_page)


def test_repeated_pooling_stops_when_nothing_fits():
    """A 3x3 window runs out of room and the page says after how many rounds."""
    at = page(**{"pool.kh": 3, "pool.kw": 3})
    no_errors(at)
    assert "`24 × 20` → `11 × 9` → `5 × 4` → `2 × 1`" in texts(at)
    assert "Pooling stops after 3 round(s)" in texts(at)


@pytest.mark.parametrize(("shift", "direction"), [(1, "right"), (2, "down"), (3, "diagonal")])
def test_invariance_numbers(shift, direction):
    """The printed changes equal shift_effects on the grey picture, for the chosen shift."""
    at = page(data=png_bytes(photo_like(40, 40, seed=2)))
    at.slider(key="pool.shift").set_value(shift)
    at.radio(key="pool.direction").set_value(direction).run()
    no_errors(at)
    text = texts(at)
    grey = working_pixels(png_bytes(photo_like(40, 40, seed=2)))
    effect = shift_effects(grey, KERNELS["sobel_x"].weights, 8, direction=direction)[shift - 1]
    feature = number(r"the feature map changed by \*\*([\d.]+)%\*\*", text)
    pooled = number(r"the pooled map by \*\*([\d.]+)%\*\*", text)
    assert feature == pytest.approx(100 * effect.feature_change, abs=0.051)
    assert pooled == pytest.approx(100 * effect.pooled_change, abs=0.051)
    assert f"Shifted {shift} pixel" in text and direction in text
    assert at.slider(key="pool.shift").proto.query_param_key == "pool.shift"


def test_invariance_on_a_photo_favours_pooling():
    """On the sample photo a 1-pixel shift changes the pooled map less than the feature map."""
    at = page(None)
    text = texts(at)
    feature = number(r"the feature map changed by \*\*([\d.]+)%\*\*", text)
    pooled = number(r"the pooled map by \*\*([\d.]+)%\*\*", text)
    assert pooled < feature
    assert at.metric[1].label == "Pooled map changed by" and at.metric[1].value == f"{pooled}%"


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({"pool.ph": 2}, "The padding is more than half the window"),
        ({"pool.kh": 16, "pool.kw": 16}, "The window does not fit"),
    ],
)
def test_impossible_settings_explain_in_words(state, words):
    """Too much padding or a window larger than the map: a plain warning, no traceback."""
    at = page(png_bytes(photo_like(12, 12)), **state)
    assert not at.exception
    assert any(words in w.value for w in at.warning)


@pytest.mark.parametrize("what", ["picture", "feature"])
def test_tiny_picture_explains_instead_of_failing(what):
    """A 2 x 2 picture is too small for the 3x3 kernel: warnings, never a traceback."""
    at = page(png_bytes(np.array([[0, 255], [255, 0]], np.uint8)), **{"pool.what": what})
    assert not at.exception
    assert at.warning


def test_sections_are_numbered_in_reading_order(grey_page):
    """The first screen reads 1 (the controls), 2 (the window by hand beside them), then 3
    below; every section after keeps counting up by one."""
    numbered = [h.value for h in grey_page.subheader if re.match(r"\d+\. ", h.value)]
    assert numbered[:3] == ["1. What to pool", "2. Check one window by hand", "3. The output size"]
    assert [int(h.split(".")[0]) for h in numbered] == list(range(1, len(numbered) + 1))
    assert "**The window and how it moves**" in texts(grey_page)


def test_code_box_shows_pytorch_and_keras_with_the_settings():
    """PyTorch and Keras tabs hold the pooling of the page's settings; the PyTorch code run
    on the picture gives what cnnviz.pool2d gives."""
    import torch

    from cnnviz.codegen import keras_pool_code, pool_code

    at = page(**{"pool.kh": 3, "pool.ph": 1, "pool.sw": 1})
    at.segmented_control(key="pool.mode").set_value("avg").run()
    no_errors(at)
    assert not at.code  # a closed box costs the server nothing: its content runs when opened
    at.session_state["pool.open.code"] = True
    at.run()
    labels = [t.label for t in at.tabs]
    assert labels[labels.index("PyTorch") + 1] == "Keras"
    options = {"stride": (2, 1), "padding": (1, 0), "mode": "avg"}
    torch_code = pool_code((3, 2), **options)
    codes = [c.value for c in at.code]
    assert torch_code in codes and keras_pool_code((3, 2), **options) in codes
    assert "3 × 2 window, stride 2 × 1, padding 1 × 0, average pooling" in texts(at)
    x = working_pixels(GREY_PNG)  # (24, 20)
    scope = {"image": torch.from_numpy(x[None])}
    exec(torch_code, scope)  # noqa: S102 - the code the page shows, built from numbers
    np.testing.assert_allclose(scope["out"][0].numpy(), pool2d(x, (3, 2), **options), atol=1e-6)


def test_the_page_ends_with_the_next_lesson(grey_page):
    """After pooling comes the four-filter lesson."""
    links = [link.label for link in grey_page.get("page_link")]
    assert "Next: 5. Four filters side by side" in links
