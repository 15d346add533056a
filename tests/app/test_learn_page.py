"""How a kernel learns, as a student opens it: the loss falls, one step's numbers are printed."""

import re

import numpy as np
import pytest

from cnnviz import downscale, load_sample
from cnnviz.learn import LearnConfig, descend, weight_step
from tests.app.conftest import open_page, text_of

PAGE = "pages/learn_kernel.py"


def number_after(text: str, words: str) -> float:
    """The number printed right after ``words`` (bold stars and thousands commas allowed)."""
    found = re.search(re.escape(words) + r"\**\s*(-?[0-9,]+\.?[0-9]*)", text)
    assert found, f"no '{words}' followed by a number in the page text"
    return float(found.group(1).replace(",", ""))


def test_the_page_runs_and_the_loss_falls():
    """The default run (Sobel x on the camera) ends with a loss far below its start, and
    every number within 0.01 of Sobel x."""
    at = open_page(PAGE)
    text = text_of(at)
    start = number_after(text, "**Loss:**")
    end = float(re.search(r"→ ([0-9.e-]+) after 1000 steps", text).group(1))
    assert end < start / 1000, (start, end)
    assert "Every number is within 0.01 of the target from step" in text
    assert "every kernel at once" in " ".join(h.value for h in at.subheader)
    assert any(link.label.endswith("Inside a CNN") for link in at.get("page_link"))


def test_one_step_prints_the_update_the_library_computes():
    """The written-out step on the page is cnnviz.learn.weight_step's: its sum, gradient and
    new weight, for the chosen step and weight."""
    at = open_page(PAGE, {"learn.steps": "100"})
    at.number_input(key="learn.one.step").set_value(7).run()
    at.selectbox(key="learn.one.cell").set_value((0, 2)).run()
    assert not at.exception
    # The same run the page made: the camera at the picker's default working size of 256.
    camera = downscale(load_sample("camera", size=4096), 256)
    run = descend(camera, LearnConfig("sobel_x", steps=100))
    one = weight_step(run, 7, (0, 2))
    text = text_of(at)
    assert "At step 7, the weight in row 0, column 2" in text
    assert number_after(text, "terms:**") == pytest.approx(one.total, abs=2e-3)
    assert number_after(text, f"× {one.total:.4f} = ") == pytest.approx(one.gradient, abs=2e-5)
    assert f"= **{one.new:.4f}**" in text
    assert text.count("| row ") == 5  # the five largest terms


def test_a_learning_rate_too_large_is_explained_not_raised():
    """Rate 1.0 overshoots on the camera: the page says the steps were too big."""
    at = open_page(PAGE, {"learn.rate": "1"})
    assert "The steps were too big" in text_of(at)


@pytest.mark.parametrize("rate", ["nan", "inf", "-0.5", "5"])
def test_a_bad_learning_rate_in_the_link_is_named_and_replaced(rate):
    """``?learn.rate=nan``: the page opens at the default rate and names the parameter."""
    at = open_page(PAGE, {"learn.rate": rate})
    assert at.number_input(key="learn.rate").value == pytest.approx(0.1)
    assert any("`learn.rate`" in c.value for c in at.caption)


def test_new_start_moves_the_seed_and_changes_the_start():
    """ "New start" gives other random starting numbers: the seed moves on, the loss changes."""
    at = open_page(PAGE, {"learn.steps": "50"})
    before = number_after(text_of(at), "**Loss:**")
    at.button(key="learn.new_start").click().run()
    assert at.number_input(key="learn.seed").value == 1
    assert number_after(text_of(at), "**Loss:**") != before


def test_the_hidden_kernel_stays_hidden_in_the_text():
    """With the hidden target the page compares without printing the hidden numbers."""
    at = open_page(PAGE, {"learn.target": "A hidden kernel", "learn.steps": "50"})
    text = text_of(at)
    assert "hidden kernel:" in text and "Show it" in text


def test_a_flat_picture_gets_a_sentence(upload):
    """A one-shade upload has nothing to learn from: a sentence, not a traceback."""
    at = open_page(PAGE)
    at = upload(at, np.full((30, 30), 128, np.uint8))
    assert not at.exception
    assert "one flat shade" in text_of(at)
