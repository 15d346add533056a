"""The questions in a real browser: a pick, Reveal and the tabs answer at once, with no message
to the server; New question asks the server once and brings new numbers."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import screenshot, wait_until_idle
from tests.e2e.test_browser import assert_clean
from tests.e2e.test_linked import SentFrames

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect
LESSONS = {"convolution": ("An output size", "One pixel by hand"), "pooling": ("An output shape",
           "One window")}  # fmt: skip


def open_quiz(tab, url: str, page: str):
    """The lesson's quiz, and a count of the messages the page has sent the server."""
    sent = SentFrames(tab)
    tab.goto(f"{url}/{page}")
    wait_until_idle(tab)
    quiz = tab.locator(".qz-root")
    quiz.scroll_into_view_if_needed()
    assert sent.count > 0  # the page asked for its first run: the count sees this websocket
    return quiz, sent


def visible_panel(quiz):
    return quiz.locator(".qz-panel:not([hidden])")


def verdict_answer(panel) -> str:
    """The answer ``panel`` states: "The answer is X." (revealed, or the teacher's switch)."""
    text = panel.locator(".qz-verdict").inner_text()
    found = re.fullmatch(r"\W*The answer is (.+)\.", text.strip())
    assert found, text
    return found.group(1)


def answer_of(panel) -> str:
    """Reveal the answer of ``panel`` and read it."""
    panel.get_by_role("button", name="Reveal the answer").click()
    return verdict_answer(panel)


def choice(panel, text: str):
    return panel.locator(".qz-choice").filter(has_text=re.compile(rf"^{re.escape(text)}$"))


def answers_from_the_teacher(page, quiz) -> dict[str, str]:
    """Every tab's answer, read with the teacher's switch on; the switch is off again after."""
    switch = page.get_by_text("Show every answer (teacher)")
    switch.click()
    wait_until_idle(page)
    answers = {}
    for tab in quiz.get_by_role("tab").all():
        tab.click()
        answers[tab.inner_text()] = verdict_answer(visible_panel(quiz))
    switch.click()
    wait_until_idle(page)
    quiz.get_by_role("tab").first.click()
    return answers


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_a_pick_and_reveal_answer_in_the_browser(server, page, lesson):
    """Before a pick the reason is hidden; a wrong pick names the right answer and the first
    pick is final (a second pick changes nothing); the right pick says so; Reveal shows the
    answer and the reason and closes the choices; keys move between tabs; and none of it
    sends the server a message (no rerun: it answers at once under a class's load)."""
    quiz, sent = open_quiz(page, server, lesson)
    answers = answers_from_the_teacher(page, quiz)
    before = sent.count
    first, second = LESSONS[lesson]
    panel = visible_panel(quiz)
    expect(panel.locator(".qz-verdict")).to_contain_text("Predict first")
    expect(panel.locator(".qz-why")).to_be_hidden()
    answer = answers[first]
    choices = [c.strip() for c in panel.locator(".qz-choice").all_inner_texts()]
    assert answer in choices, (answer, choices)
    wrong = next(c for c in choices if c != answer)
    choice(panel, wrong).click()
    said = f"Not quite: you chose {wrong}. The answer is {answer}."
    expect(panel.locator(".qz-verdict")).to_have_text(said)
    expect(panel.locator(".qz-why")).to_be_visible()
    expect(choice(panel, answer)).to_be_disabled()
    choice(panel, answer).click(force=True)  # a second pick does not count
    expect(panel.locator(".qz-verdict")).to_have_text(said)
    quiz.get_by_role("tab", name=second).click()
    other = visible_panel(quiz)
    expect(other.locator(".qz-verdict")).to_contain_text("Predict first")
    choice(other, answers[second]).click()
    expect(other.locator(".qz-verdict")).to_have_text(f"Right: {answers[second]}.")
    third = quiz.get_by_role("tab").nth(2)
    quiz.get_by_role("tab", name=second).press("ArrowRight")  # keys move between tabs too
    expect(third).to_have_attribute("aria-selected", "true")
    third.press("Home")
    expect(quiz.get_by_role("tab", name=first)).to_have_attribute("aria-selected", "true")
    expect(visible_panel(quiz).locator(".qz-verdict")).to_have_text(said)
    third.click()
    revealed = visible_panel(quiz)
    assert answer_of(revealed) in [
        c.strip() for c in revealed.locator(".qz-choice").all_inner_texts()
    ]
    expect(revealed.locator(".qz-why")).to_be_visible()
    expect(revealed.locator(".qz-choice").first).to_be_disabled()
    assert sent.count == before, f"the quiz sent {sent.count - before} message(s) to the server"
    screenshot(page, f"quiz-{lesson}")
    assert_clean(page)


