"""Integrity on the pages: tampered weights are refused even with a matching card, a gzip bomb
in the data folder gets a sentence, and no message shows the server's folders."""

import gzip
import json
import shutil
import zlib

import pytest
import torch
from safetensors.torch import save_file

from cnnviz.data import FILES
from cnnviz.weights import ASSETS_DIR, file_sha256, load_model
from tests.app.conftest import open_page, text_of


def every_message(at) -> str:
    return text_of(at) + "\n".join(e.value for e in at.exception)


@pytest.fixture
def tampered_assets(tmp_path, monkeypatch):
    """assets/ with the Fashion-MNIST weights changed and the card saying their new sha256."""
    folder = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, folder)
    model = load_model("fashion-mnist", assets_dir=folder)
    with torch.no_grad():
        model.output.bias[0] += 100.0  # everything becomes a T-shirt
    weights = folder / "fashion-mnist-cnn.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    card_path = folder / "fashion-mnist-cnn.json"
    card = json.loads(card_path.read_text())
    card["sha256"] = file_sha256(weights)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    monkeypatch.setenv("CNNVIZ_ASSETS_DIR", str(folder))
    return folder


def test_weights_changed_with_their_card_are_refused_on_the_page(tampered_assets, data_dir):
    """The Inside a CNN page says the network cannot be used, names the file, not the folder."""
    at = open_page("pages/inside_cnn.py")
    (error,) = [e.value for e in at.error]
    assert "network cannot be used" in error and "fashion-mnist-cnn.safetensors" in error
    assert str(tampered_assets) not in every_message(at)


def bomb(path, megabytes: int = 200) -> None:
    """A gzip file of ``megabytes`` MB of zeros (about 0.2 MB on disk)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        for _ in range(megabytes):
            out.write(packer.compress(bytes(1 << 20)))
        out.write(packer.flush())


@pytest.fixture
def bombed_data(tmp_path, data_dir, monkeypatch):
    """A data folder whose Fashion-MNIST training pictures are a gzip bomb."""
    folder = tmp_path / "data"
    for name in ("fashion-mnist", "mnist"):
        shutil.copytree(data_dir / name, folder / name)
    bomb(folder / "fashion-mnist" / FILES["train"][0])
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(folder))
    return folder


def test_a_gzip_bomb_in_the_data_folder_gets_a_sentence(bombed_data):
    """Train says the file is damaged (no MemoryError), names it, not the folder."""
    at = open_page("pages/train.py")
    errors = " ".join(e.value for e in at.error)
    assert "fashion-mnist/train-images-idx3-ubyte.gz unpacks to more than" in errors
    assert str(bombed_data) not in every_message(at)


def test_without_data_the_pages_name_no_server_folder(tmp_path, monkeypatch):
    """The download offer says which folder name it needs, not where the server keeps it."""
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(empty))
    for page, query in (("pages/train.py", {}), ("pages/inside_cnn.py", {"inside.source": "test"})):
        at = open_page(page, query)
        assert "not on this server yet" in text_of(at)
        assert str(empty) not in every_message(at)


def test_a_cut_data_file_is_named_without_its_folder(tmp_path, data_dir, monkeypatch):
    """A test set cut in half: the file's name and what to do, no folder."""
    folder = tmp_path / "data"
    shutil.copytree(data_dir / "mnist", folder / "mnist")
    shutil.copytree(data_dir / "fashion-mnist", folder / "fashion-mnist")
    path = folder / "fashion-mnist" / FILES["test"][0]
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:5000]))
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(folder))
    at = open_page("pages/inside_cnn.py")
    assert "fashion-mnist/t10k-images-idx3-ubyte.gz" in text_of(at)
    assert str(folder) not in every_message(at)
