"""The one gate for the address: whatever a share link says, no page fails, a bad parameter
is named in one line and taken out of the address, and a good one is what the widget shows.

The property test (hypothesis) opens every page with arbitrary text, numbers and repeated
parameters for its bound keys; the fixed cases are the links that failed before the gate.
"""

import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cnnviz.weights import MODEL_NAMES, read_checkpoints
from pages.convolution import kernel_editor
from pages.convolution import settings as conv
from pages.inside_cnn import model as inside
from pages.inside_cnn import rewind
from pages.learn_kernel import view as learn_view
from pages.pooling import sections as pooling
from pages.train import settings as train_settings
from tests.app.conftest import APP, open_page, png_bytes
from ui import address, picker, theme
from ui.models import model_title, ships_checkpoints

ROOT = Path(__file__).resolve().parents[2]

# Every parameter each page reads from the address. The network's parameters on Inside a
# CNN are made once the network is known: here, as they are for the shipped networks.
SHIPPED = {name: model_title(name) for name in MODEL_NAMES}
INSIDE_DYNAMIC = (
    inside.model_param(SHIPPED),
    inside.index_param(10_000),
    inside.layer_param(("conv1", "conv2")),
    inside.channel_param("conv1", 32),
    *(  # the training-step slider, when this version ships checkpoints of the network
        [rewind.step_param(tuple(e["step"] for e in read_checkpoints("fashion-mnist")))]
        if ships_checkpoints("fashion-mnist")
        else []
    ),
)
PAGES = {
    "pages/home.py": theme.PARAMS,
    "pages/glossary.py": theme.PARAMS,
    "pages/convolution.py": (
        *theme.PARAMS,
        *picker.PARAMS,
        *conv.PARAMS,
        *kernel_editor.params("conv"),
    ),
    "pages/learn_kernel.py": (*theme.PARAMS, *picker.PARAMS, *learn_view.PARAMS),
    "pages/pooling.py": (*theme.PARAMS, *picker.PARAMS, *pooling.PARAMS),
    "pages/inside_cnn.py": (*theme.PARAMS, *inside.PARAMS, *INSIDE_DYNAMIC),
    "pages/train.py": (*theme.PARAMS, *train_settings.PARAMS),
    "pages/four_filters.py": (*theme.PARAMS, *picker.PARAMS),
}
STATIC = {p.key for p in (*picker.PARAMS, *conv.PARAMS, *pooling.PARAMS, *inside.PARAMS)}
STATIC |= {p.key for p in (*train_settings.PARAMS, *kernel_editor.params("conv"), *theme.PARAMS)}
STATIC |= {p.key for p in learn_view.PARAMS}


def notices(at) -> list[str]:
    """The gate's lines on the page (main area and sidebar)."""
    return [c.value for c in at.caption if "The link" in c.value]


def names(lines: list[str], key: str) -> bool:
    return any(f"`{key}`" in line for line in lines)


def shown(at, key: str) -> bool:
    """True when the widget of ``key`` was made in this run (a fresh session: nothing else
    puts a bound key in session state)."""
    return key in at.session_state


def check_page(page: str, params, query: dict) -> None:
    """Open ``page`` with ``query`` and check every parameter of it against the gate's rule."""
    at, lines = open_page_allowing_errors(page, query)
    assert not at.exception, (query, [e.value for e in at.exception])
    by_key = {p.key: p for p in params}
    for key, values in query.items():
        param = by_key[key]
        given_values = values if isinstance(values, list) else [values]
        verdict = address.judge(param, given_values)
        final = at.query_params.get(key)
        if key not in STATIC and not shown(at, key):
            continue  # a network's parameter whose widget this run did not make
        if verdict.text is None:
            assert final is None, (key, values, final)
            assert names(lines, key), (key, values, lines)
            assert all("\n" not in line for line in lines)
            continue
        assert not names(lines, key), (key, values, lines)
        value = param.read(verdict.text)
        if final is None:  # Streamlit keeps a default out of the address
            assert value == param.default or not shown(at, key), (key, values)
        else:
            assert final == verdict.text, (key, values, final)
        if shown(at, key) and not isinstance(param, address.Custom):
            assert at.session_state[key] == value, (key, values, at.session_state[key])


