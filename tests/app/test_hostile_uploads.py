"""Every odd or hostile file a class might upload ends in a specific sentence, never a crash.

One student session uploads the whole corpus (tests/hostile) one file after another; after
each file the same session must still work with a good picture.
"""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, png_bytes, shape_after, text_of
from tests.hostile.make_corpus import make_corpus

CASES = make_corpus()
GOOD = png_bytes((np.indices((30, 40)).sum(0) % 2 * 255).astype(np.uint8))


@pytest.fixture(scope="module")
def session():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/convolution.py").run()
    at.sidebar.radio(key="input.source").set_value("upload").run()
    send(at, "good.png", GOOD)
    at.sidebar.select_slider(key="input.size").set_value("full").run()
    return at


def send(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="uploader.input").set_value((name, data, "application/octet-stream"))
    return at.run()


def test_corpus_is_large_and_varied():
    """At least 45 files, and both refusals and accepted oddities."""
    assert len(CASES) >= 45
    assert {c.expect == "ok" for c in CASES} == {True, False}


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c.name[:30]}" for i, c in enumerate(CASES)])
def test_hostile_file_gets_its_own_message_then_a_good_file_works(session, case):
    """No exception; the refusal names what is wrong (or the oddity is noted); then recovery."""
    at = send(session, case.name, case.data)
    assert not at.exception, at.exception
    if case.expect == "ok":
        assert not at.error, [e.value for e in at.error]
        if case.note:
            assert case.note in text_of(at)
    else:
        messages = " ".join(e.value for e in at.error)
        assert case.expect in messages, messages
        assert "could not be used" in messages
    at = send(session, "good.png", GOOD)
    assert not at.exception and not at.error
    assert shape_after(at, "input") == (30, 40)


def test_the_uploader_limit_is_the_decoders_and_an_earlier_picture_is_named():
    """The browser is told the decoder's limit; when the uploader is emptied (a removed file,
    or one the browser refused as too large) the page says which picture it still shows."""
    from cnnviz.images import MAX_MEGABYTES

    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/convolution.py").run()
    at.sidebar.radio(key="input.source").set_value("upload").run()
    uploader = at.file_uploader(key="uploader.input")
    assert uploader.proto.max_upload_size_mb == MAX_MEGABYTES
    assert f"at most {MAX_MEGABYTES} MB" in uploader.label
    send(at, "first.png", GOOD)
    at.file_uploader(key="uploader.input").clear()
    at.run()
    assert not at.exception
    assert "Still showing your earlier file, **first\\.png**" in " ".join(
        c.value for c in at.caption
    )
    assert shape_after(at, "input") == (30, 40)
