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
import hashlib
import json
import shlex
import shutil
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
from cnnviz.model import CNN, LESSON_CNN, CNNConfig, count_parameters, to_tensor
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
    write_card,
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
    erase: int = 0  # side (px) of a black square hiding a random part of half the images (0 = off)

    def __post_init__(self) -> None:
        positive = self.epochs >= 1 and self.batch_size >= 1 and self.lr > 0
        if not positive or min(self.shift, self.erase) < 0:
            raise ValueError(
                "epochs, batch_size and lr must be positive, shift and erase not negative"
            )


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


def augment(
    x: torch.Tensor, shift: int, hflip: bool, generator: torch.Generator, erase: int = 0
) -> torch.Tensor:
    """Shift each image of ``(N, 1, H, W)`` by up to ``shift`` pixels (zeros fill in), mirror
    about half of them when ``hflip``, and black out an ``erase`` x ``erase`` square centred at a
    random pixel (cut off at the edges) in about half of them when ``erase`` (random erasing:
    the network must recognise a garment from the parts it still sees)."""
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
    if erase:
        hit = torch.rand(n, generator=generator) < 0.5
        top = torch.randint(0, h, (n, 1), generator=generator) - erase // 2  # (N, 1)
        left = torch.randint(0, w, (n, 1), generator=generator) - erase // 2
        rows = (torch.arange(h) >= top) & (torch.arange(h) < top + erase)  # (N, H)
        cols = (torch.arange(w) >= left) & (torch.arange(w) < left + erase)  # (N, W)
        hidden = hit[:, None, None] & rows[:, :, None] & cols[:, None, :]  # (N, H, W)
        x = x.masked_fill(hidden[:, None], 0.0)
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
                x = augment(
                    to_tensor(self._x[index]),
                    config.shift,
                    config.hflip,
                    self._generator,
                    config.erase,
                )
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


VALIDATION_SEED = 2026  # draws the held-out images: fixed, so every candidate holds out the same


def validation_split(
    count: int, size: int, seed: int = VALIDATION_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """``(kept, held)``: indices of ``count`` training images, each ascending; ``size`` of them,
    drawn at random with ``seed`` (always the same draw), are held out to choose settings on,
    the others train. ValueError unless 0 < size < count."""
    if not 0 < size < count:
        raise ValueError(
            f"--validation must hold out between 1 and {count - 1} of the {count} training "
            f"images, not {size}"
        )
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[size:]), np.sort(order[:size])


