"""Train page pieces: the settings, the class-wide queue, the training thread and the results.

A training runs in a background thread, one per session. That thread never calls Streamlit: it
writes into the session's :class:`Job` (a plain object guarded by a lock), and the page reads
the Job from an ``st.fragment(run_every=...)`` that polls once a second.

Threads and cores. A training thread calls ``torch.set_num_threads(TRAINING_THREADS)`` (1 by
default). That call is process-global in effect: it sets the calling thread's OpenMP team size
and the default every thread started later inherits (threads already running keep theirs; we
checked), so after the first training every later page run also does its torch work on one
thread. On a shared CPU server that is what we want: measured here with other work running, a
training step with 2 threads took 7x longer than with 1, because each threaded operation waits
for a thread the OS has parked. Capacity comes from running several trainings instead: the
class-wide :class:`TrainingQueue` lets ``(cores - 1) // TRAINING_THREADS`` run at once (at least
1; one core stays free to serve the pages), the others wait in line and see their position.
$CNNVIZ_TRAINING_THREADS and $CNNVIZ_TRAINING_SLOTS override both.
"""

from __future__ import annotations

import copy
import math
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch
from matplotlib.figure import Figure

from cnnviz.augmentation import NO_AUGMENTATION, AugmentConfig, augment_images, preview
from cnnviz.confusion import confusion_matrix, most_confused
from cnnviz.data import (
    CLASS_NAMES,
    DatasetError,
    data_root,
    dataset_available,
    load_dataset,
)
from cnnviz.messages import without_paths
from cnnviz.model import CNN, MLP, POOL_MODES, CNNConfig, count_parameters, layer_shapes
from cnnviz.plotting import figure_png
from cnnviz.train import TrainConfig, TrainProgress, evaluate, train
from ui import address, views
from ui.datasets import TITLES, offer_download
from ui.user_model import set_user_model

SUBSETS = (1_000, 5_000, 10_000, 20_000, 30_000, 60_000)  # training images to use
BUDGETS = (10, 20, 30, 45, 60)  # seconds of training for the CNN
RATES = (0.0003, 0.001, 0.003, 0.01, 0.03)  # peak learning rates
EPOCHS = (1, 2, 3, 4, 5, 8, 10, 15, 20)  # passes over the training images
FILTERS = (4, 8, 16, 32, 64)  # filters of the first conv block; each further block doubles
KERNEL_SIZES = (3, 5, 7)
POOL_TITLES = {"max": "Max", "avg": "Average", "none": "None"}
CNN_NAME, MLP_NAME = "CNN", "dense network"
COLOURS = {CNN_NAME: "#1f6feb", MLP_NAME: "#e8710a"}
MOVED_TEST = AugmentConfig(shift=2, rotation=10)  # the "moved test images" check
MOVED_COUNT = 5_000  # test images moved for that check (half the test set: it costs time)
PROBE_STEPS = 12  # steps timed to plan a time budget (the median step counts)
MAX_COPIES = 3  # moved copies of the training images made at once; later passes reuse them
POLL_SECONDS = 1.0  # how often the page asks a running training for news
ABANDON_SECONDS = 180.0  # a training whose page stopped asking for this long is ended
CURVE_POINTS = 200  # at most this many points per model on the live curves
MAX_STEPS_KEY = "train.max_steps"  # session key: tests cap each model's steps with it
JOB_KEY, RUNS_KEY = "train.job", "train.runs"


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


CAP_SECONDS = _env_number("CNNVIZ_TRAIN_CAP_SECONDS", 120.0)  # per model, whatever was asked
TRAINING_THREADS = max(1, int(_env_number("CNNVIZ_TRAINING_THREADS", 1)))  # torch threads each


@dataclass(frozen=True)
class Plan:
    """One race between the CNN and the dense network: the data, the budget, the networks."""

    dataset: str = "fashion-mnist"  # "fashion-mnist" or "mnist"
    subset: int = 60_000  # training images drawn (seeded) from the 60,000
    budget: float | None = 30.0  # seconds of CNN training; None: train for `epochs` passes
    epochs: int = 2  # passes over the training images when there is no budget
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule
    batch_size: int = 256  # images per step
    cnn: CNNConfig = CNNConfig(channels=(16,), dropout=0.0)  # one block: fast on a CPU
    mlp_hidden: tuple[int, ...] = (128,)  # the dense network's hidden layer(s)
    augment: AugmentConfig = NO_AUGMENTATION  # random moves of the training images
    mlp_match: Literal["epochs", "time"] = "epochs"  # the dense network gets equal passes or time
    seed: int = 0  # seeds the subset, the weights, the order and the moves
    max_steps: int | None = None  # stop each model after this many steps (tests)
    cap: float = CAP_SECONDS  # the server's time cap per model, in seconds


DEFAULT_PLAN = Plan()


class Splits(NamedTuple):
    """A dataset in memory, read-only, shared by every session."""

    train_images: np.ndarray  # uint8 (60000, 28, 28)
    train_labels: np.ndarray  # int64 (60000,)
    test_images: np.ndarray  # uint8 (10000, 28, 28)
    test_labels: np.ndarray  # int64 (10000,)
    moved_test_images: np.ndarray  # uint8 (MOVED_COUNT, 28, 28): test images moved by MOVED_TEST


