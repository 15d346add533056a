"""Predict, then reveal: questions with the answer and why, hidden until the student commits.

A lesson's questions are drawn from this session's seed and the number of "New question"
presses, so two students see different numbers and a test can rebuild the same question.
The teacher switch in the sidebar shows every answer at once, for projecting.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from collections.abc import Callable, Mapping

import numpy as np
import streamlit as st

from cnnviz.questions import Question
from ui import cache

SESSION = "quiz.session"  # this session's seed, drawn once
TEACHER = "quiz.teacher"  # the switch that shows every answer
SHOW_ALL = "quiz.show_all"  # its value, kept while pages without the switch run
TRIES = 20  # "New question" skips draws that repeat the question on screen

Builder = Callable[[int], Question]  # a drawn seed -> its question


def _next(p: str) -> None:
    st.session_state[f"{p}.quiz_seed"] = st.session_state.get(f"{p}.quiz_seed", 0) + 1


def _next_new(p: str, build: Builder, prompt: str) -> None:
    """One press further, then on until the question reads differently (new numbers)."""
    for _ in range(TRIES):
        _next(p)
        if cache.question(build, drawn_seed(p)).prompt != prompt:
            return


def _reveal(p: str, digest: str) -> None:
    st.session_state[f"{p}.revealed"] = digest


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
        help="For projecting: every question on Convolution, Pooling and Inside a CNN shows "
        "its answer and the worked reason. Students leave it off and predict first.",
        on_change=_keep,
    )


def ask(
    p: str,
    question: Question,
    note: str = "",
    build: Builder | None = None,
    show_all: bool | None = None,
) -> None:
    """Show ``question``; after a pick or 'Reveal' (or with the teacher switch on, or
    ``show_all``), say whether it was right and why. With ``build``, 'New question' draws
    new numbers."""
    digest = hashlib.sha256("|".join([question.prompt, *question.choices]).encode()).hexdigest()
    digest = digest[:12]
    st.markdown(question.prompt)
    if note:
        st.caption(note)
    pick = st.radio(
        "Your prediction", question.choices, index=None, key=f"{p}.answer.{digest}",
        horizontal=True,
    )  # fmt: skip
    new = (_next, (p,)) if build is None else (_next_new, (p, build, question.prompt))
    with st.container(horizontal=True):
        st.button("New question", key=f"{p}.new_question", on_click=new[0], args=new[1])
        st.button("Reveal the answer", key=f"{p}.reveal", on_click=_reveal, args=(p, digest))
    if pick is not None and question.is_correct(pick):
        st.success(f"Right: **{question.answer}**.", icon=":material/check_circle:")
    elif pick is not None:
        st.error(
            f"Not quite: you chose {pick}. The answer is **{question.answer}**.",
            icon=":material/cancel:",
        )
    elif st.session_state.get(f"{p}.revealed") == digest or (
        teacher_on() if show_all is None else show_all
    ):
        st.info(f"The answer is **{question.answer}**.", icon=":material/visibility:")
    else:
        st.caption("Predict first: pick an answer, then the answer and the explanation appear.")
        return
    st.markdown(question.why)


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
    with st.container(border=True):
        st.markdown(intro)
        tabs = st.tabs([title for title, _ in kinds.values()])
        for tab, (name, (_, build)) in zip(tabs, kinds.items(), strict=True):
            key = f"{p}.{name}"
            drawn = drawn_seed(key)
            question = cache.question(build, drawn)
            st.session_state[f"{key}.drawn"] = drawn  # what tests rebuild the question from
            st.session_state[f"{key}.question"] = question
            with tab:
                ask(key, question, build=build, show_all=show_all)
