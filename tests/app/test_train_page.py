"""The Train page: settings and counts, a short race with its results, this session's model,
the Stop button, students sharing a race or watching one while theirs waits, and the page
without data."""

from __future__ import annotations

import hashlib
import time
from contextlib import suppress
from dataclasses import replace
from itertools import product
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnviz.data import dataset_available
from cnnviz.model import CNN, MLP, CNNConfig, count_parameters
from cnnviz.model_file import offered
from cnnviz.race import DEFAULT_PLAN, ModelResult
from pages.inside_cnn.model import YOURS
from pages.train import race as train_race
from pages.train import results as train_results
from pages.train import settings as train_settings
from tests.app.conftest import APP, quiz_of, text_of
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


def assert_idle(seconds: float = 30) -> None:
    """The class's hall has nothing running or waiting (within ``seconds``)."""
    hall, _ = train_race.training_hall()
    deadline = time.monotonic() + seconds
    while hall.counts() != (0, 0):
        assert time.monotonic() < deadline, f"the hall is still busy: {hall.counts()}"
        time.sleep(0.1)


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
    default = count_parameters(CNN(DEFAULT_PLAN.cnn))
    assert f"**{default:,}** numbers to learn in the CNN" in text_of(at)
    assert f"**{count_parameters(MLP()):,}** in the dense network" in text_of(at)
    at.segmented_control(key="train.blocks").set_value(3).run()
    first = DEFAULT_PLAN.cnn.channels[0]
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
    at = short_race(open_page(**{train_settings.MAX_STEPS_KEY: STEPS}))
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
    assert_idle()  # the slot was given back
    assert assets_digest() == before  # the shipped files were not touched


def shipped_digest() -> str:
    """sha256 over the weights of the shipped model the "Inside a CNN" page shares."""
    from pages.inside_cnn.model import weights_digest
    from ui.models import shipped_model

    return weights_digest(shipped_model("fashion-mnist"))


@needs_data
def test_the_session_model_is_used_on_the_inside_page(open_page, app_file):
    """After training, "Inside a CNN" offers and runs this session's model; another session
    only has the shipped one, which training left unchanged."""
    shipped = shipped_digest()
    at = short_race(open_page(**{train_settings.MAX_STEPS_KEY: STEPS}))
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
    assert_idle()


def result(name: str, accuracy: float, passes: float, seconds: float) -> ModelResult:
    return ModelResult(
        name, 1, accuracy, accuracy, seconds, 30.0, 10, passes, np.eye(10), 10, "planned"
    )


def test_the_verdict_says_who_won_and_the_price():
    """Per pass and per second, in words that match the numbers."""
    cnn, mlp = result("CNN", 0.89, 2.0, 30.0), result("dense network", 0.86, 2.0, 3.0)
    text = train_results.verdict(cnn, mlp)
    assert text.startswith("The CNN is **3.0 points ahead** after the same 2.00 passes.")
    assert "used 3.0 s of the processor, the CNN's 30.0 s (10 times longer)" in text
    assert "Per pass the CNN learns more" in text
    behind = train_results.verdict(
        result("CNN", 0.80, 0.2, 20.0), result("dense network", 0.86, 0.2, 3.0)
    )
    assert behind.startswith("The dense network is **6.0 points ahead**")
    assert "has not caught up yet" in behind
    same_time = train_results.verdict(cnn, result("dense network", 0.895, 21.0, 30.0))
    assert "in the same time" in same_time and "In the same 30 s" in same_time
    assert "made 21.0 passes" in same_time


@needs_data
def test_the_first_layer_question_is_answerable(open_page):
    """The parameter question's answer is filters x (k x k + 1), from the page's settings."""
    at = open_page()
    filters = at.select_slider(key="train.filters").value
    (question,) = quiz_of(at, "train")["questions"]
    assert question["answer"] == f"{filters * (3 * 3 + 1):,}" and len(question["choices"]) > 1
    assert question["renew"] is False  # about these settings: no New question to press
    at.sidebar.toggle(key="quiz.teacher").set_value(True).run()  # the teacher's switch is here
    assert quiz_of(at, "train")["showAll"] is True
    assert question["answer"] in question["choices"] and question["answer"] in question["why"]


