"""The Train page's race and the class-wide line of races, as plain Python (no Streamlit).

A *race* trains the CNN and the dense network on the same images in one thread, taking turns
step by step, so both curves grow at once and both run during the same wall-clock seconds.
"The same passes": they alternate one step each. "The same time": the one that has used less
processor time so far takes the next step, so each gets half of the race's seconds.

A :class:`Hall` runs the races of a whole class: at most ``slots`` at once (each on one torch
thread), the others wait in line, first come first served. A student whose settings match a
race already waiting, running or recently finished joins it instead of starting a copy, so a
class pressing Train with the page's defaults trains once. When others wait, a race trains
for its fair share of the line's time (:func:`fair_share`), so nobody waits behind a class of
long races. Every race can be watched by anyone while it runs. Everything here reports
through plain objects guarded by locks; the page polls them.
"""

from __future__ import annotations

import copy
import heapq
import math
import os
import statistics
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

import numpy as np
import torch

from cnnviz.augmentation import NO_AUGMENTATION, AugmentConfig, augment_images
from cnnviz.confusion import confusion_matrix
from cnnviz.data import CLASS_NAMES, load_dataset
from cnnviz.messages import without_paths
from cnnviz.model import CNN, MLP, CNNConfig, count_parameters
from cnnviz.train import TrainConfig, Trainer, evaluate

CNN_NAME, MLP_NAME = "CNN", "dense network"
MOVED_TEST = AugmentConfig(shift=2, rotation=10)  # the "moved test images" check
MOVED_COUNT = 5_000  # test images moved for that check (half the test set: it costs time)
PROBE_STEPS = 12  # steps of each network timed to plan a time budget (the median counts)
MAX_COPIES = 3  # moved copies of the training images made at once; later passes reuse them
CURVE_POINTS = 200  # at most this many points per network on the live curves
ABANDON_SECONDS = 180.0  # a race nobody has looked at for this long is ended
MAX_WAITING = 30  # races in line at most; one more gets "the line is full"
KEEP_FINISHED = 8  # finished races kept, newest first, for students with the same settings
OVERHEAD_SECONDS = 6.0  # first guess at a race's setting up and testing, before one is measured
LINE_SECONDS = 60.0  # training time a crowded line shares out: the line clears in about this
MIN_SHARE_SECONDS = 5.0  # the least a race trains when the line is long


@dataclass(frozen=True)
class Plan:
    """One race between the CNN and the dense network: the data, the budget, the networks."""

    dataset: str = "fashion-mnist"  # "fashion-mnist" or "mnist"
    subset: int = 60_000  # training images drawn (seeded) from the 60,000
    budget: float | None = 20.0  # seconds the race trains; None: train for `epochs` passes
    epochs: int = 2  # passes over the training images when there is no budget
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule
    batch_size: int = 256  # images per step
    cnn: CNNConfig = CNNConfig(channels=(16,), dropout=0.0)  # one block: fast on a CPU
    mlp_hidden: tuple[int, ...] = (128,)  # the dense network's hidden layer(s)
    augment: AugmentConfig = NO_AUGMENTATION  # random moves of the training images
    mlp_match: Literal["epochs", "time"] = "epochs"  # equal passes, or equal processor time
    seed: int = 0  # seeds the subset, the weights, the order and the moves
    max_steps: int | None = None  # stop each network after this many steps (tests)
    cap: float = 120.0  # the server's limit on a race's training, in seconds


class Splits(NamedTuple):
    """A dataset in memory, read-only, shared by every race."""

    train_images: np.ndarray  # uint8 (60000, 28, 28)
    train_labels: np.ndarray  # int64 (60000,)
    test_images: np.ndarray  # uint8 (10000, 28, 28)
    test_labels: np.ndarray  # int64 (10000,)
    moved_test_images: np.ndarray  # uint8 (MOVED_COUNT, 28, 28): test images moved by MOVED_TEST


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


