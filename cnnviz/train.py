"""Train and evaluate a model on uint8 images; ``python -m cnnviz.train`` makes the shipped weights.

The exact commands that made the shipped files are in assets/README.md and
``cnnviz.weights.TRAIN_COMMANDS``; for example::

    python -m cnnviz.train --dataset mnist --epochs 10 --seed 0 --threads 1 --out assets/

Training ends by storing each channel's favourite test pictures beside the weights;
``--top-patches-only`` does only that, for weights already in ``--out``.
"""

from __future__ import annotations

import argparse
import copy
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from cnnviz.data import DATA_DIR_ENV, DATASETS, DatasetError, load_dataset
from cnnviz.explain import Favourites, channel_peaks, conv_layers, favourites
from cnnviz.model import CNN, LESSON_CNN, count_parameters, to_tensor
from cnnviz.weights import (
    WeightsError,
    file_sha256,
    load_model,
    model_paths,
    save_checkpoint,
    save_checkpoints_card,
    save_model,
    save_top_patches,
    top_patches_path,
)


@dataclass(frozen=True)
class TrainConfig:
    """How to train: schedule, regularisation and augmentation."""

    epochs: int = 15  # full passes over the training images
    batch_size: int = 128  # images per optimisation step
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule (AdamW)
    weight_decay: float = 1e-4  # AdamW's decoupled weight decay
    label_smoothing: float = 0.0  # share of the target spread over the other classes
    seed: int = 0  # seeds the data order, the augmentation and dropout
    shift: int = 2  # random translation by up to this many pixels each way (0 = off)
    hflip: bool = False  # random left-right mirror: fine for clothes, wrong for digits

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.shift < 0:
            raise ValueError("epochs, batch_size and lr must be positive, shift not negative")


@dataclass(frozen=True)
class TrainProgress:
    """What a progress callback receives after each optimisation step."""

    step: int  # optimisation steps done so far (1-based)
    total_steps: int  # steps planned (after max_steps)
    epoch: int  # current epoch (1-based)
    loss: float  # mean training loss of this epoch so far
    accuracy: float  # training accuracy of this epoch so far, in [0, 1]
    elapsed: float  # seconds since training started
    work: float = 0.0  # seconds spent in this model's own steps (less when interleaved)


@dataclass
class History:
    """What happened during :func:`train`."""

    loss: list[float] = field(default_factory=list)  # training loss of every step
    accuracy: list[float] = field(default_factory=list)  # batch accuracy of every step
    epoch_loss: list[float] = field(default_factory=list)  # mean loss of each finished epoch
    epoch_accuracy: list[float] = field(default_factory=list)  # accuracy of each epoch
    steps: int = 0  # optimisation steps taken
    seconds: float = 0.0  # wall-clock training time
    stopped: bool = False  # True when should_stop() ended training early


