"""The lesson pages' questions under AppTest: what each page sends its quiz (the browser
component of ``ui.quiz``) is the library's question, nothing the page writes gives an answer
away, the teacher switch shows all, and each New question press draws new numbers.

Each page draws its questions from this session's seed (``quiz.session``, set here) and the
presses of New question; the test rebuilds the same question with the library and looks for
its answer everywhere the page writes text. Picking, Reveal and the press itself happen in the
browser: tests/e2e/test_quiz.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import questions
from tests.app.conftest import APP, png_bytes, quiz_of
from ui.quiz import html

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
    """Every text the page writes outside its quiz: markdown, captions, alerts, code, metrics,
    labels of buttons and tabs, captions of pictures."""
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


def page_of(key: str) -> str:
    return next(p for p, kinds in PAGES.items() if key in kinds)


def shown_question(at: AppTest, key: str) -> questions.Question:
    """The question ``key`` the page sent its quiz: exactly its prompt, choices, answer and
    reason, and the library's question for the seed it was drawn from (unless that one's
    answer is printed elsewhere on the page: then the page drew another)."""
    q = at.session_state[f"{key}.question"]
    (entry,) = [e for e in quiz_of(at, key.split(".")[0])["questions"] if e["name"] == key]
    assert entry["choices"] == list(q.choices) and entry["answer"] == q.answer
    assert entry["prompt"] == html(q.prompt) and entry["why"] == html(q.why)
    first = PAGES[page_of(key)][key](at.session_state[f"{key}.drawn"])
    assert q == first or says(everything(at), first.answer), key
    return q


def says(text: str, answer: str) -> bool:
    """True when ``answer`` stands on its own in ``text`` (``4 × 4`` is not in ``64 × 64``)."""
    return re.search(rf"(?<![\d.,])(?<!× ){re.escape(answer)}(?![\d.,]| ×)", text) is not None


def test_three_kinds_per_page_and_nothing_gives_an_answer_away(lesson):
    """Each page sends its quiz three kinds, each with its own tab title, answers hidden (no
    teacher switch); nothing the page writes holds a worked reason or 'The answer is'; a shape
    answer appears nowhere outside the quiz."""
    page, at = lesson
    data = quiz_of(at, next(iter(PAGES[page])).split(".")[0])
    assert [q["name"] for q in data["questions"]] == list(PAGES[page])
    assert len({q["title"] for q in data["questions"]}) == 3 and data["showAll"] is False
    assert "Predict, then check" in data["intro"]
    text = everything(at)
    assert "The answer is" not in text and "Right:" not in text
    for key in PAGES[page]:
        q = shown_question(at, key)
        assert q.why not in text, key
        if "×" in q.answer or "," in q.answer:  # shapes and counts: distinctive numbers
            assert not says(text, q.answer), (key, q.answer)


def test_the_quiz_text_is_the_librarys_markdown_as_html():
    """Bold, lists and the number grids arrive as HTML; raw HTML in a text would be shown as
    text, never run."""
    assert html("A **5 × 5** map") == "<p>A <strong>5 × 5</strong> map</p>\n"
    assert "<pre><code>1  2\n3  4\n</code></pre>" in html("```\n1  2\n3  4\n```")
    assert "<li>Height: 3</li>" in html("- Height: 3\n- Width: 4")
    assert "<script>" not in html("<script>alert(1)</script>")


def test_teacher_switch_shows_every_answer_on_every_lesson():
    """One sidebar switch: every page's quiz is told to show its answers; it stays on on the
    next lesson page, and off again they hide."""
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
        assert quiz_of(at, next(iter(PAGES[page])).split(".")[0])["showAll"] is True, page
        for key in PAGES[page]:
            shown_question(at, key)
    at.sidebar.toggle(key="quiz.teacher").set_value(False).run()
    assert quiz_of(at, "inside")["showAll"] is False


@pytest.mark.parametrize(("page", "key"), KINDS)
def test_each_count_of_presses_draws_the_librarys_question(page, key):
    """For the first five counts of New question presses (the browser's button adds one, and
    skips a draw that repeats the prompt: tests/e2e/test_quiz.py) the page sends the library's
    question for that seed, and the numbers change from count to count."""
    seen = []
    for presses in range(5):
        at = open_lesson(page, **{f"{key}.quiz_seed": presses})
        q = shown_question(at, key)
        seen.append(tuple(re.findall(r"-?\d+(?:\.\d+)?", q.prompt)))
    assert len(set(seen)) >= 4, seen


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
