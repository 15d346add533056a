"""Predict-then-reveal questions: the right answer, sensible choices, the same for a seed."""

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz import output_size
from cnnviz.questions import (
    CHOICES,
    Question,
    conv_parameters_question,
    conv_shape_question,
    layer_shape_question,
    pool_formula,
    pool_shape_question,
    winner_question,
)


def fits(n, k, s, p, d=1):
    try:
        output_size(n, k, stride=s, padding=p, dilation=d)
    except ValueError:
        return False
    return True


def check_choices(q: Question):
    assert q.answer in q.choices
    assert len(set(q.choices)) == len(q.choices)
    assert 3 <= len(q.choices) <= CHOICES
    assert q.is_correct(q.answer)
    assert not any(q.is_correct(c) for c in q.choices if c != q.answer)


@settings(max_examples=150, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    s=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 1000),
    data=st.data(),
)
def test_pool_shape_answer_is_torchs_shape(h, w, k, s, seed, data):
    """The pool-shape answer is the shape torch's max_pool2d produces; choices are distinct."""
    p = (data.draw(st.integers(0, k[0] // 2)), data.draw(st.integers(0, k[1] // 2)))
    assume(fits(h, k[0], s[0], p[0]) and fits(w, k[1], s[1], p[1]))
    q = pool_shape_question(h, w, k, s, p, seed=seed)
    out = F.max_pool2d(torch.zeros(1, 1, h, w), k, stride=s, padding=p)
    assert q.answer == f"{out.shape[-2]} × {out.shape[-1]}"
    check_choices(q)


@settings(max_examples=150, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pad=st.tuples(*[st.integers(0, 3)] * 4),
    d=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 1000),
)
def test_conv_shape_answer_is_torchs_shape(h, w, k, s, pad, d, seed):
    """The conv-shape answer is the shape torch's conv2d produces after F.pad."""
    top, bottom, left, right = pad
    assume(fits(h, k[0], s[0], (top, bottom), d[0]) and fits(w, k[1], s[1], (left, right), d[1]))
    q = conv_shape_question(h, w, k, s, pad, d, seed=seed)
    x = F.pad(torch.zeros(1, 1, h, w), (left, right, top, bottom))
    out = F.conv2d(x, torch.zeros(1, 1, *k), stride=s, dilation=d)
    assert q.answer == f"{out.shape[-2]} × {out.shape[-1]}"
    check_choices(q)


def test_pool_shape_golden():
    """256 x 256, 2x2 window, stride 2: 128 x 128, and the why shows the arithmetic."""
    q = pool_shape_question(256, 256, 2, 2, 0)
    assert q.answer == "128 × 128"
    assert "⌊(256 + 0 + 0 − 2) / 2⌋ + 1 = ⌊127⌋ + 1 = 128" in q.why
    assert "256 × 256" in q.prompt and "2 × 2" in q.prompt


def test_classic_slips_are_offered():
    """28 wide, window 3, stride 2, padding 1: 14 is right; 15 (rounded up) is a choice."""
    q = pool_shape_question(28, 28, 3, 2, 1, seed=0)
    assert q.answer == "14 × 14"
    assert "15 × 15" in q.choices


def test_same_seed_same_question():
    """A seed fixes the order of the choices; different seeds give different orders."""
    first = pool_shape_question(64, 48, 2, 2, 0, seed=7)
    assert first == pool_shape_question(64, 48, 2, 2, 0, seed=7)
    orders = {pool_shape_question(64, 48, 2, 2, 0, seed=s).choices for s in range(20)}
    assert len(orders) > 1


def test_question_is_frozen():
    """A question cannot be changed after it was built."""
    q = pool_shape_question(8, 8, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.answer = "1 × 1"  # type: ignore[misc]


def test_no_window_fits_raises():
    """A window larger than the map has no answer: ValueError with the reason."""
    with pytest.raises(ValueError, match="does not fit"):
        pool_shape_question(3, 3, 4)
    with pytest.raises(ValueError, match="does not fit"):
        conv_shape_question(2, 2, 3)


@settings(max_examples=100, deadline=None)
@given(
    window=st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda s: st.lists(st.integers(-300, 300), min_size=s[0] * s[1], max_size=s[0] * s[1]).map(
            lambda v, s=s: np.array(v, float).reshape(s) / 100
        )
    ),
    mode=st.sampled_from(["max", "avg"]),
    seed=st.integers(0, 100),
)
def test_winner_answer_is_the_pooled_value(window, mode, seed):
    """The answer is the window's max (or mean) written with 3 decimals, among 3-4 choices."""
    q = winner_question(window, mode=mode, seed=seed)
    expected = window.max() if mode == "max" else window.mean()
    assert float(q.answer) == pytest.approx(expected, abs=5.1e-4)  # 3 decimals
    assert q.answer in q.why
    check_choices(q)


def test_winner_golden():
    """[[0.1, 0.5], [0.9, 0.2]]: max keeps 0.900 (row 1, column 0); average gives 0.425."""
    window = np.array([[0.1, 0.5], [0.9, 0.2]])
    q = winner_question(window, mode="max")
    assert q.answer == "0.900" and "row 1, column 0" in q.why and "0.425" in q.choices
    assert winner_question(window, mode="avg").answer == "0.425"


def test_winner_never_prints_negative_zero():
    """A window of zeros asks with '0.000', not '-0.000'."""
    q = winner_question(np.zeros((2, 2)), mode="avg")
    assert q.answer == "0.000" and not any(c.startswith("-0.000") for c in q.choices)


@pytest.mark.parametrize(
    ("window", "mode", "words"),
    [
        (np.array([[1.0, np.nan]]), "max", "finite"),
        (np.zeros(3), "max", "finite"),
        (np.zeros((2, 2)), "median", "'max' or 'avg'"),
    ],
)
def test_winner_rejects_bad_windows(window, mode, words):
    """Non-finite, non-2-D windows and unknown modes raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=words):
        winner_question(window, mode=mode)


@pytest.mark.parametrize(("n", "k", "s", "p"), [(256, 2, 2, 0), (28, 3, 2, 1), (7, 3, 3, 1)])
def test_pool_formula_ends_in_output_size(n, k, s, p):
    """The written formula ends with the number output_size computes."""
    text = pool_formula(n, k, stride=s, padding=p)
    assert text.startswith(f"⌊({n} + {p} + {p} − {k}) / {s}⌋ + 1")
    assert text.endswith(f"= {output_size(n, k, stride=s, padding=p)}")


def test_questions_and_invariance_import_without_streamlit():
    """Both modules work from a notebook: importing them never pulls in streamlit."""
    import subprocess
    import sys

    code = "import sys, cnnviz.questions, cnnviz.invariance; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_layer_shape_questions_match_the_network():
    """For every conv and pool layer of the lesson CNN the answer is layer_shapes' shape."""
    from cnnviz.model import LESSON_CNN, layer_shapes

    shapes = layer_shapes(LESSON_CNN)
    layers = [s for s in shapes if s[0].startswith(("conv", "pool"))]
    for seed in range(len(layers)):
        question = layer_shape_question(shapes, seed=seed)
        name, shape = layers[seed]
        assert question.answer == " × ".join(map(str, shape)), name
        assert question.answer in question.choices and len(set(question.choices)) >= 3


def test_conv_parameters_question_matches_torch():
    """The answer equals the parameter count of the matching torch.nn.Conv2d."""
    import torch

    question = conv_parameters_question(32, 3, 1, seed=1)
    expected = sum(p.numel() for p in torch.nn.Conv2d(1, 32, 3).parameters())
    assert question.answer == f"{expected:,}"
    assert question.answer in question.choices
