"""Predict, then reveal: questions with the answer and why, hidden until the student commits.

A lesson's questions are drawn from this session's seed and the number of "New question"
presses, so two students see different numbers and a test can rebuild the same question.
The teacher switch in the sidebar shows every answer at once, for projecting.

The questions run in the browser (``ui/components/quiz.js``): a pick, Reveal and switching
tabs answer at once, with no script rerun (each one was a server round trip, seconds under a
class's load). Only "New question" asks the server, which draws the new numbers.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from collections.abc import Callable, Mapping

import numpy as np
import streamlit as st
from markdown_it import MarkdownIt

from cnnviz.questions import Question
from ui import cache
from ui.linked import component_files

SESSION = "quiz.session"  # this session's seed, drawn once
TEACHER = "quiz.teacher"  # the switch that shows every answer
SHOW_ALL = "quiz.show_all"  # its value, kept while pages without the switch run
TRIES = 20  # "New question" skips draws that repeat the question on screen

Builder = Callable[[int], Question]  # a drawn seed -> its question

_quiz = st.components.v2.component("cnnviz_quiz", **component_files("quiz"))
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # raw HTML in a text is shown, not run


def _next(p: str) -> None:
    st.session_state[f"{p}.quiz_seed"] = st.session_state.get(f"{p}.quiz_seed", 0) + 1


def _next_new(p: str, build: Builder, prompt: str) -> None:
    """One press further, then on until the question reads differently (new numbers)."""
    for _ in range(TRIES):
        _next(p)
        if cache.question(build, drawn_seed(p)).prompt != prompt:
            return


def seed(p: str) -> int:
    """The question number of this page; 'New question' adds one."""
    return st.session_state.get(f"{p}.quiz_seed", 0)


def session_seed() -> int:
    """This session's seed: drawn once, so each student gets their own numbers."""
    if SESSION not in st.session_state:
        st.session_state[SESSION] = secrets.randbits(32)
    return int(st.session_state[SESSION])


def drawn_seed(p: str) -> int:
    """The seed question ``p`` is drawn from: this session's, ``p`` and its presses."""
    entropy = [session_seed(), zlib.crc32(p.encode()), seed(p)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def teacher_on() -> bool:
    """True while the teacher switch shows every answer."""
    return bool(st.session_state.get(SHOW_ALL, False))


def _keep() -> None:
    st.session_state[SHOW_ALL] = st.session_state[TEACHER]


def teacher_switch() -> bool:
    """The sidebar switch that shows every question's answer on the lesson pages."""
    # A widget's state is dropped on a page that does not draw it: set it again from the
    # kept value, so the switch stays as the teacher left it from page to page.
    st.session_state[TEACHER] = teacher_on()
    return st.sidebar.toggle(
        "Show every answer (teacher)",
        key=TEACHER,
        help="For projecting: every question on Convolution, Pooling, Inside a CNN and Train "
        "shows its answer and the worked reason. Students leave it off and predict first.",
        on_change=_keep,
    )


def html(text: str) -> str:
    """The library's markdown (bold, lists, the number grids in code blocks) as HTML, once
    per text for the server."""
    return _html(text) if text else ""


@cache.budgeted("question html")
def _html(text: str) -> str:
    return _MARKDOWN.render(text)


def digest(question: Question) -> str:
    """Names a question by its text: its picks in the browser belong to it alone."""
    text = "|".join([question.prompt, *question.choices])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@cache.budgeted("question html")
def _entry(name: str, title: str, question: Question, note: str = "", renew: bool = True) -> dict:
    """What the browser gets for one question, rendered once for the server (every rerun of
    every lesson sends it again)."""
    return {
        "renew": renew,
        "name": name,
        "title": title,
        "id": digest(question),
        "prompt": html(question.prompt),
        "note": html(note),
        "choices": list(question.choices),
        "answer": question.answer,
        "why": html(question.why),
    }


def _pressed(p: str, presses: Mapping[str, Callable[[], None]]) -> None:
    """The browser's "New question" for one of the questions of ``p``: draw anew."""
    name = st.session_state[f"{p}.quiz"]["new"]
    if name in presses:
        presses[name]()


def _mount(p: str, entries: list[dict], presses, show_all: bool, intro: str, label: str):
    data = {
        "name": p,
        "intro": html(intro),
        "label": label,
        "showAll": show_all,
        "projector": bool(st.session_state.get("app.projector")),
        "questions": entries,
    }
    data["digest"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    on_new = lambda: _pressed(p, presses)  # noqa: E731  (Streamlit calls it without arguments)
    _quiz(key=f"{p}.quiz", data=data, on_new_change=on_new, width="stretch", height="content")


def ask(
    p: str,
    question: Question,
    note: str = "",
    build: Builder | None = None,
    show_all: bool | None = None,
    intro: str = "",
    renew: bool = True,
) -> None:
    """Show ``question``; after a pick or 'Reveal' (or with the teacher switch, which goes in
    the sidebar, on, or ``show_all``), the browser says whether it was right and why. 'New
    question' adds one to ``seed(p)`` (the page draws from it), or with ``build`` draws until
    the prompt changes; ``renew=False`` leaves it out (a question about the page's own
    settings: new numbers come from new settings)."""
    press = (lambda: _next(p)) if build is None else (lambda: _next_new(p, build, question.prompt))
    entry = _entry(p, "", question, note, renew)
    shown = teacher_switch() if show_all is None else show_all
    _mount(p, [entry], {p: press}, shown, intro, "Predict, then check")


OTHER_NUMBERS = (
    "**Predict, then check.** These questions use other numbers than your settings, so the "
    "page cannot give the answer away: work each one out before you look. **New question** "
    "draws new numbers."
)


def lesson(p: str, kinds: Mapping[str, tuple[str, Builder]], intro: str = OTHER_NUMBERS) -> None:
    """One tab per kind of question (``name -> (tab title, builder)``), each drawn anew by its
    own 'New question'; the teacher switch goes in the sidebar. ``intro`` says what the
    questions are about (by default: other numbers than the page's settings)."""
    show_all = teacher_switch()
    entries, presses = [], {}
    for name, (title, build) in kinds.items():
        key = f"{p}.{name}"
        drawn = drawn_seed(key)
        question = cache.question(build, drawn)
        st.session_state[f"{key}.drawn"] = drawn  # what tests rebuild the question from
        st.session_state[f"{key}.question"] = question
        entries.append(_entry(key, title, question))
        presses[key] = lambda key=key, build=build, prompt=question.prompt: _next_new(
            key, build, prompt
        )
    _mount(p, entries, presses, show_all, intro, "Predict, then check: questions")