# The server's limits, from its environment (the README's "Serving a class" names them).
CAP_SECONDS = _env_number("CNNVIZ_TRAIN_CAP_SECONDS", 120.0)  # per race, whatever was asked
TRAINING_THREADS = max(1, int(_env_number("CNNVIZ_TRAINING_THREADS", 1)))  # torch threads each
DEFAULT_PLAN = Plan(cap=CAP_SECONDS)  # the Train page's defaults
# The Train page's choices, plain lists (the page builds its widgets from these; the classroom
# bench presses Train with them). Its CNN's choices live in cnnviz.model_file.
SUBSETS = (1_000, 5_000, 10_000, 20_000, 30_000, 60_000)  # training images to use
BUDGETS = (10, 20, 30, 45, 60)  # seconds the race trains
RATES = (0.0003, 0.001, 0.003, 0.01, 0.03)  # peak learning rates
EPOCHS = (1, 2, 3, 4, 5, 8, 10, 15, 20)  # passes over the training images


def default_slots() -> int:
    """Races at once: one core for the pages, the rest trains (or $CNNVIZ_TRAINING_SLOTS)."""
    spare = ((os.cpu_count() or 1) - 1) // TRAINING_THREADS
    return max(1, int(_env_number("CNNVIZ_TRAINING_SLOTS", spare)))


def read_splits(dataset: str, root: str | None = None) -> Splits:
    """Load both splits of ``dataset`` from ``root`` (default: $CNNVIZ_DATA_DIR); uncached."""
    train_x, train_y = load_dataset(dataset, "train", root=root)
    test_x, test_y = load_dataset(dataset, "test", root=root)
    moved = augment_images(test_x[:MOVED_COUNT], MOVED_TEST, seed=12345)
    arrays = Splits(train_x, train_y, test_x, test_y, moved)
    for array in arrays:
        array.setflags(write=False)  # shared by every user: nobody may write into it
    return arrays


@dataclass(frozen=True)
class ModelResult:
    """One network's outcome."""

    name: str  # CNN_NAME or MLP_NAME
    parameters: int  # learnable numbers
    test_accuracy: float  # on the test images, in [0, 1]
    moved_accuracy: float  # on the same test images moved by MOVED_TEST
    seconds: float  # processor time its own steps took (timing the speed included)
    wall: float  # wall-clock seconds from the race's start until its last step
    steps: int  # optimisation steps
    passes: float  # images seen / training images: the epochs, fractional
    confusion: np.ndarray  # int64 (10, 10): [true class, predicted class]
    planned: int  # steps the one-cycle schedule was planned for
    ended: str  # "planned", "budget" (the race's time ran out first) or "cap" (the server's)


class RaceView(NamedTuple):
    """A consistent copy of a race for the page to draw."""

    status: str  # waiting, running, done, stopped, failed
    phase: str  # what it is doing, in a few words
    steps: dict[str, tuple[int, int]]  # network -> (steps done, steps planned)
    points: list[dict]  # the curves: model, passes, seconds, loss, accuracy
    results: dict[str, ModelResult]
    error: str | None
    prepare_seconds: float  # spent making moved copies before training
    elapsed: float  # seconds since the race started running (0 while waiting)
    watchers: int  # students looking at it


