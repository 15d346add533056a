"""Loading, checking and downloading the IDX datasets."""

from __future__ import annotations

import gzip
import http.server
import struct
import threading
import zlib
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data import (
    CLASS_NAMES,
    DATASETS,
    FILES,
    RAW_SHA256,
    DatasetError,
    _raw_sha256,
    dataset_available,
    download_dataset,
    load_dataset,
)


def idx_images(images: np.ndarray, magic: int = 2051) -> bytes:
    """IDX3 bytes for uint8 ``(N, H, W)``."""
    n, h, w = images.shape
    return struct.pack(">IIII", magic, n, h, w) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray, magic: int = 2049) -> bytes:
    """IDX1 bytes for labels ``(N,)``."""
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_split(root: Path, image_bytes: bytes, label_bytes: bytes, gzipped=True) -> Path:
    """Write a fake fashion-mnist train split under ``root`` and return its folder."""
    folder = root / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    pack = gzip.compress if gzipped else (lambda b: b)
    (folder / FILES["train"][0]).write_bytes(pack(image_bytes))
    (folder / FILES["train"][1]).write_bytes(pack(label_bytes))
    return folder


@pytest.fixture
def sample() -> tuple[np.ndarray, np.ndarray]:
    """Five random 28x28 images and their labels."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), np.array([3, 1, 4, 1, 5])


def test_valid_files_round_trip(tmp_path, sample):
    """A well-formed split loads back as the same uint8 images and int64 labels."""
    images, labels = sample
    write_split(tmp_path, idx_images(images), idx_labels(labels))
    got_images, got_labels = load_dataset("fashion-mnist", "train", root=tmp_path)
    assert got_images.dtype == np.uint8 and got_images.shape == (5, 28, 28)
    assert got_labels.dtype == np.int64
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize(
    ("image_magic", "label_magic", "needle"),
    [(2049, 2049, "expected 2051"), (2051, 2051, "expected 2049")],
)
def test_bad_magic_is_rejected(tmp_path, sample, image_magic, label_magic, needle):
    """A file whose magic number is not the IDX one raises DatasetError naming it."""
    images, labels = sample
    write_split(tmp_path, idx_images(images, image_magic), idx_labels(labels, label_magic))
    with pytest.raises(DatasetError, match=needle):
        load_dataset("fashion-mnist", "train", root=tmp_path)


def test_truncated_gzip_is_rejected(tmp_path, sample):
    """A gzip file cut short raises DatasetError saying it is not complete."""
    images, labels = sample
    folder = write_split(tmp_path, idx_images(images), idx_labels(labels))
    path = folder / FILES["train"][0]
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match="not a complete gzip"):
        load_dataset("fashion-mnist", "train", root=tmp_path)


def test_not_gzip_is_rejected(tmp_path, sample):
    """Raw, uncompressed IDX bytes under a .gz name raise DatasetError."""
    images, labels = sample
    write_split(tmp_path, idx_images(images), idx_labels(labels), gzipped=False)
    with pytest.raises(DatasetError, match="gzip"):
        load_dataset("fashion-mnist", "train", root=tmp_path)


def test_truncated_payload_is_rejected(tmp_path, sample):
    """A header promising more images than the file holds raises DatasetError."""
    images, labels = sample
    write_split(tmp_path, idx_images(images)[:-100], idx_labels(labels))
    with pytest.raises(DatasetError, match="should hold 5 images"):
        load_dataset("fashion-mnist", "train", root=tmp_path)


def test_wrong_image_size_is_rejected(tmp_path, sample):
    """Images that are not 28x28 raise DatasetError."""
    _, labels = sample
    write_split(tmp_path, idx_images(np.zeros((5, 27, 27))), idx_labels(labels))
    with pytest.raises(DatasetError, match="27x27"):
        load_dataset("fashion-mnist", "train", root=tmp_path)


def test_count_mismatch_is_rejected(tmp_path, sample):
    """Five images with four labels raise DatasetError naming both counts."""
    images, labels = sample
    write_split(tmp_path, idx_images(images), idx_labels(labels[:4]))
    with pytest.raises(DatasetError, match="5 images but .* 4 labels"):
        load_dataset("fashion-mnist", "train", root=tmp_path)


def test_missing_file_says_where_and_what_to_do(tmp_path):
    """A missing file raises a DatasetError (an OSError) naming the file, folder and remedies."""
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", "test", root=tmp_path)
    message = str(caught.value)
    assert isinstance(caught.value, OSError)
    assert "mnist/t10k-images-idx3-ubyte.gz" in message and str(tmp_path) not in message
    assert "CNNVIZ_DATA_DIR" in message and "download_dataset" in message


@pytest.mark.parametrize(
    "broken",
    ["bomb", "cut", "magic", "count"],
)
def test_messages_name_the_file_never_the_folder(tmp_path, sample, broken):
    """Every refusal says ``fashion-mnist/train-images-idx3-ubyte.gz``, not the server's path."""
    images, labels = sample
    data = {
        "bomb": idx_images(images) + bytes(60_000 * 784),
        "cut": idx_images(images),
        "magic": idx_images(images, 2049),
        "count": idx_images(images)[:-100],
    }[broken]
    folder = write_split(tmp_path, data, idx_labels(labels))
    if broken == "cut":
        path = folder / FILES["train"][0]
        path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DatasetError) as caught:
        load_dataset("fashion-mnist", "train", root=tmp_path)
    assert "fashion-mnist/train-images-idx3-ubyte.gz" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_a_gzip_bomb_is_refused_after_reading_an_official_files_size(tmp_path, sample):
    """A test-labels file unpacking to 1 GB of zeros: a DatasetError naming the limit, read
    in bounded memory (never a MemoryError), and the downloader's check stops as early."""
    images, labels = sample
    folder = tmp_path / "mnist"
    folder.mkdir()
    bomb = folder / FILES["test"][1]
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    with bomb.open("wb") as out:
        block = bytes(1 << 20)
        for _ in range(1024):
            out.write(packer.compress(block))
        out.write(packer.flush())
    assert bomb.stat().st_size < 2_000_000
    (folder / FILES["test"][0]).write_bytes(gzip.compress(idx_images(images)))
    peak = tracemalloc_peak(lambda: load_dataset("mnist", "test", root=tmp_path))
    assert isinstance(peak[1], DatasetError) and "10,008 bytes" in str(peak[1])
    assert peak[0] < 50_000_000  # bytes allocated at most, for a 1 GB bomb
    assert _raw_sha256(bomb) != RAW_SHA256["mnist"][FILES["test"][1]]