def read_splits(dataset: str, root: str | None = None) -> Splits:
    """Load both splits of ``dataset`` from ``root`` (default: $CNNVIZ_DATA_DIR); uncached."""
    train_x, train_y = load_dataset(dataset, "train", root=root)
    test_x, test_y = load_dataset(dataset, "test", root=root)
    moved = augment_images(test_x[:MOVED_COUNT], MOVED_TEST, seed=12345)
    arrays = Splits(train_x, train_y, test_x, test_y, moved)
    for array in arrays:
        array.setflags(write=False)  # shared by every user: nobody may write into it
    return arrays


# --- what a training reports ------------------------------------------------------------------


@dataclass(frozen=True)
class ModelResult:
    """One network's outcome."""

    name: str  # CNN_NAME or MLP_NAME
    parameters: int  # learnable numbers
    test_accuracy: float  # on the test images, in [0, 1]
    moved_accuracy: float  # on the same test images moved by MOVED_TEST
    seconds: float  # wall-clock training time, including timing the speed for a budget
    steps: int  # optimisation steps
    passes: float  # images seen / training images: the epochs, fractional
    confusion: np.ndarray  # int64 (10, 10): [true class, predicted class]
    planned: int  # steps the one-cycle schedule was planned for
    ended: str  # "planned", "budget" (time ran out early) or "cap" (the server's time cap)


class JobView(NamedTuple):
    """A consistent copy of a Job for the page to draw."""

    status: str
    phase: str
    step: int
    total: int
    points: list[dict]
    results: dict[str, ModelResult]
    error: str | None
    prepare_seconds: float


class Job:
    """One session's race. The training thread writes, the page reads; both through the lock."""

    def __init__(self, plan: Plan) -> None:
        self.id = uuid.uuid4().hex[:12]  # names this job's figures in the caches
        self.plan = plan
        self.stop = threading.Event()  # set by the Stop button
        self.published = False  # the page has stored the trained CNN for this user
        self.model: CNN | None = None  # the trained CNN, once done
        self.kernels: np.ndarray | None = None  # (C, 1, k, k) first-layer weights, once done
        self._lock = threading.Lock()
        self._seen = time.monotonic()
        self._status = "waiting"  # waiting, running, done, stopped, failed
        self._phase = "Waiting for a free trainer"
        self._step = self._total = 0
        self._points: list[dict] = []
        self._results: dict[str, ModelResult] = {}
        self._error: str | None = None
        self._prepare = 0.0

    # The page's side.
    def touch(self) -> None:
        """The page is still open: keep the training alive."""
        with self._lock:
            self._seen = time.monotonic()

    @property
    def active(self) -> bool:
        with self._lock:
            return self._status in ("waiting", "running")

    def view(self) -> JobView:
        with self._lock:
            return JobView(
                self._status,
                self._phase,
                self._step,
                self._total,
                list(self._points),
                dict(self._results),
                self._error,
                self._prepare,
            )

    # The training thread's side.
    def should_stop(self) -> bool:
        """Stop pressed, or nobody has looked at the page for ABANDON_SECONDS."""
        with self._lock:
            gone = time.monotonic() - self._seen > ABANDON_SECONDS
        return self.stop.is_set() or gone

    def set_phase(self, phase: str, status: str = "running") -> None:
        """A new phase; its steps (if any) start from 0."""
        with self._lock:
            self._phase, self._status, self._step, self._total = phase, status, 0, 0

    def set_step(self, step: int, total: int, point: dict | None) -> None:
        with self._lock:
            self._step, self._total = step, total
            if point is not None:
                self._points.append(point)

    def add_result(self, result: ModelResult) -> None:
        with self._lock:
            self._results[result.name] = result

    def add_prepare(self, seconds: float) -> None:
        with self._lock:
            self._prepare += seconds

    def end(self, status: str, error: str | None = None) -> None:
        with self._lock:
            self._status, self._error = status, error
            self._phase = {"done": "Done", "stopped": "Stopped", "failed": "Failed"}[status]


# --- the race (plain Python: the training thread and bench/train_race.py run it) ---------------


class _Curve:
    """Turns train()'s per-epoch running means back into batch numbers, then smooths them."""

    def __init__(self, name: str, job: Job, epoch_images: int, subset: int, every: int):
        self.name, self.job, self.every = name, job, every  # record every n-th step
        self.epoch_images, self.subset = epoch_images, subset  # images per epoch of train()
        self.batch, self.offset = job.plan.batch_size, 0.0  # offset: seconds spent before
        self.epoch, self.sums = 0, (0.0, 0.0, 0)  # this epoch's loss, hits and images so far
        self.smooth, self.weight, self.seen = [0.0, 0.0], 0.0, 0

    def __call__(self, p: TrainProgress) -> None:
        if p.epoch != self.epoch:
            self.epoch, self.sums = p.epoch, (0.0, 0.0, 0)
        count = min(self.sums[2] + self.batch, self.epoch_images)  # images seen this epoch
        loss_sum, hit_sum, size = p.loss * count, p.accuracy * count, count - self.sums[2]
        batch = ((loss_sum - self.sums[0]) / size, (hit_sum - self.sums[1]) / size)
        self.sums, self.seen = (loss_sum, hit_sum, count), self.seen + size
        beta = 0.9  # an exponential average over about ten batches, bias-corrected below
        self.smooth = [beta * s + (1 - beta) * v for s, v in zip(self.smooth, batch, strict=True)]
        self.weight = beta * self.weight + (1 - beta)
        point = None
        if p.step % self.every == 0 or p.step == p.total_steps:
            point = {
                "model": self.name,
                "passes": round(self.seen / self.subset, 4),
                "seconds": round(self.offset + p.elapsed, 2),
                "loss": self.smooth[0] / self.weight,
                "accuracy": 100 * self.smooth[1] / self.weight,
            }
        self.job.set_step(p.step, p.total_steps, point)