def augment(x: torch.Tensor, shift: int, hflip: bool, generator: torch.Generator) -> torch.Tensor:
    """Shift each image of ``(N, 1, H, W)`` by up to ``shift`` pixels (zeros fill in) and
    mirror about half of them when ``hflip``."""
    n, _, h, w = x.shape
    if shift:
        padded = F.pad(x, (shift, shift, shift, shift))  # (N, 1, H + 2s, W + 2s)
        dy, dx = torch.randint(0, 2 * shift + 1, (2, n, 1), generator=generator)
        rows = dy + torch.arange(h)  # (N, H) rows each image is cropped from
        cols = dx + torch.arange(w)  # (N, W)
        x = padded[torch.arange(n)[:, None, None], 0, rows[:, :, None], cols[:, None, :]][:, None]
    if hflip:
        flip = torch.rand(n, generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    return x


class Trainer:
    """One model's training, a step at a time: :func:`train` drives one, a race interleaves two.

    Takes uint8 ``images`` ``(N, H, W)`` and int ``labels`` ``(N,)``; AdamW with a one-cycle
    learning rate over ``total_steps`` steps (``config.epochs`` passes, at most ``max_steps``),
    shuffled batches, optional shift/flip augmentation. Each trainer keeps its own random state
    (order, moves, dropout), so interleaving two gives each the result it would get alone.
    """

    def __init__(
        self,
        model: nn.Module,
        images: np.ndarray,
        labels: np.ndarray,
        config: TrainConfig = TrainConfig(),
        *,
        max_steps: int | None = None,
    ) -> None:
        self.model, self.config = model, config
        array = np.asarray(images)  # read, never written: a copy only when torch needs one
        self._x = torch.from_numpy(array if array.flags.writeable else array.copy())
        self._y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        if self._x.ndim != 3 or len(self._x) != len(self._y) or len(self._x) == 0:
            raise ValueError(
                f"expected images (N, H, W) and labels (N,), got {tuple(self._x.shape)} and "
                f"{tuple(self._y.shape)}"
            )
        steps_per_epoch = -(-len(self._x) // config.batch_size)
        total = config.epochs * steps_per_epoch
        self.total_steps = total if max_steps is None else max(1, min(total, max_steps))
        self._optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self._schedule = torch.optim.lr_scheduler.OneCycleLR(
            self._optimizer, config.lr, total_steps=self.total_steps
        )
        self._generator = torch.Generator().manual_seed(config.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)  # dropout draws from the global generator
            self._rng = torch.get_rng_state()
        self._batches = self._order()
        self._totals: dict[int, list[float]] = {}  # epoch -> [loss sum, correct, seen]
        self.history = History()
        self.work = 0.0  # seconds spent inside step(): this model's share of the processor
        self._start = time.perf_counter()
        model.to(memory_format=torch.channels_last)
        model.train()

    def _order(self):
        """``(epoch, x (B, 1, H, W) channels-last, y (B,))`` in a seeded order."""
        config = self.config
        for epoch in range(1, config.epochs + 1):
            for index in torch.randperm(len(self._x), generator=self._generator).split(
                config.batch_size
            ):
                x = augment(to_tensor(self._x[index]), config.shift, config.hflip, self._generator)
                yield epoch, x.contiguous(memory_format=torch.channels_last), self._y[index]

    @property
    def done(self) -> bool:
        """All planned steps taken."""
        return self.history.steps >= self.total_steps

    def step(self) -> TrainProgress:
        """One optimisation step on the next batch; what a progress callback receives."""
        began = time.perf_counter()
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self._rng)
            epoch, x, y = next(self._batches)
            logits = self.model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=self.config.label_smoothing)
            self._optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self._optimizer.step()
            self._schedule.step()
            self._rng = torch.get_rng_state()
        hits = int((logits.argmax(1) == y).sum())
        history = self.history
        history.loss.append(loss.item())
        history.accuracy.append(hits / len(y))
        history.steps += 1
        sums = self._totals.setdefault(epoch, [0.0, 0, 0])
        sums[0] += loss.item() * len(y)
        sums[1] += hits
        sums[2] += len(y)
        now = time.perf_counter()
        self.work += now - began
        return TrainProgress(
            history.steps,
            self.total_steps,
            epoch,
            sums[0] / sums[2],
            sums[1] / sums[2],
            now - self._start,
            self.work,
        )

    def finish(self, *, stopped: bool = False) -> History:
        """End training: the model back in ``eval()`` and ordinary layout; the history."""
        history = self.history
        history.stopped = stopped
        history.epoch_loss = [loss_sum / seen for loss_sum, _, seen in self._totals.values()]
        history.epoch_accuracy = [correct / seen for _, correct, seen in self._totals.values()]
        self.model.to(memory_format=torch.contiguous_format)
        self.model.eval()
        history.seconds = time.perf_counter() - self._start
        return history