def validation_facts(held: np.ndarray, count: int) -> dict:
    """What a card says about the validation split ``held`` of ``count`` training images:
    enough to draw it again (:func:`validation_split`) and check it is the same."""
    return {
        "images": len(held),
        "of_training_images": count,
        "seed": VALIDATION_SEED,
        "drawn_by": "cnnviz.train.validation_split",
        "indices_sha256": hashlib.sha256(held.astype("<i8").tobytes()).hexdigest(),
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
    parser.add_argument(
        "--erase",
        type=int,
        default=defaults.erase,
        help="side (px) of a black square hiding a random part of half the images (0 = off)",
    )
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
    parser.add_argument(
        "--validation",
        type=int,
        default=0,
        metavar="N",
        help="hold out N of the training images (always the same seeded draw) and train on "
        "the rest: each epoch reports the accuracy on the held-out images, and the test set "
        "is not looked at; choose between such runs with --select",
    )
    parser.add_argument(
        "--select",
        nargs="+",
        default=None,
        metavar="FOLDER",
        help="do not train: of the runs made with --validation in these folders, take the one "
        "with the best validation accuracy, copy its weights and checkpoints into --out and "
        "score it on the test set, once",
    )
    return parser


def _load_weights(path: Path, architecture: dict | None = None) -> CNN:
    """A CNN with the tensors of the safetensors file ``path``, in ``eval()`` mode."""
    model = CNN(LESSON_CNN if architecture is None else CNNConfig(**architecture))
    model.load_state_dict(load_file(path), strict=True)
    return model.eval()


@torch.inference_mode()
def _checkpoint_accuracy(path: Path, test_images: np.ndarray, test_labels: np.ndarray) -> float:
    return evaluate(_load_weights(path), test_images, test_labels)[0]


def _command(argv: list[str]) -> str:
    return shlex.join(["python", "-m", "cnnviz.train", *argv])


def _store_top_patches(
    model: CNN, dataset: str, test_images: np.ndarray, args: argparse.Namespace, argv: list[str]
) -> None:
    start = time.perf_counter()
    found = search_favourites(model, test_images)
    entry = save_top_patches(
        dataset, found, out_dir=args.out, images=test_images, command=_command(argv)
    )
    print(
        f"wrote {entry['file']} ({entry['k']} test pictures per channel of "
        f"{', '.join(found)}, sha256 {entry['sha256']}) in {time.perf_counter() - start:.0f}s"
    )
    card_path, weights_path = model_paths(dataset, args.out)
    _print_anchors([weights_path, card_path, top_patches_path(dataset, args.out)])


def _print_anchors(paths: list[Path]) -> None:
    print("If these files ship, record their sha256 in cnnviz.weights.SHIPPED_SHA256:")
    for path in paths:
        print(f'    "{path.name}": "{file_sha256(path)}",')


def main(argv: list[str] | None = None) -> int:
    """Train, report the test accuracy and write the weights, their card and the top patches;
    with ``--validation``, train on the rest and report the held-out accuracy instead, never
    the test's; with ``--select``, choose between such runs and score the chosen one on the
    test set; with ``--top-patches-only``, only store the top patches of the weights there."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    try:
        config = TrainConfig(
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            weight_decay=args.weight_decay,
            label_smoothing=args.label_smoothing,
            seed=args.seed,
            shift=args.shift,
            hflip=args.hflip,
            erase=args.erase,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    training = not (args.top_patches_only or args.select)
    try:
        test_images, test_labels = load_dataset(args.dataset, "test", root=args.data_dir)
        if training:
            images, labels = load_dataset(args.dataset, "train", root=args.data_dir)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    if args.select:
        return _select(args, argv, test_images, test_labels)
    if args.top_patches_only:
        try:
            model = load_model(args.dataset, assets_dir=args.out, trusted=None)  # yours
        except WeightsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        _store_top_patches(model, args.dataset, test_images, args, argv)
        return 0
    return _train(args, argv, config, (images, labels), (test_images, test_labels))


def _train(
    args: argparse.Namespace,
    argv: list[str],
    config: TrainConfig,
    data: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
) -> int:
    """Train on ``data`` (less the held-out images with ``--validation``) and write the files."""
    images, labels = data
    count = len(images)
    held: np.ndarray | None = None
    try:
        if args.validation:
            kept, held = validation_split(count, args.validation)
            held_images, held_labels = images[held], labels[held]
            images, labels = images[kept], labels[kept]
        steps_per_epoch = -(-len(images) // config.batch_size)
        total_steps = config.epochs * steps_per_epoch
        if args.max_steps is not None:
            total_steps = max(1, min(total_steps, args.max_steps))
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
    pixels = images / 255.0
    torch.manual_seed(args.seed)  # the weight initialisation
    model = CNN(LESSON_CNN, mean=float(pixels.mean()), std=float(pixels.std()))
    held_out = "" if held is None else f" ({len(held)} more held out for validation)"
    print(
        f"{args.dataset}: {len(images)} training images{held_out}, "
        f"{count_parameters(model)} parameters"
    )
    checkpoints: dict[int, Path] = {}  # step -> file; the last step is the weights file
    validation: list[float] = []  # accuracy on the held-out images at each epoch's end

    def report(p: TrainProgress) -> None:
        # Reads the weights only: no random numbers, no batches, so training is unchanged.
        if p.step in saved and p.step < total_steps:
            checkpoints[p.step] = save_checkpoint(model, args.dataset, p.step, out_dir=args.out)
        if p.step % 100 == 0 or p.step == p.total_steps:
            print(
                f"epoch {p.epoch} step {p.step}/{p.total_steps} loss {p.loss:.4f} "
                f"train accuracy {p.accuracy:.4f} {p.elapsed:.0f}s",
                flush=True,
            )
        if held is not None and (p.step % steps_per_epoch == 0 or p.step == p.total_steps):
            validation.append(evaluate(model, held_images, held_labels)[0])
            model.train()  # evaluate() left it in eval mode: dropout back on
            print(
                f"epoch {p.epoch} validation accuracy {validation[-1]:.4f} "
                f"({len(held)} held-out training images)",
                flush=True,
            )

    if 0 in saved:
        checkpoints[0] = save_checkpoint(model, args.dataset, 0, out_dir=args.out)
    history = train(model, images, labels, config, progress=report, max_steps=args.max_steps)
    facts = {
        "command": _command(argv),
        "epochs": args.epochs,
        "seed": args.seed,
        "steps": history.steps,
        "steps_per_epoch": steps_per_epoch,
        "training_images": len(images),
        "training_seconds": round(history.seconds, 1),
        "training": asdict(config),
    }
    if held is not None:
        split = validation_facts(held, count)
        return _save_candidate(model, facts, split, validation, checkpoints, args)
    accuracy, _ = evaluate(model, *test)
    print(f"test accuracy {accuracy:.4f} after {history.steps} steps in {history.seconds:.0f}s")
    facts |= {"test_accuracy": round(accuracy, 4), "test_images": len(test[0])}
    card = save_model(model, args.dataset, out_dir=args.out, card=facts)
    print(f"wrote {args.out} ({card['weights_file']}, sha256 {card['sha256']})")
    _store_top_patches(model.eval(), args.dataset, test[0], args, argv)
    if saved:
        entries = _scored(checkpoints, card, accuracy, test)
        _store_checkpoints(entries, card, facts["command"], test, args)
    return 0


def _save_candidate(
    model: CNN,
    facts: dict,
    split: dict,
    validation: list[float],
    checkpoints: dict[int, Path],
    args: argparse.Namespace,
) -> int:
    """Write a validation run's weights and card: no test accuracy, and so no top patches
    and no checkpoints card yet (``--select`` adds them)."""
    facts = {
        **facts,
        "validation": split,
        "validation_accuracy": round(validation[-1], 4),
        "validation_accuracy_by_epoch": [round(a, 4) for a in validation],
        "checkpoints": [
            {"step": step, "file": path.name} for step, path in sorted(checkpoints.items())
        ],
    }
    card = save_model(model, args.dataset, out_dir=args.out, card=facts)
    print(
        f"validation accuracy {facts['validation_accuracy']:.4f} on {split['images']} held-out "
        f"training images after {facts['steps']} steps in {facts['training_seconds']:.0f}s; "
        f"wrote {args.out} ({card['weights_file']}, sha256 {card['sha256']}). The test set was "
        "not looked at: choose between runs like this one with --select FOLDER FOLDER ..."
    )
    return 0


def _select(
    args: argparse.Namespace, argv: list[str], test_images: np.ndarray, test_labels: np.ndarray
) -> int:
    """Of the validation runs in ``args.select``, take the best on the held-out images, copy
    its weights and checkpoints into ``args.out`` and score it on the test set, once."""
    dataset, out = args.dataset, Path(args.out)
    try:
        candidates = [_candidate(dataset, Path(folder)) for folder in args.select]
        if len({json.dumps(card["validation"], sort_keys=True) for card in candidates}) != 1:
            raise ValueError(
                "the runs held out different training images, so their validation accuracies "
                "cannot be compared: train them with the same --validation N"
            )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for folder, card in zip(args.select, candidates, strict=True):
        print(f"validation accuracy {card['validation_accuracy']:.4f}: {folder}: {card['command']}")
    best = max(range(len(candidates)), key=lambda i: candidates[i]["validation_accuracy"])
    card, source = candidates[best], Path(args.select[best])
    print(f"chosen by validation accuracy: {source}")
    _, weights_path = model_paths(dataset, out)
    files = [weights_path.name, *(entry["file"] for entry in card["checkpoints"])]
    out.mkdir(parents=True, exist_ok=True)
    for name in files:
        if (source / name).resolve() != (out / name).resolve():
            shutil.copyfile(source / name, out / name)
    model = _load_weights(weights_path, card["architecture"])
    accuracy, _ = evaluate(model, test_images, test_labels)  # the one look at the test set
    print(f"test accuracy {accuracy:.4f} of the chosen run, on {len(test_images)} test images")
    card = {
        **{key: value for key, value in card.items() if key not in ("checkpoints", "top_patches")},
        "test_accuracy": round(accuracy, 4),
        "test_images": len(test_images),
        "selection": {
            "command": _command(argv),
            "by": "accuracy on the held-out validation images (see validation); the test set "
            "played no part in the choice",
            "candidates": [
                {
                    "command": c["command"],
                    "validation_accuracy": c["validation_accuracy"],
                    "sha256": c["sha256"],
                }
                for c in candidates
            ],
            "chosen": best,
            "test_set": "scored once, for the chosen run only, after the choice; its checkpoints' "
            "test accuracies were measured after it too and chose nothing",
        },
    }
    write_card(dataset, card, out_dir=out)
    _print_anchors([weights_path, model_paths(dataset, out)[0]])
    if listed := candidates[best]["checkpoints"]:
        test = (test_images, test_labels)
        checkpoints = {entry["step"]: out / entry["file"] for entry in listed}
        entries = _scored(checkpoints, card, accuracy, test)
        extra = {"selection_command": _command(argv), "validation": card["validation"]}
        _store_checkpoints(entries, card, card["command"], test, args, extra)
    print(
        "The top patches are not stored yet: "
        f"python -m cnnviz.train --dataset {dataset} --top-patches-only --out {args.out}"
    )
    return 0


def _candidate(dataset: str, folder: Path) -> dict:
    """The checked card of a ``--validation`` run in ``folder``; ValueError saying what is wrong."""
    card_path, weights_path = model_paths(dataset, folder)
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{folder}: no readable {card_path.name} ({error})") from None
    needed = {"validation", "validation_accuracy", "checkpoints", "command", "sha256"}
    if not isinstance(card, dict) or card.get("dataset") != dataset or not needed <= card.keys():
        raise ValueError(
            f"{folder}: {card_path.name} is not the card of a {dataset} run made with --validation"
        )
    names = [weights_path.name, *(entry["file"] for entry in card["checkpoints"])]
    if any(Path(name).name != name or not (folder / name).is_file() for name in names):
        raise ValueError(f"{folder}: a file its card lists is missing")
    if file_sha256(weights_path) != card["sha256"]:
        raise ValueError(f"{folder}: {weights_path.name} does not match its card's sha256")
    return card


def _scored(
    checkpoints: dict[int, Path], card: dict, accuracy: float, test: tuple[np.ndarray, np.ndarray]
) -> list[dict]:
    """Each checkpoint with its test accuracy, the trained weights file (``accuracy``) last."""
    steps_per_epoch = card["steps_per_epoch"]
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
            "file": card["weights_file"],  # the trained network itself: no second copy
            "test_accuracy": round(accuracy, 4),
        }
    )
    return entries


def _store_checkpoints(
    entries: list[dict],
    card: dict,
    command: str,
    test: tuple[np.ndarray, np.ndarray],
    args: argparse.Namespace,
    extra: dict | None = None,
) -> Path:
    """List the scored checkpoints in the checkpoints card; print them and their anchors."""
    path = save_checkpoints_card(
        args.dataset,
        entries,
        out_dir=args.out,
        command=command,
        steps_per_epoch=card["steps_per_epoch"],
        test_images=len(test[0]),
        extra={"training_images": card["training_images"], **(extra or {})},
    )
    for entry in entries:
        print(
            f"checkpoint step {entry['step']} (epoch {entry['epoch']:g}): test accuracy "
            f"{entry['test_accuracy']:.4f}"
        )
    print("If the checkpoints ship, record their sha256 in cnnviz.weights.SHIPPED_SHA256:")
    for name in [*(entry["file"] for entry in entries[:-1]), path.name]:
        print(f'    "{name}": "{file_sha256(path.with_name(name))}",')
    return path


if __name__ == "__main__":
    raise SystemExit(main())