class Race:
    """One race; the training thread writes, pages read, both through the lock.

    Students *watch* it (each page touches it while open); it ends when its last watcher has
    left or not looked for ``abandon`` seconds (None: only :meth:`stop` ends it).
    """

    def __init__(self, plan: Plan, *, abandon: float | None = ABANDON_SECONDS) -> None:
        self.id = uuid.uuid4().hex[:12]  # names this race's figures in caches
        self.plan = plan
        self.model: CNN | None = None  # the trained CNN, once done
        self.kernels: np.ndarray | None = None  # (C, 1, k, k) first-layer weights, once done
        self.abandon = abandon
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watchers: dict[str, float] = {}  # student -> when their page last looked
        self._status, self._phase = "waiting", "Waiting for a free trainer"
        self._steps: dict[str, tuple[int, int]] = {}
        self._points: list[dict] = []
        self._results: dict[str, ModelResult] = {}
        self._error: str | None = None
        self._prepare = 0.0
        self._began: float | None = None  # monotonic time it started running
        self.duration: float | None = None  # seconds from running to the end
        self.share: float | None = None  # seconds the hall allows it, when others wait

    # Students' side.
    def watch(self, student: str) -> None:
        """``student``'s page is open on this race: keep it alive."""
        with self._lock:
            self._watchers[student] = time.monotonic()

    def leave(self, student: str) -> None:
        """``student`` stops watching; the race ends when nobody is left."""
        with self._lock:
            self._watchers.pop(student, None)
            if not self._watchers:
                self._stop.set()

    def stop(self) -> None:
        """End the race for everyone."""
        self._stop.set()

    def watchers(self) -> int:
        """Students who looked at it within ``abandon`` seconds."""
        with self._lock:
            return self._fresh()

    def _fresh(self) -> int:
        if self.abandon is None:
            return len(self._watchers)
        now = time.monotonic()
        return sum(now - seen <= self.abandon for seen in self._watchers.values())

    @property
    def active(self) -> bool:
        with self._lock:
            return self._status in ("waiting", "running")

    def view(self) -> RaceView:
        with self._lock:
            elapsed = 0.0 if self._began is None else time.monotonic() - self._began
            if self.duration is not None:
                elapsed = self.duration
            return RaceView(
                self._status,
                self._phase,
                dict(self._steps),
                list(self._points),
                dict(self._results),
                self._error,
                self._prepare,
                elapsed,
                self._fresh(),
            )

    # The training thread's side.
    def should_stop(self) -> bool:
        """Stopped, or every watcher has left or stopped looking."""
        if self._stop.is_set():
            return True
        if self.abandon is None:
            return False
        with self._lock:
            return self._fresh() == 0

    def begin(self) -> None:
        with self._lock:
            self._status, self._phase, self._began = "running", "Starting", time.monotonic()

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self._phase = phase

    def record(self, name: str, step: int, total: int, point: dict | None) -> None:
        """Network ``name`` has taken ``step`` of ``total`` steps; ``point`` joins its curve."""
        with self._lock:
            self._steps[name] = (step, total)
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
            if self._began is not None:
                self.duration = time.monotonic() - self._began


# --- one race ----------------------------------------------------------------------------------


class _Curve:
    """A network's smoothed batch loss and accuracy, one point every ``every`` steps."""

    def __init__(self, name: str, subset: int, batch: int, every: int, start: float) -> None:
        self.name, self.subset, self.batch, self.every = name, subset, batch, every
        self.start = start  # perf_counter of the race's start: x = seconds into the race
        self.smooth, self.weight = [0.0, 0.0], 0.0

    def __call__(self, trainer: Trainer) -> dict | None:
        history = trainer.history
        batch = (history.loss[-1], history.accuracy[-1])
        beta = 0.9  # an exponential average over about ten batches, bias-corrected below
        self.smooth = [beta * s + (1 - beta) * v for s, v in zip(self.smooth, batch, strict=True)]
        self.weight = beta * self.weight + (1 - beta)
        if history.steps % self.every and not trainer.done:
            return None
        return {
            "model": self.name,
            "passes": round(history.steps * self.batch / self.subset, 4),
            "seconds": round(time.perf_counter() - self.start, 2),
            "loss": self.smooth[0] / self.weight,
            "accuracy": 100 * self.smooth[1] / self.weight,
        }


def _train_config(plan: Plan, steps: int, images: int) -> TrainConfig:
    """Enough epochs over ``images`` for ``steps`` steps; no built-in moves (ours come first)."""
    epochs = math.ceil(steps / math.ceil(images / plan.batch_size))
    return TrainConfig(
        epochs=epochs, batch_size=plan.batch_size, lr=plan.lr, shift=0, seed=plan.seed
    )


def _time_steps(model, x, y, plan: Plan, race: Race) -> float:
    """Median seconds of one step of ``model``, timed on a throwaway copy."""
    config = _train_config(plan, PROBE_STEPS, len(x))  # batches drawn from all of x, as later
    trainer = Trainer(copy.deepcopy(model), x, y, config, max_steps=PROBE_STEPS)
    times = []
    while not trainer.done and not race.should_stop():
        times.append(trainer.step().work)
    return float(np.median(np.diff(times))) if len(times) > 2 else max(times[-1:] or [0.01])