def tracemalloc_peak(call):
    """(peak bytes allocated while ``call`` runs, the exception it raised or None)."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        raised = None
    except DatasetError as error:
        raised = error
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, raised


def test_environment_variable_names_the_folder(tmp_path, monkeypatch, sample):
    """Without ``root``, $CNNVIZ_DATA_DIR says where the data is."""
    images, labels = sample
    write_split(tmp_path, idx_images(images), idx_labels(labels))
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    assert len(load_dataset("fashion-mnist", "train")[0]) == 5
    assert not dataset_available("fashion-mnist")  # the test split is absent


@pytest.mark.parametrize(("name", "split"), [("cifar", "train"), ("mnist", "validation")])
def test_unknown_name_or_split_lists_choices(tmp_path, name, split):
    """An unknown dataset or split raises ValueError listing the allowed values."""
    with pytest.raises(ValueError, match="choose one of"):
        load_dataset(name, split, root=tmp_path)


def test_class_names():
    """Each dataset has ten class names in label order."""
    assert set(CLASS_NAMES) == set(DATASETS)
    assert CLASS_NAMES["fashion-mnist"][0] == "T-shirt/top"
    assert CLASS_NAMES["fashion-mnist"][9] == "Ankle boot"
    assert CLASS_NAMES["mnist"] == tuple("0123456789")


@pytest.mark.data
@pytest.mark.parametrize(
    ("name", "first_test_labels"),
    [("fashion-mnist", [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]), ("mnist", [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])],
)
def test_real_datasets_load(data_dir, name, first_test_labels):
    """The real splits hold 60,000 + 10,000 images of 28x28 in the official label order."""
    if not dataset_available(name, root=data_dir):
        pytest.skip(f"{name} not found in {data_dir}")
    images, labels = load_dataset(name, "train", root=data_dir)
    test_images, test_labels = load_dataset(name, "test", root=data_dir)
    assert images.shape == (60000, 28, 28) and test_images.shape == (10000, 28, 28)
    assert labels.shape == (60000,) and set(np.unique(labels)) == set(range(10))
    assert test_labels[:10].tolist() == first_test_labels


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@contextmanager
def serve(folder: Path):
    """Serve ``folder`` over HTTP on a random local port; yields the base URL."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.data
@pytest.mark.parametrize("name", DATASETS)
def test_download_from_a_mirror_verifies_and_loads(data_dir, tmp_path, name):
    """Downloading from a local mirror yields the four verified files, which then load."""
    if not dataset_available(name, root=data_dir):
        pytest.skip(f"{name} not found in {data_dir}")
    seen: set[str] = set()
    with serve(data_dir / name) as url:
        folder = download_dataset(
            name, root=tmp_path, base_url=url, progress=lambda f, done, total: seen.add(f)
        )
    assert folder == tmp_path / name and dataset_available(name, root=tmp_path)
    assert seen == {f for pair in FILES.values() for f in pair}
    assert load_dataset(name, "test", root=tmp_path)[0].shape == (10000, 28, 28)
    # Verified files are kept: a second call needs no server.
    download_dataset(name, root=tmp_path, base_url="http://127.0.0.1:9/")
    assert not list(folder.glob(".*"))  # no temp files left behind


def test_download_rejects_tampered_content(tmp_path, sample):
    """A mirror serving content with the wrong checksum is refused and nothing is kept."""
    images, _ = sample
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / FILES["train"][0]).write_bytes(gzip.compress(idx_images(images)))
    with serve(mirror) as url, pytest.raises(DatasetError, match="official content"):
        download_dataset("mnist", root=tmp_path / "data", base_url=url)
    assert list((tmp_path / "data" / "mnist").iterdir()) == []


def test_download_reports_an_unreachable_mirror(tmp_path):
    """A mirror that does not answer raises DatasetError naming the URL."""
    with pytest.raises(DatasetError, match="could not download http://127.0.0.1:9/"):
        download_dataset("mnist", root=tmp_path, base_url="http://127.0.0.1:9/")
