"""Predict, then reveal: one question from the page's own settings, the answer and why."""

from __future__ import annotations

import hashlib

import streamlit as st

from cnnviz.questions import Question


def _next(p: str) -> None:
    st.session_state[f"{p}.quiz_seed"] = st.session_state.get(f"{p}.quiz_seed", 0) + 1


def _reveal(p: str, digest: str) -> None:
    st.session_state[f"{p}.revealed"] = digest


def seed(p: str) -> int:
    """The question number of this page; 'New question' adds one."""
    return st.session_state.get(f"{p}.quiz_seed", 0)


def ask(p: str, question: Question, note: str = "") -> None:
    """Show ``question``; after a pick or 'Reveal', say whether it was right and why."""
    digest = hashlib.sha256("|".join([question.prompt, *question.choices]).encode()).hexdigest()
    digest = digest[:12]
    st.markdown(question.prompt)
    if note:
        st.caption(note)
    pick = st.radio(
        "Your prediction", question.choices, index=None, key=f"{p}.answer.{digest}",
        horizontal=True,
    )  # fmt: skip
    with st.container(horizontal=True):
        st.button("New question", key=f"{p}.new_question", on_click=_next, args=(p,))
        st.button("Reveal the answer", key=f"{p}.reveal", on_click=_reveal, args=(p, digest))
    if pick is not None and question.is_correct(pick):
        st.success(f"Right: **{question.answer}**.", icon=":material/check_circle:")
    elif pick is not None:
        st.error(
            f"Not quite: you chose {pick}. The answer is **{question.answer}**.",
            icon=":material/cancel:",
        )
    elif st.session_state.get(f"{p}.revealed") == digest:
        st.info(f"The answer is **{question.answer}**.", icon=":material/visibility:")
    else:
        st.caption("Predict first: pick an answer, then the explanation appears.")
        return
    st.markdown(question.why)