def train(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    config: TrainConfig = TrainConfig(),
    *,
    progress: Callable[[TrainProgress], None] | None = None,
    max_steps: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> History:
    """Train ``model`` in place on uint8 ``images`` ``(N, H, W)`` with int ``labels`` ``(N,)``.

    AdamW with a one-cycle learning rate, shuffled batches and optional shift/flip augmentation.
    Same model init + same config -> same result. Returns with the model in ``eval()`` mode.
    ``progress`` hears about every step; ``should_stop()``, asked after each, ends it early.
    """
    trainer = Trainer(model, images, labels, config, max_steps=max_steps)
    stopped = False
    while not trainer.done and not stopped:
        report = trainer.step()
        if progress is not None:
            progress(report)
        stopped = should_stop is not None and bool(should_stop())
    return trainer.finish(stopped=stopped)


@torch.inference_mode()
def evaluate(
    model: nn.Module, images: np.ndarray, labels: np.ndarray, *, batch_size: int = 1000
) -> tuple[float, np.ndarray]:
    """Accuracy in [0, 1] and predicted classes int64 ``(N,)`` for uint8 ``images`` ``(N, H, W)``.

    Runs the model in ``eval()`` mode and leaves it that way.
    """
    model.eval()
    # A channels-last copy runs convolutions faster on CPU and leaves a shared model untouched.
    fast = copy.deepcopy(model).to(memory_format=torch.channels_last)
    x_all = torch.as_tensor(np.array(images))
    predictions = torch.cat(
        [fast(to_tensor(chunk)).argmax(1) for chunk in x_all.split(batch_size)]
    ).numpy()
    accuracy = float((predictions == np.asarray(labels)).mean()) if len(predictions) else 0.0
    return accuracy, predictions


def checkpoint_steps(spec: str, *, steps_per_epoch: int, total_steps: int) -> list[int]:
    """The steps a ``--checkpoints`` list names, in order, none after ``total_steps``.

    ``spec`` is comma-separated: a step number (``0`` = the random weights before training),
    ``eN`` (the end of epoch N), ``eA-B`` (the end of each epoch A to B) or ``epochs`` (the
    end of every epoch). ValueError for anything else.
    """
    epochs = -(-total_steps // steps_per_epoch)
    steps: set[int] = set()
    for raw in spec.split(","):
        item = raw.strip().lower()
        if item == "epochs":
            first, last = 1, epochs
        elif item.startswith("e") and item[1:].replace("-", "", 1).isdigit():
            first, _, last = item[1:].partition("-")
            first, last = int(first), int(last or first)
        elif item.isdigit():
            steps.add(min(int(item), total_steps))
            continue
        else:
            raise ValueError(
                f"--checkpoints: {raw.strip()!r} is not a step number, eN, eA-B or 'epochs'"
            )
        if not 1 <= first <= last:
            raise ValueError(f"--checkpoints: {raw.strip()!r} names no epoch (epochs count from 1)")
        steps.update(min(epoch * steps_per_epoch, total_steps) for epoch in range(first, last + 1))
    return sorted(steps)


TOP_K = 9  # favourite test pictures stored per channel: the page shows nine


def search_favourites(model: CNN, images: np.ndarray, k: int = TOP_K) -> dict[str, Favourites]:
    """The ``k`` pictures of ``images`` exciting each channel of each convolution layer most
    (one pass over the pictures per layer, every channel at once)."""
    return {
        layer: favourites(channel_peaks(model, images, layer), k) for layer in conv_layers(model)
    }


def _parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.train",
        description="Train the lesson CNN; write <dataset>-cnn.safetensors and its JSON card.",
    )
    parser.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing)
    parser.add_argument("--shift", type=int, default=defaults.shift, help="max random shift (px)")
    parser.add_argument("--hflip", action="store_true", help="random left-right mirror")
    parser.add_argument("--max-steps", type=int, default=None, help="stop early (smoke tests)")
    parser.add_argument("--data-dir", default=None, help=f"default: ${DATA_DIR_ENV} or a cache")
    parser.add_argument("--out", default="assets/", help="folder for the weights and card")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument(
        "--top-patches-only",
        action="store_true",
        help="do not train: search the test set with the weights already in --out and store "
        "each channel's favourite pictures beside them (<dataset>-cnn-top-patches.json)",
    )
    parser.add_argument(
        "--checkpoints",
        default=None,
        help="also save the weights at these moments, e.g. 0,10,30,100,300,1000,epochs "
        "(step numbers, eN = end of epoch N, eA-B, epochs = every epoch's end) as "
        "<dataset>-cnn-step-NNNNN.safetensors, listed with their test accuracy in "
        "<dataset>-cnn-checkpoints.json; saving them does not change training",
    )
    return parser


@torch.inference_mode()
def _checkpoint_accuracy(path: Path, test_images: np.ndarray, test_labels: np.ndarray) -> float:
    model = CNN(LESSON_CNN)
    model.load_state_dict(load_file(path), strict=True)
    return evaluate(model, test_images, test_labels)[0]


def _store_top_patches(
    model: CNN, dataset: str, test_images: np.ndarray, args: argparse.Namespace, argv: list[str]
) -> None:
    start = time.perf_counter()
    found = search_favourites(model, test_images)
    entry = save_top_patches(
        dataset,
        found,
        out_dir=args.out,
        images=test_images,
        command=shlex.join(["python", "-m", "cnnviz.train", *argv]),
    )
    print(
        f"wrote {entry['file']} ({entry['k']} test pictures per channel of "
        f"{', '.join(found)}, sha256 {entry['sha256']}) in {time.perf_counter() - start:.0f}s"
    )
    card_path, weights_path = model_paths(dataset, args.out)
    print("If these files ship, record their sha256 in cnnviz.weights.SHIPPED_SHA256:")
    for path in (weights_path, card_path, top_patches_path(dataset, args.out)):
        print(f'    "{path.name}": "{file_sha256(path)}",')


