"""Bounded memory: the server's one byte-budgeted cache, and a 40 MP upload at "full"."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

import cnnviz
from cnnviz import images
from tests.app.conftest import open_page, shape_after, text_of
from ui import cache
from ui.cache import Budget

KB = 1024


class Clock:
    """A timer the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def kept(budget: Budget, name: str, nbytes: int, calls: list[str]) -> np.ndarray:
    """Ask ``budget`` for an ``nbytes`` array named ``name``; ``calls`` records computations."""

    def compute():
        calls.append(name)
        return np.zeros(nbytes, np.uint8)

    return budget.get(("test", name), compute, (), {})


def test_least_recently_used_goes_first_when_the_bytes_would_not_fit():
    """Three 400-byte results in a 1000-byte budget: the one used longest ago is dropped."""
    budget, calls = Budget(1000, largest_fraction=1), []
    kept(budget, "a", 400, calls)
    kept(budget, "b", 400, calls)
    kept(budget, "a", 400, calls)  # a is now the most recent
    kept(budget, "c", 400, calls)  # b goes
    assert budget.usage().bytes == 800 and budget.usage().entries == 2
    kept(budget, "a", 400, calls)
    kept(budget, "b", 400, calls)
    assert calls == ["a", "b", "c", "b"]


def test_entries_expire_after_their_time_to_live():
    """A result older than the TTL is computed again; a younger one is not."""
    clock, calls = Clock(), []
    budget = Budget(10 * KB, ttl=60, timer=clock)
    kept(budget, "a", KB, calls)
    clock.now = 59
    kept(budget, "a", KB, calls)
    assert calls == ["a"]
    clock.now = 61
    assert budget.usage().bytes == 0  # expired entries do not count
    kept(budget, "a", KB, calls)
    assert calls == ["a", "a"]


def test_a_result_larger_than_the_fraction_is_returned_but_not_kept():
    """With a quarter of 1000 bytes as the limit, a 300-byte result is computed every time."""
    budget, calls = Budget(1000, largest_fraction=0.25), []
    assert kept(budget, "big", 300, calls).nbytes == 300
    assert kept(budget, "big", 300, calls).nbytes == 300
    kept(budget, "small", 200, calls)
    kept(budget, "small", 200, calls)
    assert calls == ["big", "big", "small"]
    assert budget.usage().bytes == 200 and budget.usage().largest == 250


def test_sizes_count_arrays_bytes_and_dataclasses_by_their_data():
    """A decoded picture weighs its pixels; tuples weigh their parts."""
    pixels = np.zeros((3, 10, 20), np.float32)
    decoded = images.DecodedImage(pixels, "PNG", (20, 10), ("a note.",))
    assert 2400 <= cache.sizeof(decoded) < 2600
    assert cache.sizeof((pixels, b"12345")) == 2405


def test_one_computation_when_two_sessions_ask_at_once():
    """A second thread asking for a key being computed waits for it instead of computing."""
    budget, calls, started, release = Budget(10 * KB), [], threading.Event(), threading.Event()

    def slow():
        calls.append("slow")
        started.set()
        release.wait(5)
        return np.ones(10)

    results = []
    first = threading.Thread(target=lambda: results.append(budget.get(("t", 1), slow, (), {})))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(budget.get(("t", 1), slow, (), {})))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert calls == ["slow"] and len(results) == 2 and results[0] is results[1]


def test_keys_come_from_content_and_results_are_read_only():
    """Equal arrays hit the same entry; arguments starting with _ are not part of the key;
    a shared result cannot be changed by one session for the others."""
    cache.shared.clear()
    calls = []

    @cache.budgeted("test")
    def total(values: np.ndarray, _note: str, scale: float = 1.0) -> np.ndarray:
        calls.append(_note)
        return values * scale

    first = total(np.arange(4.0), "first")
    again = total(np.arange(4.0), "second", scale=1.0)
    other = total(np.arange(4.0), "third", 2.0)
    assert calls == ["first", "third"] and again is first and other[1] == 2
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 5
    assert cache.usage().by_kind["test"] == 2 * 32
    cache.shared.clear()


