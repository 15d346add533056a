"""Settings each valid, together impossible: every page explains, none raises.

Hypothesis draws a valid value for every setting of a page at once (through the address,
which the gate has already made safe one by one), on any sample picture or a tiny upload,
and the page must answer with sentences, never a traceback.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cnnviz import samples
from pages.convolution import kernel_editor
from pages.convolution import settings as conv
from pages.pooling import sections as pooling
from pages.train import settings as train_settings
from tests.app.conftest import APP, png_bytes, text_of
from ui import address, picker

EXAMPLES = int(os.environ.get("CNNVIZ_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def valid(param) -> st.SearchStrategy[str]:
    """A value ``param`` takes, as the widget writes it."""
    if isinstance(param, address.Whole):
        steps = range(param.low, param.high + 1, param.step)
        return st.sampled_from(list(steps)).map(param.text)
    if isinstance(param, address.Decimal):
        return st.floats(param.low, param.high).map(param.text)
    if isinstance(param, address.Choice):
        return st.sampled_from(param.options).map(param.text)
    if isinstance(param, address.Switch):
        return st.booleans().map(param.text)
    return kernels()


@st.composite
def kernels(draw) -> str:
    """A kernel as the address holds it: 1 or 3 slices, up to 15 x 15, numbers up to 1,000."""
    channels, rows, cols = (
        draw(st.sampled_from([1, 3])),
        draw(st.integers(1, 15)),
        draw(st.integers(1, 15)),
    )
    numbers = st.one_of(st.floats(-5, 5), st.sampled_from([0.0, 1e-30, 999.0, -1000.0]))
    values = draw(
        st.lists(numbers, min_size=channels * rows * cols, max_size=channels * rows * cols)
    )
    matrix = np.array(values, np.float32).reshape(channels, rows, cols)
    return kernel_editor.encode(matrix)


@st.composite
def query(draw, params, share: float = 0.7) -> dict:
    """Most settings of ``params`` at a valid value each (the rest left at their default)."""
    chosen = [p for p in params if draw(st.floats(0, 1)) < share]
    return {p.key: draw(valid(p)) for p in chosen}


def tiny_pictures():
    """Small and oddly shaped uploads: 1 x 1, 1 x n, n x 1, grey or colour."""
    shape = st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([None, 3]))
    return shape.flatmap(
        lambda s: st.just(
            (np.random.default_rng(sum(s[:2])).random(s[:2] + ((3,) if s[2] else ())) * 255).astype(
                np.uint8
            )
        )
    )


def run(page: str, settings_: dict, picture: np.ndarray | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(settings_)
    at.run()
    at.switch_page(page).run()
    if picture is not None and not at.exception:
        at.sidebar.radio(key="input.source").set_value("upload").run()
        at.file_uploader(key="uploader.input").set_value(
            ("tiny.png", png_bytes(picture), "image/png")
        )
        at.run()
    return at


def assert_explained(at: AppTest, settings_: dict) -> None:
    """No traceback; nothing on the page reads like a Python error."""
    assert not at.exception, (settings_, [e.value for e in at.exception])
    text = text_of(at)
    for leak in ("Traceback", "Error:", "got (", "ValueError", "shape ("):
        assert leak not in text, (settings_, leak, text[:3000])


CONV = (*picker.PARAMS, *conv.PARAMS, *kernel_editor.params("conv"))
POOL = (*picker.PARAMS, *pooling.PARAMS)


@pytest.mark.slow
@SETTINGS
@given(settings_=query(CONV))
def test_convolution_any_combination_of_settings(settings_):
    """Padding a mode cannot make, a window larger than the padded picture, dilation past
    the edge, on any sample: a sentence each time."""
    assert_explained(run("pages/convolution.py", settings_), settings_)


@pytest.mark.slow
@SETTINGS
@given(settings_=query(CONV, share=0.5), picture=tiny_pictures())
def test_convolution_any_settings_on_a_tiny_upload(settings_, picture):
    """A 1 x 1 to 12 x 12 upload with any settings."""
    settings_ = {k: v for k, v in settings_.items() if not k.startswith("input.")}
    assert_explained(run("pages/convolution.py", settings_, picture), settings_)


@pytest.mark.slow
@SETTINGS
@given(settings_=query(POOL))
def test_pooling_any_combination_of_settings(settings_):
    """Padding against the window, windows larger than the map, a feature map too small."""
    assert_explained(run("pages/pooling.py", settings_), settings_)


@pytest.mark.slow
@SETTINGS
@given(settings_=query(POOL, share=0.5), picture=tiny_pictures())
def test_pooling_any_settings_on_a_tiny_upload(settings_, picture):
    """A 1 x 1 to 12 x 12 upload with any pooling settings."""
    settings_ = {k: v for k, v in settings_.items() if not k.startswith("input.")}
    assert_explained(run("pages/pooling.py", settings_, picture), settings_)


@pytest.mark.slow
@SETTINGS
@given(settings_=query(train_settings.PARAMS))
def test_train_any_combination_of_settings(settings_):
    """Blocks, kernel and pooling that shrink the picture to nothing: a sentence."""
    assert_explained(run("pages/train.py", settings_), settings_)


TINY = next(n for n in samples.SAMPLES if samples.load_sample(n).shape[-1] <= 8)


@pytest.mark.parametrize("mode", ["Reflect", "circular"])
def test_tiny_digit_with_padding_8_and_a_mirroring_mode(mode):
    """The issue's case: Tiny digit + Custom padding 8 + reflect/circular: one plain sentence."""
    settings_ = {
        "input.sample": picker.sample_title(TINY),
        "conv.pad": "Custom",
        "conv.pad_t": "9",
        "conv.mode": mode,
        "conv.open.compare": "true",
    }
    at = run("pages/convolution.py", settings_)
    assert_explained(at, settings_)
    assert any("mirror" in w.value or "wrap" in w.value for w in at.warning), at.warning
