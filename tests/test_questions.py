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


# --- questions with drawn numbers: parse what the student reads, recompute with torch --------

import re  # noqa: E402

from cnnviz import KERNELS  # noqa: E402
from cnnviz.questions import (  # noqa: E402
    draw_conv_shape,
    draw_conv_value,
    draw_flatten,
    draw_layer_shape,
    draw_parameters,
    draw_pool_map,
    draw_pool_shape,
    draw_pool_window,
    draw_which_kernel,
)

DRAWN = [
    draw_conv_shape,
    draw_conv_value,
    draw_which_kernel,
    draw_pool_shape,
    draw_pool_window,
    draw_pool_map,
    draw_layer_shape,
    draw_flatten,
    draw_parameters,
]
SEEDS = st.integers(0, 2**32 - 1)


def blocks(prompt: str) -> list[dict[str, np.ndarray]]:
    """Each fenced block of a prompt as ``{title: grid}``, reading the titles' columns."""
    found = []
    for block in re.findall(r"```\n(.*?)\n```", prompt, re.S):
        header, *rows = block.split("\n")
        starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]
        titles = [header[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        grids = {t: [] for t in titles}
        for row in rows:
            for title, a, b in zip(titles, starts, [*starts[1:], None], strict=True):
                cells = row[a:b].split()
                if cells:
                    grids[title].append([float(c) for c in cells])
        found.append({t: np.array(g) for t, g in grids.items()})
    return found


def numbers(pattern: str, text: str) -> tuple[int, ...]:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return tuple(int(n) for n in found.groups())


@pytest.mark.parametrize("build", DRAWN, ids=lambda f: f.__name__)
@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_every_drawn_question_has_one_right_choice(build, seed):
    """Any seed gives an answerable question: 3-4 distinct choices, exactly one right, and
    the worked reason names the answer."""
    q = build(seed)
    check_choices(q)
    assert q.answer in q.why
    assert q == build(seed)  # the same seed draws the same question
    for text in (q.prompt, q.why, *q.choices):  # every {placeholder} was filled in
        assert not re.search(r"\{\w[^}]*\}", text), text


@pytest.mark.parametrize("build", DRAWN, ids=lambda f: f.__name__)
def test_new_seeds_draw_new_numbers(build):
    """Ten seeds give at least eight different prompts: new numbers, not shuffled choices."""
    prompts = {build(seed).prompt for seed in range(10)}
    assert len(prompts) >= 8


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS)
def test_drawn_conv_shape_is_torchs(seed):
    """The shape asked about is what F.pad + F.conv2d make from the printed numbers."""
    q = draw_conv_shape(seed)
    h, w, kh, kw, sh, sw, top, bottom, left, right = numbers(
        r"\*\*(\d+) × (\d+)\*\* picture .* \*\*(\d+) × (\d+)\*\* kernel, stride \*\*(\d+) × "
        r"(\d+)\*\*, padding \*\*(\d+), (\d+), (\d+), (\d+)\*\*",
        q.prompt,
    )
    dh, dw = (1, 1)
    if "dilation" in q.prompt:
        dh, dw = numbers(r"dilation \*\*(\d+) × (\d+)\*\*", q.prompt)
    x = F.pad(torch.zeros(1, 1, h, w), (left, right, top, bottom))
    out = F.conv2d(x, torch.zeros(1, 1, kh, kw), stride=(sh, sw), dilation=(dh, dw))
    assert q.answer == f"{out.shape[-2]} × {out.shape[-1]}"


def test_drawn_shapes_avoid_what_the_page_prints():
    """A shape the page already shows is never the answer: another one is drawn."""
    for seed in range(30):
        first = draw_conv_shape(seed).answer
        assert draw_conv_shape(seed, avoid={first}).answer != first
        first = draw_pool_shape(seed).answer
        assert draw_pool_shape(seed, avoid={first}).answer != first
        first = draw_layer_shape(seed).answer
        assert draw_layer_shape(seed, avoid={first}).answer != first
        first = draw_flatten(seed).answer
        assert draw_flatten(seed, avoid={first}).answer != first


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS)
def test_drawn_conv_value_is_torchs(seed):
    """The one value asked for is F.conv2d of the printed pixels and kernel, plus the bias."""
    q = draw_conv_value(seed)
    (grids,) = blocks(q.prompt)
    bias = numbers(r"bias of \*\*(-?\d+)\*\*", q.prompt)[0] if "bias of" in q.prompt else 0
    pixels = torch.tensor(grids["pixels"], dtype=torch.float64)[None, None]
    kernel = torch.tensor(grids["kernel"], dtype=torch.float64)[None, None]
    assert float(q.answer) == F.conv2d(pixels, kernel).item() + bias


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_which_kernel_exactly_one_printed_kernel_makes_the_output(seed):
    """Of the four printed kernels exactly one makes the printed output (torch's conv2d),
    the answer, and each printed kernel is the preset its title names; the choices come in
    the order the kernels are printed."""
    q = draw_which_kernel(seed)
    data, kernels = blocks(q.prompt)
    assert list(kernels) == list(q.choices)
    pixels = torch.tensor(data["pixels"])[None, None]
    making = []
    for title, grid in kernels.items():
        preset = next(k for k in KERNELS.values() if k.title == title)
        np.testing.assert_array_equal(grid, preset.weights)
        out = F.conv2d(pixels, torch.tensor(grid)[None, None])[0, 0].numpy()
        if np.array_equal(out, data["output"]):
            making.append(title)
    assert making == [q.answer]


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS)
def test_drawn_pool_shape_is_torchs(seed):
    """The shape asked about is what F.max_pool2d makes with the printed numbers."""
    q = draw_pool_shape(seed)
    h, w, kh, kw, sh, sw, ph, pw = numbers(
        r"\*\*(\d+) × (\d+)\*\* map .* \*\*(\d+) × (\d+)\*\* window, stride \*\*(\d+) × (\d+)\*\* "
        r"and padding \*\*(\d+) × (\d+)\*\*",
        q.prompt,
    )
    out = F.max_pool2d(torch.zeros(1, 1, h, w), (kh, kw), stride=(sh, sw), padding=(ph, pw))
    assert q.answer == f"{out.shape[-2]} × {out.shape[-1]}"


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS)
def test_drawn_window_answer_is_exact(seed):
    """Max keeps the printed largest; an average is exact in two decimals (no rounding)."""
    q = draw_pool_window(seed)
    cells = [float(v) for v in re.findall(r"\d+\.\d\d", q.prompt.split("```")[1])]
    expected = max(cells) if q.prompt.startswith("Max") else sum(cells) / len(cells)
    assert float(q.answer) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_drawn_pool_map_exactly_one_printed_map_is_torchs(seed):
    """Exactly one of the printed maps A-D is torch's pooling of the printed map: the answer."""
    q = draw_pool_map(seed)
    size, stride = numbers(r"\*\*(\d) × \d\*\* window and stride \*\*(\d)\*\*", q.prompt)
    data, options = blocks(q.prompt)
    pool = F.max_pool2d if q.prompt.startswith("Max") else F.avg_pool2d
    expected = pool(torch.tensor(data["map"])[None, None], size, stride=stride)[0, 0].numpy()
    right = [letter for letter, grid in options.items() if np.allclose(grid, expected)]
    assert right == [q.answer]


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_drawn_layer_shape_is_torchs(seed):
    """One step of a drawn network: torch's conv2d (or max_pool2d) makes the answer's shape."""
    q = draw_layer_shape(seed)
    before = numbers(r"^\*\*(\d+) × (\d+) × (\d+)\*\*", q.prompt)
    x = torch.zeros(1, *before)
    if "convolution" in q.prompt:
        filters, k = numbers(r"\*\*(\d+)\*\* kernels of (\d+) ×", q.prompt)
        out = torch.nn.Conv2d(before[0], filters, k)(x)
    else:
        out = F.max_pool2d(x, 2)
    assert q.answer == " × ".join(map(str, out.shape[1:]))


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_drawn_flatten_is_the_torch_networks(seed):
    """The printed two-block network, built in torch, flattens to the answer's length."""
    q = draw_flatten(seed)
    (n,) = numbers(r"\*\*1 × (\d+) × \d+\*\*", q.prompt)
    (c1, k), (c2, _) = (
        tuple(int(v) for v in m) for m in re.findall(r"\*\*(\d+)\*\* kernels of (\d+) ×", q.prompt)
    )
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, c1, k), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c1, c2, k), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
    )  # fmt: skip
    assert q.answer == f"{net(torch.zeros(1, 1, n, n)).shape[1]:,}"


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_drawn_parameters_are_torchs(seed):
    """The printed layer, as torch.nn.Conv2d, has the answer's number of parameters."""
    q = draw_parameters(seed)
    filters, k, _, channels = numbers(
        r"\*\*(\d+)\*\* kernels of (\d+) × (\d+), each looking at (\d+)", q.prompt
    )
    layer = torch.nn.Conv2d(channels, filters, k)
    assert q.answer == f"{sum(p.numel() for p in layer.parameters()):,}"