def _train_config(plan: Plan, steps: int, images: int) -> TrainConfig:
    """Enough epochs over ``images`` for ``steps`` steps; no built-in moves (ours come first)."""
    epochs = math.ceil(steps / math.ceil(images / plan.batch_size))
    return TrainConfig(
        epochs=epochs, batch_size=plan.batch_size, lr=plan.lr, shift=0, seed=plan.seed
    )


def _plan_steps(name: str, model, x, y, plan: Plan, job: Job, budget: float) -> tuple[int, float]:
    """Steps that fit ``budget`` seconds, timed on a throwaway copy: ``(steps, seconds spent)``.

    The one-cycle schedule is then planned for exactly those steps, so the learning rate has
    cooled down when the time is up.
    """
    job.set_phase(f"Timing this computer's speed for the {name}")
    start = time.perf_counter()
    n = min(len(x), plan.batch_size * PROBE_STEPS)
    times: list[float] = []
    train(
        copy.deepcopy(model),
        x[:n],
        y[:n],
        _train_config(plan, PROBE_STEPS, n),
        progress=lambda p: times.append(p.elapsed),
        max_steps=PROBE_STEPS,
        should_stop=job.should_stop,
    )
    spent = time.perf_counter() - start
    per_step = float(np.median(np.diff(times))) if len(times) > 2 else spent / max(len(times), 1)
    return max(1, int(0.88 * (budget - spent) / per_step)), spent  # a margin for bookkeeping