def main(argv: list[str] | None = None) -> int:
    """Train, report the test accuracy and write the weights, their card and the top patches
    (or, with ``--top-patches-only``, only the top patches of the weights already there)."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        shift=args.shift,
        hflip=args.hflip,
    )
    try:
        test_images, test_labels = load_dataset(args.dataset, "test", root=args.data_dir)
        if not args.top_patches_only:
            images, labels = load_dataset(args.dataset, "train", root=args.data_dir)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    if args.top_patches_only:
        try:
            model = load_model(args.dataset, assets_dir=args.out, trusted=None)  # yours
        except WeightsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        _store_top_patches(model, args.dataset, test_images, args, argv)
        return 0
    pixels = images / 255.0
    torch.manual_seed(args.seed)  # the weight initialisation
    model = CNN(LESSON_CNN, mean=float(pixels.mean()), std=float(pixels.std()))
    print(f"{args.dataset}: {len(images)} training images, {count_parameters(model)} parameters")

    def report(p: TrainProgress) -> None:
        if p.step % 100 == 0 or p.step == p.total_steps:
            print(
                f"epoch {p.epoch} step {p.step}/{p.total_steps} loss {p.loss:.4f} "
                f"train accuracy {p.accuracy:.4f} {p.elapsed:.0f}s",
                flush=True,
            )

    steps_per_epoch = -(-len(images) // config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    if args.max_steps is not None:
        total_steps = max(1, min(total_steps, args.max_steps))
    try:
        saved = (
            []
            if args.checkpoints is None
            else checkpoint_steps(
                args.checkpoints, steps_per_epoch=steps_per_epoch, total_steps=total_steps
            )
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    checkpoints: dict[int, Path] = {}  # step -> file; the last step is the weights file

    def keep(step: int) -> None:
        # Reads the weights only: no random numbers, no batches, so training is unchanged.
        if step in saved and step < total_steps:
            checkpoints[step] = save_checkpoint(model, args.dataset, step, out_dir=args.out)

    def report_and_keep(p: TrainProgress) -> None:
        keep(p.step)
        report(p)

    keep(0)
    history = train(
        model, images, labels, config, progress=report_and_keep, max_steps=args.max_steps
    )
    accuracy, _ = evaluate(model, test_images, test_labels)
    print(f"test accuracy {accuracy:.4f} after {history.steps} steps in {history.seconds:.0f}s")
    card = save_model(
        model,
        args.dataset,
        out_dir=args.out,
        card={
            "command": shlex.join(["python", "-m", "cnnviz.train", *argv]),
            "epochs": args.epochs,
            "seed": args.seed,
            "steps": history.steps,
            "test_accuracy": round(accuracy, 4),
            "test_images": len(test_images),
            "training_seconds": round(history.seconds, 1),
            "training": asdict(config),
        },
    )
    print(f"wrote {args.out} ({card['weights_file']}, sha256 {card['sha256']})")
    _store_top_patches(model.eval(), args.dataset, test_images, args, argv)
    if saved:
        test = (test_images, test_labels)
        _store_checkpoints(checkpoints, card, accuracy, steps_per_epoch, test, args, argv)
    return 0


def _store_checkpoints(
    checkpoints: dict[int, Path],
    card: dict,
    accuracy: float,
    steps_per_epoch: int,
    test: tuple[np.ndarray, np.ndarray],
    args: argparse.Namespace,
    argv: list[str],
) -> None:
    """Score each checkpoint on the test set and list them all in the checkpoints card."""
    _, weights_path = model_paths(args.dataset, args.out)
    entries = [
        {
            "step": step,
            "epoch": round(step / steps_per_epoch, 3),
            "file": path.name,
            "test_accuracy": round(_checkpoint_accuracy(path, *test), 4),
        }
        for step, path in sorted(checkpoints.items())
    ]
    entries.append(
        {
            "step": card["steps"],
            "epoch": round(card["steps"] / steps_per_epoch, 3),
            "file": weights_path.name,  # the trained network itself: no second copy
            "test_accuracy": round(accuracy, 4),
        }
    )
    path = save_checkpoints_card(
        args.dataset,
        entries,
        out_dir=args.out,
        command=shlex.join(["python", "-m", "cnnviz.train", *argv]),
        steps_per_epoch=steps_per_epoch,
        test_images=len(test[0]),
    )
    for entry in entries:
        print(
            f"checkpoint step {entry['step']} (epoch {entry['epoch']:g}): test accuracy "
            f"{entry['test_accuracy']:.4f}"
        )
    print("If the checkpoints ship, record their sha256 in cnnviz.weights.SHIPPED_SHA256:")
    for name in [*(p.name for _, p in sorted(checkpoints.items())), path.name]:
        print(f'    "{name}": "{file_sha256(path.with_name(name))}",')


if __name__ == "__main__":
    raise SystemExit(main())