def test_new_question_asks_the_server_once_and_keeps_the_other_picks(server, page):
    """New question brings new numbers (one rerun), unanswered, and keeps the keyboard's place;
    an answer revealed in another tab stays, also through a rerun the student starts elsewhere
    (a new stride)."""
    quiz, sent = open_quiz(page, server, "convolution")
    quiz.get_by_role("tab", name="One pixel by hand").click()
    kept = visible_panel(quiz)
    kept_answer = answer_of(kept)
    quiz.get_by_role("tab", name="An output size").click()
    panel = visible_panel(quiz)
    before = panel.locator(".qz-prompt").inner_text()
    answer_of(panel)
    count = sent.count
    panel.get_by_role("button", name="New question").click()
    expect(visible_panel(quiz).locator(".qz-prompt")).not_to_have_text(before)
    wait_until_idle(page)
    assert sent.count > count
    fresh = visible_panel(quiz)
    numbers = re.findall(r"\d+", fresh.locator(".qz-prompt").inner_text())
    assert numbers != re.findall(r"\d+", before)
    expect(fresh.locator(".qz-verdict")).to_contain_text("Predict first")
    expect(fresh.get_by_role("button", name="New question")).to_be_enabled()
    focused = """() => { let e = document.activeElement;
        while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
        return e && e.getAttribute('role'); }"""
    assert page.evaluate(focused) == "tab"  # the keyboard is back where it pressed
    stride = page.get_by_role("spinbutton", name="Stride down")
    stride.fill("2")
    stride.press("Enter")
    wait_until_idle(page)
    quiz.get_by_role("tab", name="One pixel by hand").click()
    expect(visible_panel(quiz).locator(".qz-verdict")).to_have_text(f"The answer is {kept_answer}.")
    assert_clean(page)


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_new_question_draws_new_numbers_every_time(server, page, lesson):
    """In every tab, four presses of New question give five prompts with five different sets
    of numbers: a draw that would repeat the question on screen is skipped."""
    quiz, _ = open_quiz(page, server, lesson)
    for tab in quiz.get_by_role("tab").all():
        tab.click()
        seen = []
        for press in range(5):
            panel = visible_panel(quiz)
            prompt = panel.locator(".qz-prompt").inner_text()
            seen.append(tuple(re.findall(r"-?\d+(?:\.\d+)?", prompt)))
            if press < 4:
                panel.get_by_role("button", name="New question").click()
                expect(visible_panel(quiz).locator(".qz-prompt")).not_to_have_text(prompt)
                wait_until_idle(page)
        assert len(set(seen)) == 5, (tab.inner_text(), seen)
    assert_clean(page)


def test_the_teacher_switch_shows_every_answer(server, page):
    """The sidebar switch: every tab shows its answer and reason; off again, they hide."""
    quiz, _ = open_quiz(page, server, "pooling")
    page.get_by_text("Show every answer (teacher)").click()
    wait_until_idle(page)
    for tab in quiz.get_by_role("tab").all():
        tab.click()
        panel = visible_panel(quiz)
        expect(panel.locator(".qz-verdict")).to_contain_text("The answer is")
        expect(panel.locator(".qz-why")).to_be_visible()
    page.get_by_text("Show every answer (teacher)").click()
    wait_until_idle(page)
    expect(visible_panel(quiz).locator(".qz-verdict")).to_contain_text("Predict first")
    assert_clean(page)
