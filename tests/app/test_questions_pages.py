"""The lesson pages' questions under AppTest: nothing gives the answer away before the student
commits, Reveal and a pick show it, the teacher switch shows all, New question draws new numbers.

Each page draws its questions from this session's seed (``quiz.session``, set here) and the
presses of New question; the test rebuilds the same question with the library and looks for
its answer everywhere the page writes text.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import questions
from tests.app.conftest import APP, png_bytes

SESSION = 20_251_202  # this test's session seed
PAGES = {  # page -> its question kinds and the library builders that draw them
    "pages/convolution.py": {
        "conv.size": questions.draw_conv_shape,
        "conv.value": questions.draw_conv_value,
        "conv.kernel": questions.draw_which_kernel,
    },
    "pages/pooling.py": {
        "pool.shape": questions.draw_pool_shape,
        "pool.window": questions.draw_pool_window,
        "pool.map": questions.draw_pool_map,
    },
    "pages/inside_cnn.py": {
        "inside.layer": questions.draw_layer_shape,
        "inside.flatten": questions.draw_flatten,
        "inside.weights": questions.draw_parameters,
    },
}
KINDS = [(page, key) for page, kinds in PAGES.items() for key in kinds]


def shirt() -> bytes:
    """A bright T-shape on black: an upload Inside a CNN can use without the datasets."""
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4:10, 4:24] = 220
    pixels[4:24, 10:18] = 220
    return png_bytes(pixels)


def open_lesson(page: str, tmp_path=None, monkeypatch=None, **state) -> AppTest:
    """``page`` with this test's session seed; Inside a CNN gets an uploaded picture."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["quiz.session"] = SESSION
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    if page == "pages/inside_cnn.py" and at.radio(key="inside.source").value != "upload":
        at.radio(key="inside.source").set_value("upload").run()
    if page == "pages/inside_cnn.py":
        at.file_uploader(key="inside.upload").set_value(("shirt.png", shirt(), "image/png"))
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture(scope="module", params=list(PAGES))
def lesson(request):
    """Each lesson page, opened once for the read-only checks."""
    return request.param, open_lesson(request.param)


def everything(at: AppTest) -> str:
    """Every text the page shows except the choices of the radios: markdown, captions,
    alerts, code, metrics, labels of buttons and tabs, captions of pictures."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "success", "error", "code", "title")
        for e in getattr(at, kind)
    ]
    parts += [e.value for e in at.subheader] + [e.label for e in at.button]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [t.label for t in at.tabs]
    parts += [i.caption for element in at.get("image") for i in element.proto.imgs]
    return "\n".join(str(p) for p in parts)


def shown_question(at: AppTest, key: str) -> questions.Question:
    """The question ``key`` on the page: its prompt and exactly its choices are shown, and it
    is the library's question for the seed it was drawn from (unless that one's answer is
    printed elsewhere on the page: then the page drew another)."""
    build = PAGES[next(p for p, kinds in PAGES.items() if key in kinds)][key]
    q = at.session_state[f"{key}.question"]
    radio = next(r for r in at.radio if r.key.startswith(f"{key}.answer."))
    assert tuple(radio.options) == q.choices
    assert q.prompt in everything(at)
    first = build(at.session_state[f"{key}.drawn"])
    assert q == first or says(everything(at), first.answer), key
    return q


def says(text: str, answer: str) -> bool:
    """True when ``answer`` stands on its own in ``text`` (``4 × 4`` is not in ``64 × 64``)."""
    return re.search(rf"(?<![\d.,])(?<!× ){re.escape(answer)}(?![\d.,]| ×)", text) is not None


def test_three_kinds_per_page_and_nothing_gives_an_answer_away(lesson):
    """Each page asks three kinds; before a pick no text holds an answer, a worked reason or
    'The answer is'; a shape answer appears nowhere outside its radio."""
    page, at = lesson
    assert len([r for r in at.radio if r.label == "Your prediction"]) == 3
    text = everything(at)
    assert "The answer is" not in text and "Right:" not in text
    for key in PAGES[page]:
        q = shown_question(at, key)
        assert q.why not in text, key
        if "×" in q.answer or "," in q.answer:  # shapes and counts: distinctive numbers
            assert not says(text, q.answer), (key, q.answer)


@pytest.mark.parametrize(("page", "key"), KINDS)
def test_reveal_and_a_pick_show_the_answer_and_why(page, key):
    """Reveal shows the answer and the worked reason; a wrong pick names the right answer."""
    at = open_lesson(page)
    q = shown_question(at, key)
    at.button(key=f"{key}.reveal").click().run()
    assert f"The answer is **{q.answer}**." in everything(at) and q.why in everything(at)
    wrong = next(c for c in q.choices if c != q.answer)
    next(r for r in at.radio if r.key.startswith(f"{key}.answer.")).set_value(wrong).run()
    assert f"Not quite: you chose {wrong}. The answer is **{q.answer}**." in everything(at)
    next(r for r in at.radio if r.key.startswith(f"{key}.answer.")).set_value(q.answer).run()
    assert f"Right: **{q.answer}**." in everything(at)
    others = [k for k in PAGES[page] if k != key]
    assert all(shown_question(at, k).why not in everything(at) for k in others)


def test_teacher_switch_shows_every_answer_on_every_lesson():
    """One sidebar switch: every question of the page shows its answer and why; it stays on
    on the next lesson page."""
    at = open_lesson("pages/convolution.py")
    at.sidebar.toggle(key="quiz.teacher").set_value(True).run()
    for page in PAGES:
        if page != "pages/convolution.py":
            at.switch_page(page).run()
        if page == "pages/inside_cnn.py":
            at.radio(key="inside.source").set_value("upload").run()
            at.file_uploader(key="inside.upload").set_value(("shirt.png", shirt(), "image/png"))
            at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert at.sidebar.toggle(key="quiz.teacher").value is True
        for key in PAGES[page]:
            q = shown_question(at, key)
            assert f"The answer is **{q.answer}**." in everything(at), key
            assert q.why in everything(at), key
    at.sidebar.toggle(key="quiz.teacher").set_value(False).run()
    assert "The answer is" not in everything(at)


@pytest.mark.parametrize(("page", "key"), KINDS)
def test_new_question_draws_new_numbers(page, key):
    """Four presses of New question give five prompts with five different sets of numbers,
    each the library's question for its seed and unanswered."""
    at = open_lesson(page)
    seen = []
    for press in range(5):
        q = shown_question(at, key)
        seen.append(tuple(re.findall(r"-?\d+(?:\.\d+)?", q.prompt)))
        assert q.why not in everything(at)
        if press < 4:
            at.button(key=f"{key}.new_question").click().run()
            assert not at.exception
    assert len(set(seen)) == 5, seen


def test_two_sessions_get_different_numbers():
    """Another session seed draws other questions: neighbours in class cannot copy."""
    first = open_lesson("pages/pooling.py")
    second = open_lesson("pages/pooling.py", **{"quiz.session": SESSION + 1})
    assert second.session_state["quiz.session"] == SESSION + 1
    assert shown_question(first, "pool.shape").prompt != shown_question(second, "pool.shape").prompt


def test_an_upload_is_told_the_network_knows_ten_kinds():
    """Next to the prediction for an upload: it knows only these ten kinds and must pick one."""
    at = open_lesson("pages/inside_cnn.py")
    told = r"knows only these 10 (kinds of clothing|digits) and must pick one"
    assert re.search(told, everything(at))