def _fit(name, model, data, plan: Plan, job: Job, steps: int, budget: float | None, spent: float):
    """Train ``model`` for ``steps`` steps within its time: ``(steps, planned, seconds, ended)``.

    ``spent`` seconds (timing the speed) count towards ``budget``; the server's cap always holds.
    """
    x, y = data
    if plan.max_steps is not None:
        steps = min(steps, plan.max_steps)
    limit = plan.cap if budget is None else min(budget, plan.cap)
    job.set_phase(f"Training the {name}")
    subset = min(plan.subset, len(x))
    curve = _Curve(name, job, len(x), subset, max(1, steps // CURVE_POINTS))
    curve.offset = spent
    start = time.perf_counter() - spent
    last = [time.perf_counter()]  # when the previous step ended

    def out_of_time() -> bool:
        """Stop when one more step (as long as the last one) would overrun the limit."""
        now = time.perf_counter()
        step, last[0] = now - last[0], now
        return now - start + step > limit

    history = train(
        model,
        x,
        y,
        _train_config(plan, steps, len(x)),
        progress=curve,
        max_steps=steps,
        should_stop=lambda: job.should_stop() or out_of_time(),
    )
    ended = "planned"
    if history.stopped and not job.should_stop():
        ended = "cap" if limit >= plan.cap else "budget"
    return history.steps, steps, time.perf_counter() - start, ended


def _subset(plan: Plan, splits: Splits) -> tuple[np.ndarray, np.ndarray]:
    """``plan.subset`` training images drawn with the plan's seed, in their original order."""
    rng = np.random.default_rng(plan.seed)
    n = min(plan.subset, len(splits.train_images))
    index = np.sort(rng.choice(len(splits.train_images), n, replace=False))
    return splits.train_images[index], splits.train_labels[index]


def _moved_copies(x, y, plan: Plan, job: Job, passes: int) -> tuple[np.ndarray, np.ndarray]:
    """``passes`` differently moved copies laid end to end (at most MAX_COPIES, then reused).

    train() has no hook for our moves, so they are made up front: one pass over this array
    is ``copies`` passes over the subset, each with fresh moves.
    """
    if not plan.augment.active:
        return x, y
    job.set_phase("Making moved copies of the training images")
    start = time.perf_counter()
    copies = [
        augment_images(x, plan.augment, seed=plan.seed + 1 + i)
        for i in range(max(1, min(passes, MAX_COPIES)))
    ]
    job.add_prepare(time.perf_counter() - start)
    return np.concatenate(copies), np.tile(y, len(copies))


def _result(name, model, fit, plan, splits, job) -> ModelResult:
    """Test ``model``; ``fit`` is what :func:`_fit` returned."""
    steps, planned, seconds, ended = fit
    job.set_phase(f"Testing the {name} on {len(splits.test_labels):,} new images")
    accuracy, predicted = evaluate(model, splits.test_images, splits.test_labels)
    moved_labels = splits.test_labels[: len(splits.moved_test_images)]  # the first ones, moved
    moved, _ = evaluate(model, splits.moved_test_images, moved_labels)
    classes = len(CLASS_NAMES[plan.dataset])
    return ModelResult(
        name=name,
        parameters=count_parameters(model),
        test_accuracy=accuracy,
        moved_accuracy=moved,
        seconds=seconds,
        steps=steps,
        passes=steps * plan.batch_size / min(plan.subset, len(splits.train_images)),
        confusion=confusion_matrix(splits.test_labels, predicted, classes),
        planned=planned,
        ended=ended,
    )


def build_models(plan: Plan, pixels: np.ndarray) -> tuple[CNN, MLP]:
    """The CNN and the dense network, seeded, normalised with the training pixels' statistics."""
    mean, std = float(pixels.mean()) / 255, float(pixels.std()) / 255
    with torch.random.fork_rng(devices=[]):  # seeds the weights without touching anyone else's
        torch.manual_seed(plan.seed)
        cnn = CNN(plan.cnn, mean=mean, std=std)
        mlp = MLP(plan.mlp_hidden, mean=mean, std=std)
    return cnn, mlp


def warm_up() -> None:
    """Pay torch's one-time costs (an optimiser's first use imports a lot) before timing."""
    layer = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(layer.parameters())
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 1e-3, total_steps=2)
    layer(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    schedule.step()


def run_race(plan: Plan, splits: Splits, job: Job) -> None:
    """Train the CNN, then the dense network on the same data; test both; fill ``job``."""
    warm_up()
    x, y = _subset(plan, splits)
    cnn, mlp = build_models(plan, x)
    per_pass = math.ceil(len(x) / plan.batch_size)
    steps, spent = plan.epochs * per_pass, 0.0
    if plan.budget is not None:
        steps, spent = _plan_steps(CNN_NAME, cnn, x, y, plan, job, plan.budget)
    data = _moved_copies(x, y, plan, job, passes=math.ceil(steps / per_pass))
    fit = _fit(CNN_NAME, cnn, data, plan, job, steps, plan.budget, spent)
    if job.should_stop():
        return job.end("stopped")
    job.add_result(_result(CNN_NAME, cnn, fit, plan, splits, job))
    job.model, job.kernels = cnn, cnn.conv1.weight.detach().numpy().copy()
    steps, seconds = fit[0], fit[2]
    budget, spent = None, 0.0  # equal passes: the same number of steps
    if plan.mlp_match == "time":
        budget = seconds
        steps, spent = _plan_steps(MLP_NAME, mlp, x, y, plan, job, budget)
    fit = _fit(MLP_NAME, mlp, data, plan, job, steps, budget, spent)
    if job.should_stop():
        return job.end("stopped")
    job.add_result(_result(MLP_NAME, mlp, fit, plan, splits, job))
    job.end("done")


# --- the class-wide queue ----------------------------------------------------------------------


def default_slots() -> int:
    """Trainings at once: one core for the pages, the rest trains (or $CNNVIZ_TRAINING_SLOTS)."""
    spare = ((os.cpu_count() or 1) - 1) // TRAINING_THREADS
    return max(1, int(_env_number("CNNVIZ_TRAINING_SLOTS", spare)))


class TrainingQueue:
    """First come, first served: at most ``slots`` trainings run; the others wait in line."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._changed = threading.Condition()
        self._line: deque[Job] = deque()  # waiting jobs, first in line first
        self._running = 0
        self._durations: deque[float] = deque(maxlen=10)  # seconds of recent trainings

    def wait_for_turn(self, job: Job, give_up: Callable[[], bool]) -> bool:
        """Block until ``job`` may train (True) or ``give_up()`` says so (False)."""
        with self._changed:
            self._line.append(job)
        try:
            while not give_up():
                with self._changed:
                    first = self._line[0] is job
                    if not first:
                        self._changed.wait(timeout=0.25)
                        continue
                if self._free.acquire(timeout=0.25):
                    with self._changed:
                        self._line.popleft()
                        self._running += 1
                        self._changed.notify_all()
                    return True
            return False
        finally:
            with self._changed:
                if job in self._line:
                    self._line.remove(job)
                    self._changed.notify_all()

    def release(self, seconds: float) -> None:
        """A training ended after ``seconds``: free its slot."""
        with self._changed:
            self._running -= 1
            self._durations.append(seconds)
            self._changed.notify_all()
        self._free.release()

    def position(self, job: Job) -> int:
        """1 for the first in line, 2 for the next...; 0 when not waiting."""
        with self._changed:
            return next((i for i, j in enumerate(self._line, start=1) if j is job), 0)

    def counts(self) -> tuple[int, int]:
        """``(running, waiting)``."""
        with self._changed:
            return self._running, len(self._line)

    def typical_seconds(self) -> float | None:
        """Median length of the recent trainings, None before the first one."""
        with self._changed:
            return float(np.median(self._durations)) if self._durations else None


def _work(queue: TrainingQueue, job: Job, splits: Splits) -> None:
    """The training thread: wait for a turn, race, always free the slot. No Streamlit here."""
    try:
        if not queue.wait_for_turn(job, job.should_stop):
            return job.end("stopped")
        start = time.perf_counter()
        try:
            job.set_phase("Starting")
            torch.set_num_threads(TRAINING_THREADS)  # process-global: see the module docstring
            run_race(job.plan, splits, job)
        finally:
            queue.release(time.perf_counter() - start)
    except Exception as error:  # shown on the page instead of dying silently in a thread
        job.end("failed", f"{type(error).__name__}: {without_paths(str(error))}")


# --- Streamlit: cached resources ---------------------------------------------------------------


def load_splits(dataset: str) -> Splits | None:
    """Both splits of ``dataset``, loaded once per server and shared read-only; when they are
    missing or damaged, None after saying so and offering the download."""
    if not dataset_available(dataset):
        offer_download(
            dataset, key="train.download", what="images", meanwhile="Training needs them."
        )
        return None
    try:
        return _load_splits(dataset, str(data_root()))
    except DatasetError as error:
        st.error(f"The {TITLES[dataset]} files are damaged: {error}", icon=":material/error:")
        offer_download(
            dataset, key="train.download", what="images", meanwhile="Training needs them."
        )
        return None


@st.cache_resource(max_entries=4, show_spinner="Loading the images (once for the whole class)…")
def _load_splits(dataset: str, root: str) -> Splits:
    return read_splits(dataset, root)


@st.cache_resource
def training_queue() -> TrainingQueue:
    """The one queue every session of this server shares."""
    return TrainingQueue(default_slots())


@st.cache_data(max_entries=32, show_spinner=False)
def preview_picture(dataset: str, augment: AugmentConfig, _images: np.ndarray) -> np.ndarray:
    """uint8 ``(H', W')``: the samples side by side, originals on top, moved copies below."""
    grid = preview(_images, augment, variants=3 if augment.active else 0, seed=7)  # (n, v, h, w)
    framed = np.pad(grid, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=128)  # grey frames
    rows = [np.concatenate(list(framed[:, v]), axis=1) for v in range(framed.shape[1])]
    picture = np.concatenate(rows, axis=0)  # (v * 30, n * 30)
    return np.repeat(np.repeat(picture, 3, 0), 3, 1)  # sharp pixels, readable on a projector


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(kind: str, key: str, _values: np.ndarray, labels: tuple[str, ...] = ()) -> bytes:
    builder = confusion_figure if kind == "confusion" else kernels_figure
    return figure_png(builder(_values, labels) if labels else builder(_values))


# --- Streamlit: the settings -------------------------------------------------------------------


# Every setting: key -> (widget, the address parameter it reads its options and default from).
# Keys are also the URL parameters of a share link.
_D = DEFAULT_PLAN
# fmt: off
WIDGETS = {
    key: (kind, address.Choice(key, label, options, default, show, help=help_text))
    for key, kind, label, options, default, show, help_text in (
        ("train.dataset", "radio", "Dataset", tuple(TITLES), _D.dataset, TITLES.get, None),
        ("train.subset", "select_slider", "Training images", SUBSETS, _D.subset, "{:,}".format,
         "Drawn at random (always the same draw) from the 60,000."),
        ("train.blocks", "segmented_control", "Conv blocks (conv → ReLU → pool)", (1, 2, 3),
         len(_D.cnn.channels), None, "Each block has twice the filters of the one before."),
        ("train.filters", "select_slider", "Filters in the first block", FILTERS,
         _D.cnn.channels[0], None, "How many kernels the first layer learns."),
        ("train.kernel", "segmented_control", "Kernel size", KERNEL_SIZES, _D.cnn.kernel_size,
         "{0} × {0}".format, None),
        ("train.pool", "segmented_control", "Pooling (2 × 2)", POOL_MODES, _D.cnn.pool,
         POOL_TITLES.get, None),
        ("train.mode", "segmented_control", "Train the CNN for", ("time", "epochs"), "time",
         {"time": "A time budget", "epochs": "A number of passes"}.get, None),
        ("train.budget", "select_slider", "Seconds of training", BUDGETS, _D.budget,
         "{} s".format, None),
        ("train.epochs", "select_slider", "Passes over the images (epochs)", EPOCHS, _D.epochs,
         None, None),
        ("train.lr", "select_slider", "Peak learning rate", RATES, _D.lr, "{:g}".format,
         "How big a step the optimiser takes at its fastest: it warms up to this "
         "rate, then cools down to almost 0 by the end (a one-cycle schedule)."),
        ("train.match", "radio", "The dense network gets", ("epochs", "time"), _D.mlp_match,
         {"epochs": "The same number of passes", "time": "The same time"}.get, None),
        ("train.x_axis", "segmented_control", "Curves against", ("passes", "seconds"), "passes",
         {"passes": "Passes (epochs)", "seconds": "Seconds"}.get, None),
        ("train.confusion", "segmented_control", "Confusion matrix of", (CNN_NAME, MLP_NAME),
         CNN_NAME, None, None),
    )
}
AUGMENT = (  # shift, rotation, flip
    address.Whole("train.shift", "Shift up to (pixels)", 0, 4, 0),
    address.Whole("train.rotate", "Rotate up to (degrees)", 0, 30, 0, 5),
    address.Switch("train.flip", "Mirror left-right",
                   help="Fine for clothes; a mirrored digit is not a digit."),
)
# fmt: on
PARAMS = (*(param for _, param in WIDGETS.values()), *AUGMENT)


def _widget(key: str, where=st):
    """The setting ``key`` from WIDGETS, remembered for the session and in the URL."""
    kind, param = WIDGETS[key]
    return address.choice(param, kind, where)


def settings() -> Plan | None:
    """The four groups of settings and the plan they describe (None: no CNN fits)."""
    d = DEFAULT_PLAN
    data, net, run = st.columns(3, gap="large")
    with data:
        st.subheader("1. The data")
        dataset = _widget("train.dataset")
        subset = _widget("train.subset")
    with net:
        st.subheader("2. The CNN")
        blocks = _widget("train.blocks")
        first = _widget("train.filters")
        kernel = _widget("train.kernel")
        pool = _widget("train.pool")
        cnn = _config(tuple(first * 2**i for i in range(blocks)), kernel, pool)
        if cnn is not None:
            describe_networks(cnn, d.mlp_hidden)
    with run:
        st.subheader("3. The training")
        timed = _widget("train.mode") == "time"
        budget = float(_widget("train.budget")) if timed else None
        epochs = d.epochs if timed else _widget("train.epochs")
        lr = _widget("train.lr")
        match = _widget("train.match")
    augment = augmentation_settings(dataset)
    if cnn is None:
        return None
    return replace(
        d,
        dataset=dataset,
        subset=subset,
        budget=budget,
        epochs=epochs,
        lr=lr,
        cnn=cnn,
        augment=augment,
        mlp_match=match,
        max_steps=st.session_state.get(MAX_STEPS_KEY),
    )


def _config(channels: tuple[int, ...], kernel: int, pool: str) -> CNNConfig | None:
    """The CNN config, or None (with a warning) when the picture shrinks to nothing."""
    try:
        return replace(DEFAULT_PLAN.cnn, channels=channels, kernel_size=kernel, pool=pool)
    except ValueError:
        st.warning(
            f"No CNN fits: the picture's side goes {_shrinking(channels, kernel, pool)}. Each "
            f"conv block makes it {kernel - 1} pixels smaller and each pooling halves it. Use "
            "fewer blocks, a smaller kernel or no pooling.",
            icon=":material/lightbulb:",
        )
        return None


def augmentation_settings(dataset: str) -> AugmentConfig:
    """Shift, rotation and flip controls, under their own heading."""
    st.subheader("4. Augmentation: move the training images a little")
    st.markdown(
        "[Augmentation](/glossary#augmentation) shows the network each training image a "
        "little moved, a fresh move every pass, so it cannot simply memorise pixels. It "
        "usually costs a little accuracy in a short training and pays off on moved pictures: "
        "the results below test both networks on moved test images too."
    )
    a, b, c = st.columns(3)
    shift, rotation = address.slider(AUGMENT[0], a), address.slider(AUGMENT[1], b)
    flip = address.switch(AUGMENT[2], c)
    if flip and dataset == "mnist":
        c.caption("A mirrored 2 is not a 2: flips teach the network nonsense about digits.")
    return AugmentConfig(shift=shift, rotation=float(rotation), flip=flip)


def _shrinking(channels: tuple[int, ...], kernel: int, pool: str) -> str:
    """``"28 → 22 → 11 → 5 → 2 → nothing"``: the picture's side through the blocks."""
    sides, side = ["28"], 28
    for _ in channels:
        side -= kernel - 1  # a valid convolution
        if side >= 1 and pool != "none":
            side //= 2
        if side < 1:
            return " → ".join([*sides, "nothing"])
        sides.append(str(side))
    return " → ".join(sides)


def describe_networks(cnn: CNNConfig, mlp_hidden: tuple[int, ...]) -> None:
    """Parameter counts of both networks and the CNN's shapes, updated as the settings change."""
    shapes = " → ".join(
        f"{name} {' × '.join(map(str, shape))}"
        for name, shape in layer_shapes(cnn)
        if name[:4] != "relu"
    )
    st.markdown(
        f"**{count_parameters(CNN(cnn)):,}** numbers to learn in the CNN, "
        f"**{count_parameters(MLP(mlp_hidden)):,}** in the dense network."
    )
    st.caption(
        f"CNN shapes: {shapes}. Dense network: 784 pixels → {' → '.join(map(str, mlp_hidden))} "
        "→ 10, every pixel wired to every neuron."
    )


def show_preview(plan: Plan, splits: Splits) -> None:
    """Six training images, each beside four moved copies."""
    labels = splits.train_labels
    picks = [int(np.flatnonzero(labels == c)[0]) for c in range(6)]  # six different classes
    picture = preview_picture(plan.dataset, plan.augment, splits.train_images[picks])
    if plan.augment.active:
        caption = (
            "Top row: the originals. Below: three copies as training might see them "
            f"({plan.augment.describe()}). Each pass over the data gets fresh moves."
        )
    else:
        caption = "Augmentation is off: training sees the images exactly as they are."
    views.show(st, picture, caption=caption, width=picture.shape[1])


# --- Streamlit: the race -----------------------------------------------------------------------


def current_job() -> Job | None:
    job = st.session_state.get(JOB_KEY)
    return job if isinstance(job, Job) else None


def _start(plan: Plan, splits: Splits) -> None:
    running = current_job()
    if running is not None and running.active:  # a double click: one training per session
        return
    job = Job(plan)
    st.session_state[JOB_KEY] = job
    worker = threading.Thread(
        target=_work, args=(training_queue(), job, splits), daemon=True, name=f"train-{job.id}"
    )
    worker.start()


def _stop() -> None:
    job = current_job()
    if job is not None:
        job.stop.set()


def start_button(plan: Plan, splits: Splits) -> None:
    """The Train button (disabled while this session's training runs) and the queue's state."""
    job = current_job()
    busy = job is not None and job.active
    queue = training_queue()
    running, waiting = queue.counts()
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button(
        "Train both networks",
        key="train.start",
        type="primary",
        disabled=busy,
        icon=":material/play_arrow:",
        on_click=_start,
        args=(plan, splits),
    )
    right.caption(
        f"This server trains {queue.slots} network pair{'s' if queue.slots > 1 else ''} at a time "
        f"(now: {running} training, {waiting} waiting); each network stops after at most "
        f"{plan.cap:.0f} s."
    )


def _duration(seconds: float) -> str:
    """``"40 s"`` or ``"3 min"``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def live(job: Job) -> None:
    """Progress, the Stop button and the live curves; polls while the training runs."""
    polling = job.active

    @st.fragment(run_every=POLL_SECONDS if polling else None)
    def panel() -> None:
        job.touch()
        view = job.view()
        if polling and not job.active:
            st.rerun()  # finished: redraw the whole page with the results, stop polling
        if view.status == "waiting":
            position = training_queue().position(job)
            typical = training_queue().typical_seconds()
            wait = f" (about {_duration(position * typical)})" if typical else ""
            st.info(
                f"Waiting for a free trainer: you are number **{position}** in line{wait}. "
                "Keep this page open.",
                icon=":material/hourglass_top:",
            )
        elif view.status == "running":
            share = view.step / view.total if view.total else 0.0
            text = f"{view.phase}: step {view.step} of {view.total}" if view.total else view.phase
            st.progress(min(share, 1.0), text=text)
        if view.status in ("waiting", "running"):
            st.button("Stop", key="train.stop", icon=":material/stop:", on_click=_stop)
        if view.error:
            st.error(f"The training failed: {view.error}", icon=":material/error:")
        elif view.status == "stopped":
            st.info("Stopped. Change the settings if you like and train again.")
        curves(view.points)

    panel()


AXES = {"passes": "passes over the training images (epochs)", "seconds": "seconds of training"}


def curves(points: list[dict]) -> None:
    """Loss and training accuracy of both networks, against passes or seconds."""
    if not points:
        return
    frame = pd.DataFrame(points)
    x = _widget("train.x_axis")
    colours = alt.Scale(domain=list(COLOURS), range=list(COLOURS.values()))
    left, right = st.columns(2)
    for where, y, label in (
        (left, "loss", "loss (lower is better)"),
        (right, "accuracy", "training accuracy (%)"),
    ):
        chart = (
            alt.Chart(frame, height=300)
            .mark_line(strokeWidth=3)
            .encode(
                x=alt.X(x, title=AXES[x]),
                y=alt.Y(y, title=label),
                color=alt.Color(
                    "model", scale=colours, legend=alt.Legend(orient="top", title=None)
                ),
            )
        )
        where.altair_chart(chart, width="stretch")
    latest = frame.groupby("model").last()
    st.caption(
        "Recent training batches (smoothed): "
        + "; ".join(
            f"{n} loss {latest.loc[n, 'loss']:.3f}, accuracy {latest.loc[n, 'accuracy']:.1f} % "
            f"after {latest.loc[n, 'passes']:.2f} passes in {latest.loc[n, 'seconds']:.1f} s"
            for n in COLOURS
            if n in latest.index
        )
        + "."
    )


# --- Streamlit: the results --------------------------------------------------------------------


def publish(job: Job | None) -> None:
    """Once a training is done: store its CNN as this user's model and log the run."""
    if job is None or job.published or job.view().status != "done" or job.model is None:
        return
    results = job.view().results
    cnn = results[CNN_NAME]
    set_user_model(
        job.model, dataset=job.plan.dataset, config=job.plan.cnn, test_accuracy=cnn.test_accuracy
    )
    st.session_state.setdefault(RUNS_KEY, []).append(_run_row(job.plan, results))
    job.published = True


def _run_row(plan: Plan, results: dict[str, ModelResult]) -> dict:
    cnn, mlp = results[CNN_NAME], results[MLP_NAME]
    return {
        "data": f"{plan.dataset}, {plan.subset:,}",
        "CNN": f"{' → '.join(map(str, plan.cnn.channels))} filters, "
        f"{plan.cnn.kernel_size}×{plan.cnn.kernel_size}, "
        + (
            "no pooling"
            if plan.cnn.pool == "none"
            else f"{POOL_TITLES[plan.cnn.pool].lower()} pooling"
        ),
        "augmentation": plan.augment.describe(),
        "passes": round(cnn.passes, 2),
        "CNN test %": round(100 * cnn.test_accuracy, 1),
        "dense test %": round(100 * mlp.test_accuracy, 1),
        "CNN moved %": round(100 * cnn.moved_accuracy, 1),
        "dense moved %": round(100 * mlp.moved_accuracy, 1),
        "CNN s": round(cnn.seconds, 1),
        "dense s": round(mlp.seconds, 1),
    }


def ending(r: ModelResult) -> str:
    """How a training ended, in a few words (empty when it simply finished)."""
    if r.ended == "budget":
        return f" (the time ran out after {r.steps} of {r.planned} planned steps)"
    if r.ended == "cap":
        return f" (stopped at this server's time cap after {r.steps} of {r.planned} steps)"
    return ""


def verdict(cnn: ModelResult, mlp: ModelResult) -> str:
    """Who won, per pass and per second, in two or three plain sentences."""
    gap = 100 * (cnn.test_accuracy - mlp.test_accuracy)
    same_passes = abs(cnn.passes - mlp.passes) < 1e-6
    where = f"after the same {cnn.passes:.2f} passes" if same_passes else "in the same time"
    leader = "The CNN is" if gap > 0 else "The dense network is"
    text = f"{leader} **{abs(gap):.1f} points ahead** {where}." if gap else f"A tie {where}."
    if not same_passes:
        return text + (
            f" In {mlp.seconds:.0f} s the dense network made {mlp.passes:.1f} passes over the "
            f"images, the CNN {cnn.passes:.2f}: each CNN pass costs more arithmetic."
        )
    slower = cnn.seconds / max(mlp.seconds, 1e-9)
    text += (
        f" The dense network needed {mlp.seconds:.1f} s for them, the CNN {cnn.seconds:.1f} s "
        f"({slower:.0f} times longer)."
    )
    if gap > 0:
        return text + (
            " Per pass the CNN learns more; per second, on a CPU, it has to earn it. "
            "Try “The same time” to give the dense network the CNN's seconds."
        )
    return text + (
        f" After only {cnn.passes:.2f} passes the CNN has not caught up yet: give it more "
        "images, more time or a higher learning rate."
    )


def results(job: Job) -> None:
    """Test accuracy, time, the confusion matrix and the kernels of a finished training."""
    view = job.view()
    if view.status != "done":
        return
    cnn, mlp = view.results[CNN_NAME], view.results[MLP_NAME]
    plan = job.plan
    st.subheader(f"Results on {cnn.confusion.sum():,} test images neither network has seen")
    columns = st.columns(2)
    for where, r in zip(columns, (cnn, mlp), strict=True):
        where.metric(
            f"{r.name[0].upper()}{r.name[1:]}: test accuracy",
            f"{100 * r.test_accuracy:.1f} %",
            border=True,
            help=f"{r.parameters:,} numbers learned",
        )
        where.caption(
            f"{r.passes:.2f} passes ({r.steps} steps) in {r.seconds:.1f} s of training{ending(r)}."
        )
    st.markdown(
        f"**Test accuracy:** CNN {100 * cnn.test_accuracy:.1f} % after {cnn.passes:.2f} passes in "
        f"{cnn.seconds:.1f} s; dense network {100 * mlp.test_accuracy:.1f} % after "
        f"{mlp.passes:.2f} passes in {mlp.seconds:.1f} s. " + verdict(cnn, mlp)
    )
    if view.prepare_seconds:
        st.caption(f"Making the moved copies took {view.prepare_seconds:.1f} s before training.")
    st.markdown(
        f"**On {MOVED_COUNT:,} moved test images** ({MOVED_TEST.describe()}): CNN "
        f"{100 * cnn.moved_accuracy:.1f} %, dense network {100 * mlp.moved_accuracy:.1f} %. "
        "Augmentation trains for exactly this; compare runs with it on and off below."
    )
    names = CLASS_NAMES[plan.dataset]
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Which classes get mixed up?** Rows: the true class; columns: the guess.")
        which = _widget("train.confusion")
        matrix = view.results[which].confusion
        views.show(st, _figure("confusion", f"{job.id}-{which}", matrix, tuple(names)))
        mistakes = [
            f"{names[t]} taken for {names[p]} ({n} times)" for t, p, n in most_confused(matrix)
        ]
        st.caption(f"The {which}'s biggest mix-ups: " + "; ".join(mistakes) + ".")
    with right:
        kernels = job.kernels
        st.markdown(
            f"**The {len(kernels)} kernels the CNN's first layer learned.** Red adds, blue "
            "subtracts: many became edge or blob detectors, much like the presets on "
            "the Convolution page."
        )
        views.show(st, _figure("kernels", str(job.id), kernels))
    st.success(
        "Your trained CNN is now **your** model on the “Inside a CNN” page (only you see it; "
        "the shipped model stays as it was).",
        icon=":material/school:",
    )


def run_log() -> None:
    """This session's runs, newest last, to compare settings."""
    runs = st.session_state.get(RUNS_KEY, [])
    if runs:
        st.subheader("Your runs")
        st.dataframe(pd.DataFrame(runs), hide_index=True, width="stretch")


# --- figures (matplotlib, no pyplot: safe in any thread) ---------------------------------------


def confusion_figure(matrix: np.ndarray, labels: tuple[str, ...] | None = None) -> Figure:
    """A ``(C, C)`` count matrix as a heat map with the counts written in."""
    classes = len(matrix)
    labels = labels or tuple(str(i) for i in range(classes))
    fig = Figure(figsize=(6.4, 5.6))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    top = matrix.max() or 1
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(n),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if n > 0.6 * top else "black",
        )
    ax.set_xticks(range(classes), labels, rotation=45, ha="right")
    ax.set_yticks(range(classes), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.tight_layout()
    return fig


def kernels_figure(kernels: np.ndarray) -> Figure:
    """``(C, 1, k, k)`` kernels in a grid, each on its own symmetric red-blue scale."""
    count = len(kernels)
    cols = min(8, count)
    rows = math.ceil(count / cols)
    fig = Figure(figsize=(cols * 0.8, rows * 0.8))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, kernel in zip(axes, kernels[:, 0], strict=False):
        limit = float(np.abs(kernel).max()) or 1.0
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.subplots_adjust(wspace=0.08, hspace=0.08)
    return fig