def _subset(plan: Plan, splits: Splits) -> tuple[np.ndarray, np.ndarray]:
    """``plan.subset`` training images drawn with the plan's seed, in their original order."""
    rng = np.random.default_rng(plan.seed)
    n = min(plan.subset, len(splits.train_images))
    index = np.sort(rng.choice(len(splits.train_images), n, replace=False))
    return splits.train_images[index], splits.train_labels[index]


def _moved_copies(x, y, plan: Plan, race: Race, passes: int) -> tuple[np.ndarray, np.ndarray]:
    """``passes`` differently moved copies laid end to end (at most MAX_COPIES, then reused).

    The trainer has no hook for our moves, so they are made up front: one pass over this
    array is ``copies`` passes over the subset, each with fresh moves.
    """
    if not plan.augment.active:
        return x, y
    race.set_phase("Making moved copies of the training images")
    start = time.perf_counter()
    copies = [
        augment_images(x, plan.augment, seed=plan.seed + 1 + i)
        for i in range(max(1, min(passes, MAX_COPIES)))
    ]
    race.add_prepare(time.perf_counter() - start)
    return np.concatenate(copies), np.tile(y, len(copies))


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


def plan_steps(plan: Plan, per_pass: int, cnn_step: float, mlp_step: float, spent: float):
    """Steps ``(cnn, dense)`` for the plan, given each network's seconds per step.

    A budget is shared by both: the same steps each ("epochs"), or the same processor time
    each ("time"); 12 % is kept back for bookkeeping, so the schedule cools down in time.
    Without a budget the CNN makes ``epochs`` passes and the dense network gets the same
    passes, or the processor time those passes should take the CNN.
    """
    if plan.budget is None:
        cnn = plan.epochs * per_pass
        mlp = cnn if plan.mlp_match == "epochs" else cnn * cnn_step / max(mlp_step, 1e-9)
    else:
        usable = 0.88 * max(plan.budget - spent, 0.0)
        if plan.mlp_match == "epochs":
            cnn = mlp = usable / max(cnn_step + mlp_step, 1e-9)
        else:
            cnn, mlp = usable / 2 / max(cnn_step, 1e-9), usable / 2 / max(mlp_step, 1e-9)
    steps = [max(1, int(n)) for n in (cnn, mlp)]
    if plan.max_steps is not None:
        steps = [min(n, plan.max_steps) for n in steps]
    return tuple(steps)


def limit_seconds(plan: Plan) -> float:
    """The most seconds ``plan`` may train: its budget, or the server's cap without one."""
    return plan.cap if plan.budget is None else min(plan.budget, plan.cap)


def fair_share(plan: Plan, behind: int, slots: int) -> float | None:
    """Seconds a race of ``plan`` may train when ``behind`` more races wait for ``slots``
    trainers: :data:`LINE_SECONDS` shared by the races in line, at least
    :data:`MIN_SHARE_SECONDS`; None when that is no shorter than its own time."""
    if behind <= 0:
        return None
    share = max(MIN_SHARE_SECONDS, LINE_SECONDS * slots / (behind + 1))
    return share if share < limit_seconds(plan) else None


def shared(plan: Plan, seconds: float | None) -> Plan:
    """``plan`` trained for ``seconds`` (a time budget) instead, when given."""
    if seconds is None:
        return plan
    return replace(plan, budget=seconds)