def press_train(at: AppTest, subset: int, epochs: int | None = None) -> AppTest:
    """Pick ``subset`` images (and ``epochs`` passes, else the default time budget), press Train."""
    at.select_slider(key="train.subset").set_value(subset)
    if epochs is not None:
        at.segmented_control(key="train.mode").set_value("epochs").run()
        at.select_slider(key="train.epochs").set_value(epochs)
    at.run()
    at.button(key="train.start").click().run()
    assert not at.exception, at.exception
    return at


def poll_until(at: AppTest, words: str, seconds: float = 120) -> str:
    """Rerun the page (as its polling does) until its text contains ``words``; the text."""
    deadline = time.monotonic() + seconds
    while words not in (text := text_of(at)):
        assert time.monotonic() < deadline, f"never saw {words!r} in:\n{text}"
        time.sleep(0.5)
        at.run()
    return text


@needs_data
def test_two_students_with_the_same_settings_watch_one_race(open_page):
    """The second student's Train joins the first one's race: one race, two watchers, the same
    curves; when it ends both have the results, and each its own copy of the model."""
    first = press_train(open_page(**{train_settings.MAX_STEPS_KEY: 40}), 5_000)
    second = press_train(open_page(**{train_settings.MAX_STEPS_KEY: 40}), 5_000)
    race = first.session_state["train.job"]
    assert second.session_state["train.job"] is race
    assert race.watchers() == 2
    assert train_race.training_hall()[0].counts() in ((1, 0), (0, 1))  # one race, not two
    text = poll_until(second, "Recent training batches (smoothed): CNN loss")
    if race.active:
        assert "2 students watching this race" in text
    wait(first)
    wait(second)
    assert "**Test accuracy:** CNN" in text_of(first) and "**Test accuracy:** CNN" in text_of(
        second
    )
    assert "Another student started this race with the same settings" in text_of(second)
    mine, theirs = first.session_state["user_model"], second.session_state["user_model"]
    assert mine.model is not theirs.model and mine.test_accuracy == theirs.test_accuracy
    assert_idle()


@needs_data
def test_a_student_whose_race_waits_watches_the_running_one(open_page, monkeypatch):
    """One race at a time: the second student is told they are next and when, and meanwhile
    sees the running race's settings and curves; once the first stops, theirs trains."""
    monkeypatch.setenv("CNNVIZ_TRAINING_SLOTS", "1")
    train_race.training_hall.clear()  # a hall with one slot, whatever this machine's cores
    first = press_train(open_page(), 60_000)  # the 20 s default budget
    second = press_train(open_page(**{train_settings.MAX_STEPS_KEY: STEPS}), 1_000, epochs=1)
    mine = second.session_state["train.job"]
    assert mine is not first.session_state["train.job"]
    text = poll_until(second, "Recent training batches (smoothed): CNN loss")
    assert "1 race is training now; yours is number **1** in line and starts in " in text
    assert (
        "Meanwhile, watch the race training now:** Fashion-MNIST (clothes), 60,000 images" in text
    )
    first.button(key="train.stop").click().run()
    wait(second)
    assert mine.view().status == "done" and "**Test accuracy:** CNN" in text_of(second)
    assert first.session_state["train.job"].view().status == "stopped"
    assert_idle()
    train_race.training_hall.clear()


def test_every_cnn_the_page_offers_can_be_kept_as_a_file():
    """The blocks, filters, kernels and poolings the widgets offer make exactly the networks a
    network file may hold (cnnviz.model_file.offered), less those whose picture vanishes."""
    keys = ("train.blocks", "train.filters", "train.kernel", "train.pool")
    made = set()
    for blocks, first, kernel, pool in product(
        *(train_settings.WIDGETS[k][1].options for k in keys)
    ):
        channels = tuple(first * 2**i for i in range(blocks))
        with suppress(ValueError):  # the picture shrinks to nothing: the page says so
            made.add(replace(DEFAULT_PLAN.cnn, channels=channels, kernel_size=kernel, pool=pool))
    assert made == set(offered())