def open_page_allowing_errors(page: str, query: dict):
    """``open_page`` without its own exception check (the caller reports the query); also
    returns the gate's lines of both runs (the entry point checks the app's own settings)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    first = notices(at.run())
    at.switch_page(page).run()
    return at, first + notices(at)


# --- the values a link may bring ---------------------------------------------------------------

ODD = [
    "", " ", "inf", "-inf", "+inf", "Infinity", "nan", "NaN", "1e309", "-1e309", "1e38",
    "99999999999999999999", "-99999999999999999999", "0x10", "1_0", "２", "1.5", "-0", "+2",
    " 3 ", "true", "TRUE", "false", "none", "null", "[]", "{}", "%00", "\x00", "<script>",
    "'; DROP TABLE", "**bold**", "`x`", "[a](b)", "1,2;3", "0;1|2", "a" * 300,
]  # fmt: skip


def valid_texts(param) -> list[str]:
    """Texts the parameter takes, written as the widget writes them and otherwise."""
    if isinstance(param, address.Whole):
        inside_ = [param.low, param.high, param.default, (param.low + param.high) // 2]
        return [str(v) for v in inside_] + [str(param.low - 1), str(param.high + 1), "02"]
    if isinstance(param, address.Decimal):
        return ["0.5", str(param.low), str(param.high), str(param.high + 0.1), "-0.30"]
    if isinstance(param, address.Choice):
        titles = [param.title(o) for o in param.options]
        return [*titles, *(str(o) for o in param.options), *(t.upper() for t in titles[:2])]
    if isinstance(param, address.Switch):
        return ["true", "false", "True", "yes", "1"]
    return ["1,2;3,4", "1,0,-1;2,0,-2;1,0,-1", "1e38,0;0,0", "1,2;3", "nan", "1|2|3|4"]


def value_for(param):
    one = st.one_of(
        st.sampled_from(valid_texts(param)),
        st.sampled_from(ODD),
        st.text(max_size=20),
        st.integers(-(10**22), 10**22).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


@st.composite
def queries(draw, params):
    chosen = draw(st.lists(st.sampled_from(params), min_size=1, max_size=5, unique_by=id))
    return {p.key: draw(value_for(p)) for p in chosen}


# --- the tests -----------------------------------------------------------------------------------


def test_only_the_gate_binds_widgets_to_the_address():
    """``bind="query-params"`` is written in ui/address.py only: no widget can skip the gate."""
    sources = [*(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    binding = [
        p.relative_to(ROOT).as_posix()
        for p in sources
        if re.search(r"""bind\s*=\s*["']query-params""", p.read_text(encoding="utf-8"))
    ]
    assert binding == ["ui/address.py"]


def test_every_bound_widget_of_every_page_is_in_its_list():
    """The keys the pages bind (seen in a run of each) are the keys the gate checks."""
    from streamlit.runtime.state.safe_session_state import SafeSessionState

    for page, params in PAGES.items():
        at = open_page(page)
        state = at.session_state._state
        assert isinstance(state, SafeSessionState)
        with state.query_params() as params_now:
            bound = set(params_now._bindings_by_param)
        assert bound <= {p.key for p in params}, (page, bound - {p.key for p in params})


@pytest.mark.parametrize(
    "param",
    [
        address.Whole("t.w", "Stride", 1, 16, 1),
        address.Decimal("t.d", "Bias", -10.0, 10.0, 0.0, 0.1),
        address.Choice("t.c", "Mode", ("a", "b"), "a", {"a": "Alpha", "b": "Beta"}.get),
        address.Switch("t.s", "ReLU"),
    ],
)
@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "", "99999999999999999999", "1e309"])
def test_hostile_numbers_are_refused_with_one_line(param, text):
    """Infinities, NaN, empty and 20-digit numbers: ignored, and the notice names the key."""
    verdict = address.judge(param, [text])
    assert verdict.text is None
    assert f"`{param.key}`" in verdict.notice and "\n" not in verdict.notice