def run_race(plan: Plan, splits: Splits, race: Race) -> None:
    """Train both networks taking turns on the same data, test both, fill ``race``.

    When the hall gave the race a share of a crowded line (``race.share``), it trains for
    that many seconds instead of its own budget or passes.
    """
    warm_up()
    plan = shared(plan, race.share)
    x, y = _subset(plan, splits)
    models = dict(zip((CNN_NAME, MLP_NAME), build_models(plan, x), strict=True))
    per_pass = math.ceil(len(x) / plan.batch_size)
    start = time.perf_counter()  # the race's clock: timing the speed counts towards the budget
    probe = {CNN_NAME: 0.0, MLP_NAME: 0.0}
    if plan.budget is not None or plan.mlp_match == "time":
        race.set_phase("Timing this computer's speed for both networks")
        probe = {name: _time_steps(model, x, y, plan, race) for name, model in models.items()}
    spent = time.perf_counter() - start
    steps = dict(zip(models, plan_steps(plan, per_pass, *probe.values(), spent), strict=True))
    data = _moved_copies(x, y, plan, race, passes=math.ceil(max(steps.values()) / per_pass))
    if race.should_stop():
        return race.end("stopped")
    limit = limit_seconds(plan)
    ended = _interleave(plan, race, models, steps, data, len(x), start, limit)
    if race.should_stop():
        return race.end("stopped")
    for name, model in models.items():
        race.add_result(_result(name, model, ended[name], plan, splits, race))
    cnn = models[CNN_NAME]
    race.model, race.kernels = cnn, cnn.conv1.weight.detach().numpy().copy()
    race.end("done")