def test_arrays_inside_dicts_and_dataclasses_come_back_read_only():
    """A shared result that holds its arrays in a dataclass or a dict (a network's run, a
    mosaic) cannot be changed by one session for the others either."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Held:
        outputs: dict
        picture: np.ndarray

    cache.shared.clear()

    @cache.budgeted("test")
    def held(n: int) -> tuple[Held, bytes]:
        return Held({"conv1": np.zeros(n)}, np.ones(n)), b"png"

    first, _ = held(3)
    for array in (first.outputs["conv1"], first.picture):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 5
    assert held(3)[0] is first
    cache.shared.clear()


def test_a_question_is_built_once_per_builder_arguments_and_seed():
    """The same builder, bound arguments and seed reuse one question (a set in any order);
    other avoided answers or another seed build anew; a lambda is always called."""
    from functools import partial

    from cnnviz.questions import draw_conv_shape

    cache.shared.clear()
    first = cache.question(partial(draw_conv_shape, avoid={"5 × 5", "7 × 7"}), 11)
    again = cache.question(partial(draw_conv_shape, avoid={"7 × 7", "5 × 5"}), 11)
    assert again is first and first == draw_conv_shape(11, avoid={"5 × 5", "7 × 7"})
    assert cache.question(partial(draw_conv_shape, avoid={first.answer}), 11) != first
    assert cache.question(draw_conv_shape, 12) == draw_conv_shape(12)
    assert cache.usage().entries == 3
    calls = []
    for _ in range(2):
        cache.question(lambda seed: calls.append(seed) or first, 11)
    assert calls == [11, 11] and cache.usage().entries == 3
    cache.shared.clear()


def test_budget_comes_from_the_environment(monkeypatch):
    """CNNVIZ_CACHE_MB sets the budget; an unusable value fails naming the variable."""
    monkeypatch.setenv("CNNVIZ_CACHE_MB", "64")
    assert cache.budget_bytes() == 64 * 2**20
    monkeypatch.delenv("CNNVIZ_CACHE_MB")
    assert cache.budget_bytes() == cache.DEFAULT_MB * 2**20
    monkeypatch.setenv("CNNVIZ_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="CNNVIZ_CACHE_MB"):
        cache.budget_bytes()


def test_two_sessions_share_one_cache(monkeypatch):
    """A second student opening the same page on the same picture computes no convolution and
    adds nothing to the cache but their own questions (drawn from their own seed) and their
    text as HTML."""
    own = {"question", "question html"}
    cache.shared.clear()
    calls = []
    real = cnnviz.correlate2d
    monkeypatch.setattr(cnnviz, "correlate2d", lambda *a, **k: calls.append(1) or real(*a, **k))
    open_page("pages/convolution.py")
    first, held = len(calls), cache.usage()
    open_page("pages/convolution.py")
    assert first >= 1 and len(calls) == first
    shared = {kind: size for kind, size in cache.usage().by_kind.items() if kind not in own}
    assert shared == {kind: size for kind, size in held.by_kind.items() if kind not in own}
    assert sum(shared.values()) > 0


def test_every_cache_of_the_app_is_made_in_the_one_cache_module():
    """No page or shared module calls st.cache_data or st.cache_resource itself: what a server
    keeps goes through ui.cache (budgeted results, or shared resources)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [root / "app.py", *(root / "pages").rglob("*.py"), *(root / "ui").rglob("*.py")]
    found = {
        f"{path.relative_to(root)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in {"cache_data", "cache_resource"}
    }
    assert len(files) > 30 and {place.split(":")[0] for place in found} == {"ui/cache.py"}


def test_a_resource_is_one_object_per_arguments_and_an_error_is_not_kept():
    """cache.resource hands every caller the same object for the same arguments, another for
    other arguments, and calls again after a failure (a restored file fixes the page)."""
    calls = []

    @cache.resource(max_entries=2)
    def made(name: str, _unkeyed: object) -> list:
        calls.append(name)
        if name == "broken":
            raise OSError("damaged")
        return [name]

    assert made("a", object()) is made("a", object()) and made("b", None) == ["b"]
    for _ in range(2):
        with pytest.raises(OSError):
            made("broken", None)
    assert calls == ["a", "b", "broken", "broken"]
    made.clear()


def test_clearing_one_cached_function_keeps_the_others():
    """``f.clear()`` on a budgeted function forgets its own results only."""
    cache.shared.clear()
    calls = []

    @cache.budgeted("test")
    def doubled(values: np.ndarray) -> np.ndarray:
        calls.append("doubled")
        return values * 2

    @cache.budgeted("test")
    def halved(values: np.ndarray) -> np.ndarray:
        calls.append("halved")
        return values / 2

    ones = np.ones(4, np.float32)
    doubled(ones), halved(ones)
    doubled.clear()
    doubled(ones), halved(ones)
    assert calls == ["doubled", "halved", "doubled"] and cache.usage().entries == 2
    cache.shared.clear()


# --- one student's 40-megapixel upload ---------------------------------------------------------

PRESETS = ["gaussian_5", "sharpen", "emboss", "box_blur_5", "laplacian", "sobel_y"]


def black_40mp_png() -> bytes:
    """An all-black 8000 x 5000 RGB PNG: about 116 KB, exactly 40 megapixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (8000, 5000)).save(buffer, format="PNG")
    return buffer.getvalue()


def change(at, i: int) -> None:
    """The i-th settings change: kernel preset, stride, padding, in turn."""
    step = i // 3
    if i % 3 == 0:
        at.selectbox(key="conv.preset").set_value(PRESETS[step % len(PRESETS)])
    elif i % 3 == 1:
        at.number_input(key="conv.stride_h").set_value(1 + (step + 1) % 3)
    else:
        at.segmented_control(key="conv.pad").set_value(["same", "valid"][step % 2])


@pytest.mark.slow
def test_forty_megapixels_at_full_stay_inside_the_budget(monkeypatch):
    """An 8000 x 5000 upload at working size "full", then 15 setting changes: the page says
    why it works on 2 MP, and the shared cache never holds more than its budget (256 MB
    here, so that 15 changes fill it and old entries have to go). At 1024 it says nothing."""
    monkeypatch.setenv("CNNVIZ_CACHE_MB", "256")
    cache.shared.clear()
    at = open_page("pages/convolution.py")
    at.sidebar.radio(key="input.source").set_value("upload").run()
    at.file_uploader(key="uploader.input").set_value(("black.png", black_40mp_png(), "image/png"))
    at.run()
    at.sidebar.select_slider(key="input.size").set_value("full").run()
    assert not at.exception, at.exception
    text = text_of(at)
    assert "This picture has 40 million pixels; the lesson works on at most 2 million" in text
    assert "“full” is 1,788 × 1,118 here" in text
    assert shape_after(at, "input") == (3, 1118, 1788)
    peak = 0
    for i in range(15):
        change(at, i)
        at.run()
        assert not at.exception, at.exception
        usage = cache.usage()
        assert usage.budget == 256 * 2**20
        assert usage.bytes <= usage.budget, usage
        peak = max(peak, usage.bytes)
    assert peak > usage.budget / 2  # the cache was used, not bypassed
    at.sidebar.select_slider(key="input.size").set_value("1024").run()
    assert "the lesson works on at most" not in text_of(at)  # 1024 needs no excuse
    assert shape_after(at, "input") == (3, 640, 1024)
    cache.shared.clear()
