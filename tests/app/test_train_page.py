"""The Train page: settings and counts, a short race with its results, this session's model,
the Stop button, the class-wide queue, and the page without data."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnviz.augmentation import AugmentConfig
from cnnviz.data import dataset_available
from cnnviz.model import CNN, MLP, CNNConfig, count_parameters
from tests.app.conftest import APP, text_of
from ui import training
from ui.inside import YOURS
from ui.user_model import UserModel

REPO = Path(__file__).resolve().parents[2]
STEPS = 3  # each network trains this many steps in these tests

needs_data = pytest.mark.skipif(
    not dataset_available("fashion-mnist"),
    reason="Fashion-MNIST not found: set CNNVIZ_DATA_DIR to the folder holding fashion-mnist/",
)


@pytest.fixture(scope="module")
def app_file() -> str:
    """The real entry point; sessions switch to the Train page."""
    return APP


@pytest.fixture
def open_page(app_file):
    """A new session on the Train page, with ``state`` put in its session state first."""

    def start(**state) -> AppTest:
        at = AppTest.from_file(app_file, default_timeout=120)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        at.switch_page("pages/train.py").run()
        assert not at.exception, at.exception
        return at

    return start


def short_race(at: AppTest) -> AppTest:
    """Pick 1,000 images and one pass, press Train and poll until the race ends."""
    at.select_slider(key="train.subset").set_value(1_000)
    at.segmented_control(key="train.mode").set_value("epochs").run()
    at.select_slider(key="train.epochs").set_value(1).run()
    at.button(key="train.start").click().run()
    return wait(at)


def wait(at: AppTest, seconds: float = 300) -> AppTest:
    """Rerun the page (as its polling fragment would) until this session's training ends."""
    deadline = time.monotonic() + seconds
    while at.session_state["train.job"].active:
        assert time.monotonic() < deadline, "the training did not end in time"
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception, at.exception
    return at