def _interleave(plan, race, models, steps, data, subset, start, limit) -> dict[str, tuple]:
    """Both networks take turns until each has its steps or the time is up.

    Returns network -> ``(steps, planned, processor seconds, wall seconds, ended)``.
    """
    every = {name: max(1, n // CURVE_POINTS) for name, n in steps.items()}  # curve points
    timed = plan.mlp_match == "time" and plan.budget is not None
    if timed:  # room to spare: the schedules follow the seconds, the steps only bound them
        steps = {name: 4 * n for name, n in steps.items()}
    kind = _TimedTrainer if timed else Trainer
    trainers = {  # a schedule planned for exactly its steps cools down as time runs out
        name: kind(
            model, *data, _train_config(plan, steps[name], len(data[0])), max_steps=steps[name]
        )
        for name, model in models.items()
    }
    curves = {name: _Curve(name, subset, plan.batch_size, every[name], start) for name in models}
    if race.share is None:
        race.set_phase("Training both networks, taking turns step by step")
    else:
        race.set_phase(
            f"Training both networks, taking turns, for {race.share:.0f} s: its fair share "
            "while other students' races wait"
        )
    for name in models:
        race.record(name, 0, steps[name], None)
    spent = time.perf_counter() - start  # timing the speed: each network's share
    for trainer in trainers.values():
        if isinstance(trainer, _TimedTrainer):  # half the seconds left each, less a margin
            trainer.seconds = 0.96 * (limit - spent) / 2
    last = dict.fromkeys(models, 0.0)  # each network's latest step, in seconds
    ended: dict[str, tuple] = {}
    while len(ended) < len(models) and not race.should_stop():
        active = [name for name in models if name not in ended]
        if plan.mlp_match == "epochs":  # the same passes: whoever is behind in steps
            name = min(active, key=lambda n: trainers[n].history.steps)
        else:  # the same time: whoever has had less of the processor
            name = min(active, key=lambda n: trainers[n].work)
        now = time.perf_counter() - start
        if now + last[name] > limit:  # one more step would overrun: the time is up for all
            for other in active:
                why = "cap" if limit >= plan.cap else "budget"
                planned = trainers[other].expected_steps if timed else steps[other]
                ended[other] = _ending(trainers[other], planned, spent, now, why)
            break
        trainer = trainers[name]
        if plan.mlp_match == "time" and ended and trainer.work + spent / 2 >= _most(ended):
            # the other has finished: this one has had as much of the processor, so it stops
            ended[name] = _ending(trainer, steps[name], spent, now, "budget")
            continue
        before = trainer.work
        report = trainer.step()
        last[name] = trainer.work - before
        total = trainer.expected_steps if timed else report.total_steps
        race.record(name, report.step, total, curves[name](trainer))
        if trainer.done:
            planned = report.step if timed else steps[name]
            ended[name] = _ending(trainer, planned, spent, time.perf_counter() - start)
    for name, trainer in trainers.items():
        trainer.finish(stopped=name not in ended)
    return ended


def one_cycle(share: float, peak: float) -> tuple[float, float]:
    """``(learning rate, AdamW's first beta)`` after ``share`` (0-1) of a training, as torch's
    ``OneCycleLR`` (its defaults) sets them after that share of its steps: a cosine warm-up
    from peak / 25 to ``peak`` over the first 30 %, then a cosine cool-down to peak / 250,000,
    the beta moving the other way between 0.95 and 0.85."""

    def cosine(begin: float, end: float, part: float) -> float:
        return end + (begin - end) / 2 * (1 + math.cos(math.pi * part))

    share = min(max(share, 0.0), 1.0)
    start, low = peak / 25, peak / 25 / 1e4
    if share <= 0.3:
        return cosine(start, peak, share / 0.3), cosine(0.95, 0.85, share / 0.3)
    part = (share - 0.3) / 0.7
    return cosine(peak, low, part), cosine(0.85, 0.95, part)


class _TimedTrainer(Trainer):
    """A trainer whose one-cycle schedule follows the share of its ``seconds`` it has used,
    not of its steps: in "the same time" each network warms up and cools down over its half
    of the race however fast its steps turn out, and it is done when its seconds are."""

    seconds = float("inf")  # processor seconds it may use; set once the race knows them

    @property
    def share(self) -> float:
        return min(1.0, self.work / self.seconds)

    @property
    def done(self) -> bool:
        return self.share >= 1.0 or super().done

    @property
    def expected_steps(self) -> int:
        """Steps it should take in all, from its speed so far."""
        steps = self.history.steps
        return max(steps, round(steps / self.share)) if self.share > 0 else self.total_steps

    def step(self):
        lr, beta = one_cycle(self.share, self.config.lr)
        for group in self._optimizer.param_groups:  # our schedule overrides the step count's
            group["lr"], group["betas"] = lr, (beta, group["betas"][1])
        return super().step()


def _most(ended: dict[str, tuple]) -> float:
    """The most processor seconds a finished network's steps took."""
    return max(work for _, _, work, _, _ in ended.values())


def _ending(trainer: Trainer, planned: int, spent: float, wall: float, why: str = "planned"):
    return trainer.history.steps, planned, trainer.work + spent / 2, wall, why


def _result(name, model, ended, plan: Plan, splits: Splits, race: Race) -> ModelResult:
    """Test ``model``; ``ended`` is what :func:`_interleave` returned for it."""
    steps, planned, seconds, wall, why = ended
    race.set_phase(f"Testing the {name} on {len(splits.test_labels):,} new images")
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
        wall=wall,
        steps=steps,
        passes=steps * plan.batch_size / min(plan.subset, len(splits.train_images)),
        confusion=confusion_matrix(splits.test_labels, predicted, classes),
        planned=planned,
        ended=why,
    )


# --- the class's line of races -----------------------------------------------------------------


class Outlook(NamedTuple):
    """Where a race stands in the hall, for the page to say."""

    running: int  # races training now
    waiting: int  # races in line
    position: int  # 1 for the first in line; 0 when not waiting
    starts_in: float | None  # seconds until it should start (None: not waiting)


class Hall:
    """The races of a whole server: at most ``slots`` run at once, the others wait in line.

    ``run(race)`` trains one race (in a worker thread; :func:`run_race` with the data, on the
    page). At most ``max_waiting`` wait; the last ``keep`` finished races stay to be seen by
    students with the same settings.
    """

    def __init__(
        self,
        slots: int,
        run: Callable[[Race], None],
        *,
        max_waiting: int = MAX_WAITING,
        keep: int = KEEP_FINISHED,
        abandon: float | None = ABANDON_SECONDS,
    ) -> None:
        self.slots, self.max_waiting, self.keep, self.abandon = slots, max_waiting, keep, abandon
        self._run = run
        self._changed = threading.Condition()
        self._waiting: list[Race] = []  # first in line first
        self._running: list[Race] = []  # oldest first
        self._finished: OrderedDict[Plan, Race] = OrderedDict()  # newest last
        self._overheads: deque[float] = deque(maxlen=10)  # seconds beyond the budget, recent
        self._durations: deque[float] = deque(maxlen=10)  # seconds of recent races
        self._workers: list[threading.Thread] = []

    def join(self, plan: Plan, student: str) -> tuple[Race | None, bool]:
        """``student`` wants ``plan`` raced: ``(race, True)`` when one with these settings is
        waiting, running or recently done, ``(a new race in line, False)`` otherwise, and
        ``(None, False)`` when the line is full."""
        with self._changed:
            self._purge()
            for race in (*self._running, *self._waiting):
                if race.plan == plan and not race.should_stop():
                    race.watch(student)
                    return race, True
            if plan in self._finished:
                self._finished.move_to_end(plan)
                race = self._finished[plan]
                race.watch(student)
                return race, True
            if len(self._waiting) >= self.max_waiting:
                return None, False
            race = Race(plan, abandon=self.abandon)
            race.watch(student)
            self._waiting.append(race)
            self._hire()
            self._changed.notify_all()
            return race, False

    def _hire(self) -> None:
        """Start worker threads up to ``slots`` (they live as long as the server)."""
        self._workers = [w for w in self._workers if w.is_alive()]
        while len(self._workers) < min(self.slots, len(self._waiting) + len(self._running)):
            worker = threading.Thread(target=self._work, daemon=True, name="race-worker")
            self._workers.append(worker)
            worker.start()

    def _purge(self) -> None:
        """Races in line that everyone has left end as stopped."""
        for race in [r for r in self._waiting if r.should_stop()]:
            self._waiting.remove(race)
            race.end("stopped")

    def _next(self) -> Race:
        with self._changed:
            while True:
                self._purge()
                if self._waiting:
                    race = self._waiting.pop(0)
                    race.share = fair_share(race.plan, len(self._waiting), self.slots)
                    self._running.append(race)
                    race.begin()
                    return race
                self._changed.wait(timeout=1.0)

    def _work(self) -> None:
        """A worker: take the first race in line, run it, keep it if done; forever."""
        while True:
            race = self._next()
            try:
                self._run(race)
                if race.active:  # run() returned without an ending
                    race.end("stopped" if race.should_stop() else "done")
            except Exception as error:  # shown on the page instead of dying in a thread
                race.end("failed", f"{type(error).__name__}: {without_paths(str(error))}")
            with self._changed:
                self._running.remove(race)
                duration = race.duration or 0.0
                trained = shared(race.plan, race.share)
                if race.view().status == "done":
                    self._durations.append(duration)
                    if trained.budget is not None:
                        self._overheads.append(max(0.0, duration - trained.budget))
                    self._finished[race.plan] = race
                    while len(self._finished) > self.keep:
                        self._finished.popitem(last=False)
                self._changed.notify_all()

    # What the pages show.
    def running(self) -> list[Race]:
        """The races training now, oldest first."""
        with self._changed:
            return list(self._running)

    def counts(self) -> tuple[int, int]:
        """``(running, waiting)``."""
        with self._changed:
            self._purge()
            return len(self._running), len(self._waiting)

    def expected_seconds(self, plan: Plan) -> float:
        """How long a race of ``plan`` should take from start to results."""
        with self._changed:
            return self._expected(plan)

    def _expected(self, plan: Plan, share: float | None = None) -> float:
        """Seconds from start to results of a race of ``plan`` allowed ``share`` seconds."""
        plan = shared(plan, share)
        if plan.budget is not None:
            overhead = statistics.median(self._overheads) if self._overheads else None
            return limit_seconds(plan) + (overhead or OVERHEAD_SECONDS)
        return statistics.median(self._durations) if self._durations else plan.cap / 2

    def outlook(self, race: Race) -> Outlook:
        """How many race, how many wait, and when ``race`` should start."""
        with self._changed:
            self._purge()
            running, waiting = len(self._running), len(self._waiting)
            if race not in self._waiting:
                return Outlook(running, waiting, 0, None)
            free = [
                max(1.0, self._expected(r.plan, r.share) - r.view().elapsed) for r in self._running
            ] + [0.0] * max(0, self.slots - running)
            heapq.heapify(free)
            position = self._waiting.index(race) + 1
            for place, ahead in enumerate(self._waiting[: position - 1], start=1):
                share = fair_share(ahead.plan, waiting - place, self.slots)  # as things stand
                heapq.heappush(free, heapq.heappop(free) + self._expected(ahead.plan, share))
            return Outlook(running, waiting, position, free[0])
