"""Rewinding training on "Inside a CNN" under AppTest: the step slider changes the network
every view uses (its probabilities, its test accuracy from the card), starts at the trained
network, and a missing or damaged checkpoint gets a sentence while the rest of the page works."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnviz.weights import (
    ASSETS_DIR,
    checkpoint_path,
    checkpoints_card_path,
    load_checkpoint,
    load_model,
    read_checkpoints,
)
from tests.app.conftest import APP, png_bytes, text_of
from tests.app.test_inside_page import prediction
from ui.models import ships_checkpoints

PAGE = "pages/inside_cnn.py"
pytestmark = pytest.mark.skipif(
    not ships_checkpoints("fashion-mnist"),
    reason="this version ships no checkpoints of fashion-mnist (assets/README.md: "
    "Checkpoints), so the page offers no training-step slider",
)
CHECKPOINTS = read_checkpoints("fashion-mnist") if ships_checkpoints("fashion-mnist") else []
STEPS = [entry["step"] for entry in CHECKPOINTS]
SHIRT = np.zeros((28, 28), np.uint8)
SHIRT[4:24, 8:20] = 200  # a bright body
SHIRT[4:12, 3:25] = 200  # and sleeves: a shape, not a test picture, so no data is needed


def opened(**state) -> AppTest:
    """The page with an uploaded shape (no dataset needed) and ``state`` set before it runs."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["inside.source"] = "upload"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE).run()
    at.file_uploader(key="inside.upload").set_value(("shirt.png", png_bytes(SHIRT), "image/png"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def accuracy_line(step: int) -> tuple[str, str]:
    entry = CHECKPOINTS[STEPS.index(step)]
    return (
        f"**Step {step:,} of {STEPS[-1]:,}**",
        f"**{100 * entry['test_accuracy']:.1f} % right** on the 10,000 test pictures",
    )


def test_the_slider_starts_trained_and_rewinds_every_view():
    """Default: the trained step and its accuracy; step 0 and 300 print their own accuracy
    from the card and change the probabilities, and back at the end they are the trained ones."""
    at = opened()
    assert at.select_slider(key="inside.step").value == STEPS[-1]
    text = text_of(at)
    assert all(part in text for part in accuracy_line(STEPS[-1]))
    trained = prediction(at)
    seen = {STEPS[-1]: trained}
    for step in (0, 300):
        at.select_slider(key="inside.step").set_value(step)
        at.run()
        assert not at.exception
        text = text_of(at)
        assert all(part in text for part in accuracy_line(step)), step
        seen[step] = prediction(at)
    assert "random numbers" in text_of(opened(**{"inside.step": 0}))
    assert len(set(seen.values())) == 3, seen  # three networks, three answers
    at.select_slider(key="inside.step").set_value(STEPS[-1])
    at.run()
    assert prediction(at) == trained


def pictures(at: AppTest) -> list[str]:
    """The address of every picture on the page (names its bytes: new bytes, new address)."""
    return [image.proto.imgs[0].url for image in at.get("image")]


def test_step_zero_kernels_and_maps_differ_from_the_trained_ones():
    """The step-0 file holds other kernels than the trained one, and the page draws other
    kernel sheets and maps at step 0 (the input picture stays the same)."""
    step0, trained = load_checkpoint("fashion-mnist", 0), load_model("fashion-mnist")
    assert not torch.allclose(step0.conv1.weight, trained.conv1.weight)
    assert not torch.allclose(step0.conv2.weight, trained.conv2.weight)
    at = opened()
    before = pictures(at)
    at.select_slider(key="inside.step").set_value(0)
    at.run()
    after = pictures(at)
    assert before[0] == after[0]  # the input
    assert len(set(before) - set(after)) >= 2  # kernel sheets and feature maps changed


@pytest.fixture
def damaged(tmp_path, monkeypatch):
    """A copy of assets/ the page reads instead; the test damages it."""
    folder = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, folder)
    monkeypatch.setenv("CNNVIZ_ASSETS_DIR", str(folder))
    return folder


def test_a_damaged_checkpoint_gets_a_sentence_and_the_page_works(damaged):
    """Step 300's file flipped: a warning naming it, the trained network shown instead."""
    path = checkpoint_path("fashion-mnist", 300, damaged)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    at = opened(**{"inside.step": 300})
    warnings = " ".join(w.value for w in at.warning)
    assert "cannot be shown" in warnings and path.name in warnings
    assert str(damaged) not in warnings
    assert prediction(at)  # the rest of the page still answers


def test_missing_checkpoints_get_a_sentence_and_the_page_works(damaged):
    """No checkpoints card: no slider, a warning saying so, the trained network shown."""
    checkpoints_card_path("fashion-mnist", damaged).unlink()
    at = opened()
    warnings = " ".join(w.value for w in at.warning)
    assert "Training cannot be rewound" in warnings
    assert not [s for s in at.select_slider if s.key == "inside.step"]
    assert prediction(at)
