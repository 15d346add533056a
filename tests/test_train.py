"""Training loop, evaluation and the ``python -m cnnviz.train`` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from cnnviz.data import dataset_available, load_dataset
from cnnviz.model import CNN, CNNConfig
from cnnviz.train import (
    History,
    TrainConfig,
    TrainProgress,
    augment,
    checkpoint_steps,
    evaluate,
    main,
    train,
    validation_split,
)
from cnnviz.weights import (
    WeightsError,
    file_sha256,
    load_checkpoint,
    load_model,
    load_top_patches,
    read_card,
    read_checkpoints,
    top_patches_path,
)

REPO = Path(__file__).resolve().parent.parent
TINY = CNNConfig(channels=(4,), dense=16, dropout=0.0)


def bars(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 ``(n, 28, 28)`` noisy images: class 0 a vertical bar, class 1 a horizontal bar."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    labels = np.arange(n) % 2
    images[labels == 0, 4:24, 12:16] = 255
    images[labels == 1, 12:16, 4:24] = 255
    return images, labels


def fresh(seed: int = 0, config: CNNConfig = TINY) -> CNN:
    """A new CNN with weights drawn from ``seed``."""
    torch.manual_seed(seed)
    return CNN(config, mean=0.2, std=0.3)


def test_a_few_steps_learn_the_bars():
    """Forty steps on two easy classes cut the loss and classify them all."""
    images, labels = bars()
    model = fresh()
    history = train(model, images, labels, TrainConfig(epochs=10, batch_size=16, lr=1e-2))
    assert history.steps == 40 and len(history.epoch_loss) == 10
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]
    accuracy, predictions = evaluate(model, images, labels)
    assert accuracy == 1.0 and predictions.dtype == np.int64 and predictions.shape == (64,)


def test_same_seed_same_result():
    """Same init and config give identical losses and weights; another seed does not."""
    images, labels = bars()
    config = TrainConfig(epochs=2, batch_size=16, seed=3, hflip=True)
    runs = []
    for _ in range(2):
        model = fresh(config=CNNConfig(channels=(4,), dense=16, dropout=0.5))
        runs.append((train(model, images, labels, config), model.state_dict()))
    (first, weights), (second, again) = runs
    assert first.loss == second.loss
    for key in weights:
        torch.testing.assert_close(weights[key], again[key], rtol=0, atol=0)
    other = train(fresh(), images, labels, TrainConfig(epochs=2, batch_size=16, seed=4))
    assert other.loss != first.loss


def test_progress_and_step_limit():
    """``max_steps`` caps the steps and progress sees each one, numbered from 1."""
    images, labels = bars()
    seen: list[TrainProgress] = []
    history = train(
        fresh(), images, labels, TrainConfig(batch_size=8), progress=seen.append, max_steps=5
    )
    assert history.steps == 5 and [p.step for p in seen] == [1, 2, 3, 4, 5]
    assert {p.total_steps for p in seen} == {5} and seen[-1].epoch == 1
    assert all(0 <= p.accuracy <= 1 and p.loss > 0 and p.elapsed >= 0 for p in seen)


def test_should_stop_ends_training():
    """When ``should_stop()`` turns true, training stops after that step and says so."""
    images, labels = bars()
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) == 4

    history = train(fresh(), images, labels, TrainConfig(batch_size=8), should_stop=should_stop)
    assert isinstance(history, History) and history.stopped and history.steps == 4


def test_training_leaves_the_model_in_eval_and_contiguous():
    """After training the model is in eval mode with ordinary (NCHW) weight layout."""
    images, labels = bars()
    model = fresh()
    train(model, images, labels, max_steps=2)
    assert not model.training and model.conv1.weight.is_contiguous()


def test_mismatched_inputs_are_rejected():
    """Images and labels of different lengths raise ValueError."""
    images, labels = bars()
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        train(fresh(), images, labels[:-1])


def test_augment_shifts_without_losing_the_object():
    """Shifts move a centred object by at most ``shift`` pixels and keep every pixel of it."""
    x = torch.zeros(16, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0
    moved = augment(x, 2, False, torch.Generator().manual_seed(0))
    assert moved.shape == x.shape
    torch.testing.assert_close(moved.sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3)))
    assert not torch.equal(moved, x)
    rows = moved[:, 0].sum(2).nonzero()[:, 1]
    assert rows.min() >= 8 and rows.max() <= 19
    torch.testing.assert_close(augment(x, 0, False, torch.Generator()), x)


def test_augment_flip_mirrors_some_images():
    """With ``hflip`` some images come out mirrored and the rest unchanged."""
    x = torch.zeros(32, 1, 28, 28)
    x[..., :5] = 1.0
    out = augment(x, 0, True, torch.Generator().manual_seed(0))
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    same = (out == x).flatten(1).all(1)
    assert bool((mirrored ^ same).all()) and 0 < int(mirrored.sum()) < 32


@pytest.mark.data
def test_command_line_smoke_run(data_dir, tmp_path):
    """A 5-step ``python -m cnnviz.train`` run writes weights and a card that load_model accepts."""
    if not dataset_available("mnist", root=data_dir):
        pytest.skip(f"mnist not found in {data_dir}")
    command = [
        sys.executable,
        "-m",
        "cnnviz.train",
        "--dataset",
        "mnist",
        "--epochs",
        "1",
        "--seed",
        "1",
        "--max-steps",
        "5",
        "--data-dir",
        str(data_dir),
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout
    card = json.loads((tmp_path / "mnist-cnn.json").read_text())
    assert card["steps"] == 5 and card["seed"] == 1 and card["dataset"] == "mnist"
    assert card["sha256"] == file_sha256(tmp_path / "mnist-cnn.safetensors")
    assert card["command"].startswith("python -m cnnviz.train --dataset mnist")
    model = load_model("mnist", assets_dir=tmp_path, trusted=None)  # not shipped: no anchor
    assert not model.training and model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    test_images, _ = load_dataset("mnist", "test", root=data_dir)
    stored = load_top_patches("mnist", images=test_images, assets_dir=tmp_path, trusted=None)
    assert stored["conv1"].indices.shape == (32, 9) and stored["conv2"].values.shape == (64, 9)
    assert "wrote mnist-cnn-top-patches.json" in done.stdout
    assert f'"mnist-cnn.safetensors": "{card["sha256"]}",' in done.stdout  # the anchor line
    first = file_sha256(top_patches_path("mnist", tmp_path))
    again = ["--dataset", "mnist", "--top-patches-only", "--threads", "1"]
    threads = torch.get_num_threads()
    try:  # one thread here, two in the run above
        assert main([*again, "--data-dir", str(data_dir), "--out", str(tmp_path)]) == 0
    finally:
        torch.set_num_threads(threads)
    assert file_sha256(top_patches_path("mnist", tmp_path)) == first  # reproduced exactly
    card = json.loads((tmp_path / "mnist-cnn.json").read_text())
    assert card["steps"] == 5 and card["top_patches"]["sha256"] == first
    assert "--top-patches-only" in card["top_patches"]["command"]


def test_top_patches_only_needs_the_weights(data_dir, tmp_path, capsys):
    """``--top-patches-only`` with no weights in --out says so and exits with status 2."""
    if not dataset_available("mnist", root=data_dir):
        pytest.skip(f"mnist not found in {data_dir}")
    args = ["--dataset", "mnist", "--top-patches-only", "--data-dir", str(data_dir)]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert "is missing" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_command_line_without_data_explains_and_fails(tmp_path, capsys):
    """Without the data, the command exits with status 2 and says how to get it."""
    status = main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path)])
    assert status == 2
    assert "CNNVIZ_DATA_DIR" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_checkpoint_steps_reads_steps_epochs_and_ranges():
    """``--checkpoints``: step numbers, eN, eA-B and 'epochs', in order, none past the end."""
    spec = "0,10,e1,e3-4,99999"
    assert checkpoint_steps(spec, steps_per_epoch=469, total_steps=4 * 469) == [
        0,
        10,
        469,
        1407,
        1876,
    ]
    assert checkpoint_steps("epochs", steps_per_epoch=10, total_steps=25) == [10, 20, 25]
    for bad in ("e0", "ten", "e2-1", "-5", ""):
        with pytest.raises(ValueError, match="--checkpoints"):
            checkpoint_steps(bad, steps_per_epoch=10, total_steps=30)


@pytest.mark.data
def test_checkpoints_leave_training_unchanged(data_dir, tmp_path, capsys):
    """Saving checkpoints takes no random numbers and no batches: the final weights are the
    same bytes as without them; each checkpoint loads, is checked, and scores what its card says."""
    if not dataset_available("fashion-mnist", root=data_dir):
        pytest.skip(f"fashion-mnist not found in {data_dir}")
    args = ["--dataset", "fashion-mnist", "--epochs", "1", "--shift", "1", "--hflip"]
    args += ["--max-steps", "12", "--threads", "1", "--data-dir", str(data_dir)]
    threads = torch.get_num_threads()
    try:
        assert main([*args, "--out", str(tmp_path / "plain")]) == 0
        spec = ["--checkpoints", "0,5,e1"]
        assert main([*args, *spec, "--out", str(tmp_path / "saved")]) == 0
    finally:
        torch.set_num_threads(threads)
    name = "fashion-mnist-cnn.safetensors"
    assert file_sha256(tmp_path / "saved" / name) == file_sha256(tmp_path / "plain" / name)
    entries = read_checkpoints("fashion-mnist", assets_dir=tmp_path / "saved", trusted=None)
    assert [e["step"] for e in entries] == [0, 5, 12]  # e1 is cut at the 12th, last step
    assert entries[-1]["file"] == name  # the trained network is not stored twice
    test_images, test_labels = load_dataset("fashion-mnist", "test", root=data_dir)
    for entry in entries:
        model = load_checkpoint(
            "fashion-mnist", entry["step"], assets_dir=tmp_path / "saved", trusted=None
        )
        accuracy, _ = evaluate(model, test_images, test_labels)
        assert round(accuracy, 4) == entry["test_accuracy"]
    assert 0.05 < entries[0]["test_accuracy"] < 0.2  # random weights: about 1 in 10
    out = capsys.readouterr().out
    assert '"fashion-mnist-cnn-checkpoints.json": "' in out  # the anchor lines


def test_bad_checkpoints_option_explains_and_fails(data_dir, tmp_path, capsys):
    """An unreadable ``--checkpoints`` list exits with status 2 before training, saying why."""
    if not dataset_available("mnist", root=data_dir):
        pytest.skip(f"mnist not found in {data_dir}")
    args = ["--dataset", "mnist", "--max-steps", "2", "--data-dir", str(data_dir)]
    assert main([*args, "--checkpoints", "0,soon", "--out", str(tmp_path)]) == 2
    assert "'soon' is not a step number" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_augment_erase_blacks_out_a_square_in_about_half_the_images():
    """``erase`` hides one square of at most ``erase`` x ``erase`` pixels (cut at the edges)
    in some images and leaves the others as they were; off, it takes no random numbers."""
    x = torch.ones(64, 1, 28, 28)
    out = augment(x, 0, False, torch.Generator().manual_seed(0), erase=10)
    hidden = (out == 0).flatten(1).sum(1)
    assert 10 < int((hidden > 0).sum()) < 54  # about half
    for image, count in zip(out[:, 0], hidden, strict=True):
        if count:
            rows, cols = (image == 0).nonzero(as_tuple=True)
            height, width = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
            assert height * width == count and 5 <= height <= 10 and 5 <= width <= 10
    assert set(out.unique().tolist()) == {0.0, 1.0}
    generator, again = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    torch.testing.assert_close(augment(x, 2, True, generator, erase=0), augment(x, 2, True, again))
    assert torch.equal(generator.get_state(), again.get_state())  # the old recipes: unchanged


def test_validation_split_is_fixed_disjoint_and_complete():
    """The held-out images are always the same draw, never trained on, and with the kept
    ones they are every training image once."""
    kept, held = validation_split(60_000, 5_000)
    assert len(kept) == 55_000 and len(held) == 5_000
    assert np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(60_000))
    assert (np.diff(kept) > 0).all() and (np.diff(held) > 0).all()
    again_kept, again_held = validation_split(60_000, 5_000)
    assert np.array_equal(held, again_held) and np.array_equal(kept, again_kept)
    assert not np.array_equal(held, validation_split(60_000, 5_000, seed=1)[1])
    for bad in (0, 60_000, -3):
        with pytest.raises(ValueError, match="--validation"):
            validation_split(60_000, bad)


RUN = ["--dataset", "fashion-mnist", "--epochs", "1", "--shift", "1", "--hflip"]
RUN += ["--max-steps", "6", "--threads", "1", "--checkpoints", "0,3"]


@pytest.fixture(scope="module")
def validation_runs(tmp_path_factory, data_dir):
    """Two tiny validation runs (plain and with erasing) in their own folders, and what they
    printed: ``(folders, outputs, data dir)``."""
    if not dataset_available("fashion-mnist", root=data_dir):
        pytest.skip(f"fashion-mnist not found in {data_dir}")
    root = tmp_path_factory.mktemp("runs")
    folders, outputs = [root / "plain", root / "erase"], []
    threads = torch.get_num_threads()
    try:
        for folder, extra in zip(folders, ([], ["--erase", "10"]), strict=True):
            args = [*RUN, *extra, "--validation", "500", "--data-dir", str(data_dir)]
            done = subprocess.run(
                [sys.executable, "-m", "cnnviz.train", *args, "--out", str(folder)],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
    finally:
        torch.set_num_threads(threads)
    return folders, outputs, data_dir


@pytest.mark.data
def test_a_validation_run_never_looks_at_the_test_set(validation_runs):
    """``--validation``: trained on the rest, the held-out accuracy reported (it is what the
    card says, measured again here), no test accuracy anywhere, and the unscored network is
    not usable as a shipped one."""
    folders, outputs, data_dir = validation_runs
    card = json.loads((folders[0] / "fashion-mnist-cnn.json").read_text())
    assert "test accuracy" not in outputs[0] and "validation accuracy" in outputs[0]
    assert "test_accuracy" not in card and "top_patches" not in card
    assert card["training_images"] == 59_500 and card["validation"]["images"] == 500
    assert card["validation_accuracy_by_epoch"][-1] == card["validation_accuracy"]
    assert [e["step"] for e in card["checkpoints"]] == [0, 3]
    images, labels = load_dataset("fashion-mnist", "train", root=data_dir)
    _, held = validation_split(len(images), 500)
    model = CNN(CNNConfig())
    model.load_state_dict(load_file(folders[0] / "fashion-mnist-cnn.safetensors"))
    accuracy, _ = evaluate(model, images[held], labels[held])
    assert round(accuracy, 4) == card["validation_accuracy"]
    with pytest.raises(WeightsError, match="lacks"):
        load_model("fashion-mnist", assets_dir=folders[0], trusted=None)


@pytest.mark.data
def test_select_takes_the_best_validation_run_and_scores_it_once(validation_runs, tmp_path):
    """``--select``: the run with the best held-out accuracy is copied byte for byte, its
    card gains the test accuracy (measured again here), the candidates and their validation
    accuracies; its checkpoints are scored after the choice and end at the trained network."""
    folders, _, data_dir = validation_runs
    cards = [json.loads((f / "fashion-mnist-cnn.json").read_text()) for f in folders]
    args = ["--dataset", "fashion-mnist", "--threads", "1", "--data-dir", str(data_dir)]
    out = tmp_path / "chosen"
    threads = torch.get_num_threads()
    try:
        assert main([*args, "--select", *map(str, folders), "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    scores = [c["validation_accuracy"] for c in cards]
    best = scores.index(max(scores))
    card = read_card("fashion-mnist", assets_dir=out)
    selection = card["selection"]
    assert selection["chosen"] == best
    assert [c["validation_accuracy"] for c in selection["candidates"]] == scores
    assert [c["command"] for c in selection["candidates"]] == [c["command"] for c in cards]
    assert "once" in selection["test_set"] and card["validation"] == cards[best]["validation"]
    name = "fashion-mnist-cnn.safetensors"
    assert file_sha256(out / name) == file_sha256(folders[best] / name) == card["sha256"]
    test_images, test_labels = load_dataset("fashion-mnist", "test", root=data_dir)
    model = load_model("fashion-mnist", assets_dir=out, trusted=None)
    assert round(evaluate(model, test_images, test_labels)[0], 4) == card["test_accuracy"]
    entries = read_checkpoints("fashion-mnist", assets_dir=out, trusted=None)
    assert [e["step"] for e in entries] == [0, 3, 6] and entries[-1]["file"] == name
    assert entries[-1]["test_accuracy"] == card["test_accuracy"]
    step3 = load_checkpoint("fashion-mnist", 3, assets_dir=out, trusted=None)
    assert round(evaluate(step3, test_images, test_labels)[0], 4) == entries[1]["test_accuracy"]
    assert 0.05 < entries[0]["test_accuracy"] < 0.2  # random weights: about 1 in 10
    checkpoints_card = json.loads((out / "fashion-mnist-cnn-checkpoints.json").read_text())
    assert checkpoints_card["validation"] == card["validation"]
    assert checkpoints_card["training_images"] == 59_500


@pytest.mark.data
def test_select_refuses_runs_it_cannot_compare(validation_runs, tmp_path, capsys):
    """Runs holding out other images, or not made with --validation, are refused with a
    sentence and exit status 2, before anything is written."""
    folders, _, data_dir = validation_runs
    args = ["--dataset", "fashion-mnist", "--data-dir", str(data_dir), "--out", str(tmp_path)]
    other = tmp_path / "other"
    shutil.copytree(folders[1], other)
    card_path = other / "fashion-mnist-cnn.json"
    card = json.loads(card_path.read_text())
    card["validation"]["images"] = 400
    card_path.write_text(json.dumps(card))
    assert main([*args, "--select", str(folders[0]), str(other)]) == 2
    assert "held out different training images" in capsys.readouterr().err
    del card["validation"]
    card_path.write_text(json.dumps(card))
    assert main([*args, "--select", str(folders[0]), str(other)]) == 2
    assert "made with --validation" in capsys.readouterr().err
    assert main([*args, "--select", str(tmp_path / "nowhere")]) == 2
    assert "no readable" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]


def test_bad_validation_option_explains_and_fails(data_dir, tmp_path, capsys):
    """``--validation`` holding out every image exits with status 2 before training."""
    if not dataset_available("mnist", root=data_dir):
        pytest.skip(f"mnist not found in {data_dir}")
    args = ["--dataset", "mnist", "--max-steps", "2", "--data-dir", str(data_dir)]
    assert main([*args, "--validation", "60000", "--out", str(tmp_path)]) == 2
    assert "--validation must hold out" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