def test_readable_spellings_are_rewritten_to_the_widgets_own():
    """``02``, a short name or another case mean the same value: the address gets its form."""
    whole = address.Whole("t.w", "Stride", 1, 16, 1)
    assert address.judge(whole, ["02"]).text == "2"
    assert address.judge(whole, ["2", "2"]).text == "2"
    assert address.judge(whole, ["2", "3"]).text is None
    pick = address.Choice("t.c", "Preset", ("sobel_x", "laplacian"), "sobel_x", str.title)
    assert address.judge(pick, ["laplacian"]).text == "Laplacian"
    assert address.judge(pick, ["  LAPLACIAN "]).text == "Laplacian"
    assert address.judge(address.Switch("t.s", "ReLU"), ["TRUE"]).text == "true"


def test_a_hostile_value_is_shown_as_plain_text():
    """Markdown, links and very long values cannot dress up a notice."""
    verdict = address.judge(address.Whole("t.w", "Stride", 1, 16, 1), ["[x](http://a.b) **" * 9])
    assert "](" not in verdict.notice and "**" not in verdict.notice.split("`t.w`")[1]
    assert len(verdict.notice) < 300


ISSUE_LINKS = ["inf", "-inf", "12345678901234567890", "", "nan", ["1", "2"]]


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize(
    "value", ISSUE_LINKS, ids=["inf", "-inf", "20digits", "empty", "nan", "twice"]
)
def test_every_key_of_a_page_at_once(page, value):
    """The links that raised before the gate (``?conv.stride_h=inf``, ``?train.blocks=``),
    given to every parameter of the page at once: the page opens, each one is named."""
    check_page(page, PAGES[page], {p.key: value for p in PAGES[page]})


def test_a_share_link_still_opens_its_settings():
    """Valid parameters go through the gate untouched and set their widgets."""
    query = {"conv.stride_h": "3", "conv.pad": "Same size", "conv.preset": "Laplacian"}
    at = open_page("pages/convolution.py", query)
    assert at.number_input(key="conv.stride_h").value == 3
    assert at.selectbox(key="conv.preset").value == "laplacian"
    assert not notices(at)


def test_a_bad_value_is_named_and_replaced_by_the_default():
    """``?conv.stride_h=inf``: the page opens at stride 1 and says why in one line."""
    at = open_page("pages/convolution.py", {"conv.stride_h": "inf", "conv.dil_w": "2"})
    assert at.number_input(key="conv.stride_h").value == 1
    assert at.number_input(key="conv.dil_w").value == 2
    (line,) = notices(at)  # the entry point's run checks only the app's own settings
    assert "`conv.stride_h`" in line and "from 1 to 16" in line
    assert "conv.stride_h" not in at.query_params and at.query_params["conv.dil_w"] == "2"


def test_a_network_parameter_is_checked_against_the_network():
    """A map number the chosen layer does not have is named when the widget is made."""
    at = open_page("pages/inside_cnn.py", {"inside.source": "upload", "inside.channel.conv1": "32"})
    shirt = np.zeros((28, 28), np.uint8)
    shirt[4:24, 8:20] = 255  # an upload needs no dataset; the slider waits for a picture
    at.file_uploader(key="inside.upload").set_value(("shirt.png", png_bytes(shirt), "image/png"))
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key="inside.channel.conv1").value == 0
    assert names(notices(at), "inside.channel.conv1")


# CI tries 25 links per page; CNNVIZ_FUZZ_EXAMPLES=500 searches longer.
SETTINGS = settings(
    max_examples=int(os.environ.get("CNNVIZ_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@pytest.mark.parametrize("page", list(PAGES)[2:])
@SETTINGS
@given(data=st.data())
def test_any_link_opens_the_page(page, data):
    """Arbitrary text, numbers and repeats for any bound keys of a page: no exception, each
    bad one named in one line and out of the address, each good one on its widget."""
    query = data.draw(queries(PAGES[page]), label="query")
    check_page(page, PAGES[page], query)


def test_replace_keeps_a_param_usable():
    """A range narrowed where the widget is made is still a ``Param`` of the same key."""
    narrowed = replace(conv.STRIDE[0], high=4)
    assert narrowed.key == "conv.stride_h" and address.judge(narrowed, ["5"]).text is None