def assets_digest() -> str:
    """One sha256 over every shipped file (the shipped model lives there)."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "assets").rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_the_counts_follow_the_architecture(open_page):
    """Parameter counts are printed, and change when the CNN gets more blocks."""
    at = open_page()
    default = count_parameters(CNN(training.DEFAULT_PLAN.cnn))
    assert f"**{default:,}** numbers to learn in the CNN" in text_of(at)
    assert f"**{count_parameters(MLP()):,}** in the dense network" in text_of(at)
    at.segmented_control(key="train.blocks").set_value(3).run()
    first = training.DEFAULT_PLAN.cnn.channels[0]
    bigger = count_parameters(CNN(CNNConfig(channels=(first, 2 * first, 4 * first), dropout=0)))
    assert f"**{bigger:,}** numbers to learn in the CNN" in text_of(at)


def test_an_impossible_cnn_is_explained(open_page):
    """Three 7x7 blocks with pooling shrink the picture to nothing: the page says why."""
    at = open_page()
    at.segmented_control(key="train.blocks").set_value(3)
    at.segmented_control(key="train.kernel").set_value(7).run()
    assert not at.exception
    assert "No CNN fits: the picture's side goes 28 → 11 → 2 → nothing" in text_of(at)
    assert "train.start" not in {b.key for b in at.button}  # nothing to train


def test_without_data_the_page_explains_and_offers_the_download(open_page, monkeypatch, tmp_path):
    """An empty data folder: which folder the files go in (not the server's path to it), and
    a download button."""
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    at = open_page()
    text = text_of(at)
    assert "are not on this server yet" in text
    assert "`fashion-mnist/` folder" in text and "CNNVIZ_DATA_DIR" in text
    assert str(tmp_path) not in text
    assert at.button(key="train.download").label == "Download Fashion-MNIST (clothes)"


@needs_data
def test_a_short_race_shows_curves_accuracies_and_the_confusion_matrix(open_page):
    """Three steps each: live numbers, two test accuracies, mix-ups and kernels appear."""
    before = assets_digest()
    at = short_race(open_page(**{training.MAX_STEPS_KEY: STEPS}))
    text = text_of(at)
    assert "Recent training batches (smoothed): CNN loss" in text
    assert "dense network loss" in text
    assert "**Test accuracy:** CNN" in text and "dense network" in text
    assert [m.label for m in at.metric] == ["CNN: test accuracy", "Dense network: test accuracy"]
    assert all(m.value.endswith(" %") for m in at.metric)
    assert "Rows: the true class; columns: the guess." in text
    assert "The CNN's biggest mix-ups: " in text
    assert "kernels the CNN's first layer learned" in text
    assert len(at.get("image")) >= 3  # the augmentation preview, the matrix, the kernels
    job = at.session_state["train.job"]
    results = job.view().results
    assert {r.steps for r in results.values()} == {STEPS}
    assert results["CNN"].confusion.sum() == 10_000
    assert at.dataframe[0].value["CNN test %"].iloc[-1] == round(
        100 * results["CNN"].test_accuracy, 1
    )
    assert training.training_queue().counts() == (0, 0)  # the slot was given back
    assert assets_digest() == before  # the shipped files were not touched


def shipped_digest() -> str:
    """sha256 over the weights of the shipped model the "Inside a CNN" page shares."""
    from ui.inside import weights_digest
    from ui.models import shipped_model

    return weights_digest(shipped_model("fashion-mnist"))


@needs_data
def test_the_session_model_is_used_on_the_inside_page(open_page, app_file):
    """After training, "Inside a CNN" offers and runs this session's model; another session
    only has the shipped one, which training left unchanged."""
    shipped = shipped_digest()
    at = short_race(open_page(**{training.MAX_STEPS_KEY: STEPS}))
    user = at.session_state["user_model"]
    assert isinstance(user, UserModel) and user.dataset == "fashion-mnist"
    assert not user.model.training
    assert not any(p.requires_grad for p in user.model.parameters())
    trained = at.session_state["train.job"].model
    assert user.model is not trained  # a private copy
    for mine, theirs in zip(user.model.parameters(), trained.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs)

    at.switch_page("pages/inside_cnn.py").run()
    assert not at.exception, at.exception
    assert any(user.title in label for label in at.radio(key="inside.model").options)
    at.radio(key="inside.model").set_value(YOURS).run()
    assert not at.exception, at.exception
    assert "conv1 `16 × 26 × 26`" in text_of(at)  # the shipped model has 32 filters

    other = AppTest.from_file(app_file, default_timeout=120).run()
    other.switch_page("pages/inside_cnn.py").run()
    assert not any("Your CNN" in label for label in other.radio(key="inside.model").options)
    assert "conv1 `32 × 26 × 26`" in text_of(other)
    assert shipped_digest() == shipped


@needs_data
def test_stop_ends_the_training_without_a_model(open_page):
    """Pressing Stop ends the race early; nothing is published."""
    at = open_page()
    at.select_slider(key="train.subset").set_value(60_000)
    at.select_slider(key="train.budget").set_value(60).run()
    at.button(key="train.start").click().run()
    at.button(key="train.stop").click().run()
    wait(at, seconds=120)
    assert at.session_state["train.job"].view().status == "stopped"
    assert "Stopped. Change the settings" in text_of(at)
    assert "user_model" not in at.session_state
    assert training.training_queue().counts() == (0, 0)


def test_the_queue_lets_one_train_and_shows_the_others_their_place():
    """One slot, three jobs: positions 1 and 2 wait; freeing the slot lets the first in line go."""
    queue = training.TrainingQueue(slots=1)
    jobs = [training.Job(training.DEFAULT_PLAN) for _ in range(3)]
    turns: list[int] = []

    def take_turn(i: int) -> None:
        if queue.wait_for_turn(jobs[i], jobs[i].stop.is_set):
            turns.append(i)

    threads = []
    for i in range(3):
        threads.append(threading.Thread(target=take_turn, args=(i,), daemon=True))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while queue.counts() != (1, i) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert turns == [0] and queue.counts() == (1, 2)
    assert [queue.position(j) for j in jobs] == [0, 1, 2]

    jobs[2].stop.set()  # the last one gives up: it leaves the line
    threads[2].join(timeout=5)
    assert queue.counts() == (1, 1) and queue.position(jobs[2]) == 0

    queue.release(seconds=12.0)
    threads[1].join(timeout=5)
    assert turns == [0, 1] and queue.counts() == (1, 0)
    assert queue.typical_seconds() == 12.0
    queue.release(seconds=8.0)
    assert queue.counts() == (0, 0)


def tiny_splits(n: int = 600, seed: int = 0) -> training.Splits:
    """Synthetic data in the Splits shape: class 0 a vertical bar, class 1 a horizontal one."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    labels = np.arange(n) % 2
    images[labels == 0, 4:24, 12:16] = 255
    images[labels == 1, 12:16, 4:24] = 255
    return training.Splits(images, labels, images[:200], labels[:200], images[:100])


@pytest.mark.parametrize(
    "moves", [AugmentConfig(), AugmentConfig(shift=2, rotation=10)], ids=["plain", "moved"]
)
def test_a_race_on_tiny_data_gives_both_networks_the_same_passes(moves):
    """Equal passes: both take the same steps over the same images; curves and results fill."""
    plan = replace(
        training.DEFAULT_PLAN,
        subset=600,
        budget=None,
        epochs=2,
        batch_size=100,
        cnn=CNNConfig(channels=(4,), dense=16, dropout=0.0),
        augment=moves,
    )
    job = training.Job(plan)
    training.run_race(plan, tiny_splits(), job)
    view = job.view()
    assert view.status == "done" and view.error is None
    cnn, mlp = view.results["CNN"], view.results["dense network"]
    assert cnn.steps == mlp.steps == cnn.planned == 12 and cnn.passes == mlp.passes == 2.0
    assert {p["model"] for p in view.points} == {"CNN", "dense network"}
    assert max(p["passes"] for p in view.points) == 2.0
    assert cnn.confusion.shape == (10, 10) and cnn.confusion.sum() == 200
    assert cnn.ended == mlp.ended == "planned"
    assert job.kernels.shape == (4, 1, 3, 3)
    assert (view.prepare_seconds > 0) == moves.active


def test_a_race_stops_when_asked():
    """A stop before training ends the race as "stopped", with no results."""
    plan = replace(training.DEFAULT_PLAN, subset=600, budget=None, epochs=1)
    job = training.Job(plan)
    job.stop.set()
    training.run_race(plan, tiny_splits(), job)
    assert job.view().status == "stopped" and job.view().results == {}


def result(name: str, accuracy: float, passes: float, seconds: float) -> training.ModelResult:
    return training.ModelResult(
        name, 1, accuracy, accuracy, seconds, 10, passes, np.eye(10, dtype=np.int64), 10, "planned"
    )


def test_the_verdict_says_who_won_and_the_price():
    """Per pass and per second, in words that match the numbers."""
    cnn, mlp = result("CNN", 0.89, 2.0, 30.0), result("dense network", 0.86, 2.0, 3.0)
    text = training.verdict(cnn, mlp)
    assert text.startswith("The CNN is **3.0 points ahead** after the same 2.00 passes.")
    assert "(10 times longer)" in text and "Per pass the CNN learns more" in text
    behind = training.verdict(
        result("CNN", 0.80, 0.2, 20.0), result("dense network", 0.86, 0.2, 3.0)
    )
    assert behind.startswith("The dense network is **6.0 points ahead**")
    assert "has not caught up yet" in behind
    same_time = training.verdict(cnn, result("dense network", 0.895, 21.0, 30.0))
    assert "in the same time" in same_time and "made 21.0 passes" in same_time


def test_the_figures_draw_every_cell_and_kernel():
    """The confusion figure writes all 100 counts; the kernel grid has one image per kernel."""
    matrix = np.arange(100).reshape(10, 10)
    figure = training.confusion_figure(matrix, tuple("abcdefghij"))
    assert len(figure.axes[0].texts) == 100
    kernels = np.random.default_rng(0).normal(size=(12, 1, 3, 3))
    grid = training.kernels_figure(kernels)
    assert sum(len(ax.images) for ax in grid.axes) == 12


@needs_data
def test_the_first_layer_question_is_answerable(open_page):
    """The parameter question's answer is filters x (k x k + 1), from the page's settings."""
    at = open_page()
    filters = at.select_slider(key="train.filters").value
    radio = next(r for r in at.radio if r.key.startswith("train.answer."))
    radio.set_value(f"{filters * (3 * 3 + 1):,}").run()
    assert any(s.value.startswith("Right") for s in at.success)
