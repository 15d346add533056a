"""Fashion-MNIST and MNIST: find, download, verify and load the standard gzip IDX files."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

import numpy as np

DatasetName = Literal["fashion-mnist", "mnist"]
Split = Literal["train", "test"]
DATASETS: tuple[str, ...] = get_args(DatasetName)
SPLITS: tuple[str, ...] = get_args(Split)
DATA_DIR_ENV = "CNNVIZ_DATA_DIR"
IMAGE_SIZE = 28
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(digit) for digit in range(10)),
}

BASE_URLS = {
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
}

# File names by split: (images, labels).
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_ALL_FILES = {name for pair in FILES.values() for name in pair}

# sha256 of the DECOMPRESSED files: gzip headers differ between mirrors, the IDX bytes do not.
RAW_SHA256 = {
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
        ),
        "train-labels-idx1-ubyte.gz": (
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
        ),
    },
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
        ),
        "train-labels-idx1-ubyte.gz": (
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
        ),
    },
}

# Pictures in each split of both datasets; a file never unpacks to more than the IDX bytes
# of that many (47,040,016 for the 60,000 training pictures), so a gzip "bomb" that would
# unpack to gigabytes is refused after reading that much, not after exhausting memory.
SPLIT_SIZES = {"train": 60_000, "test": 10_000}


def unpacked_limit(file_name: str) -> int:
    """The most bytes an official IDX file named ``file_name`` (``.gz``) unpacks to."""
    split = next(s for s, names in FILES.items() if file_name in names)
    count = SPLIT_SIZES[split]
    images = file_name == FILES[split][0]
    return 16 + count * IMAGE_SIZE * IMAGE_SIZE if images else 8 + count


def shown(path: Path) -> str:
    """``mnist/t10k-images-idx3-ubyte.gz``: a dataset file as messages name it (the server's
    folders stay out of what students read)."""
    return f"{path.parent.name}/{path.name}"


# Called as progress(file_name, bytes_received, bytes_total or None) while downloading.
DownloadProgress = Callable[[str, int, int | None], None]


class DatasetError(OSError):
    """A dataset file is missing, damaged or not what the official checksum says."""


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding ``<name>/`` dataset folders: ``root``, else $CNNVIZ_DATA_DIR, else the
    per-user cache folder."""
    if root is not None:
        return Path(root)
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    import platformdirs  # only needed when nothing says where the data is

    return Path(platformdirs.user_cache_dir("cnnviz"))


def dataset_available(name: DatasetName, *, root: str | os.PathLike[str] | None = None) -> bool:
    """True when all four IDX files of ``name`` are present (their content is not checked)."""
    _check_name(name)
    folder = data_root(root) / name
    return all((folder / f).is_file() for pair in FILES.values() for f in pair)


def _read_gzip(path: Path) -> bytes:
    """The unpacked bytes of ``path``, at most ``unpacked_limit`` of them."""
    if not path.is_file():
        raise DatasetError(
            f"missing dataset file {shown(path)} in the data folder. Set the environment "
            f"variable {DATA_DIR_ENV} to the folder that holds {path.parent.name}/, or call "
            f"cnnviz.data.download_dataset({path.parent.name!r}) to fetch it."
        )
    limit = unpacked_limit(path.name) if path.name in _ALL_FILES else None
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read() if limit is None else stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(
            f"{shown(path)} is not a complete gzip file ({_reason(error)}); delete it and "
            "download it again"
        ) from error
    if limit is not None and len(raw) > limit:
        raise DatasetError(
            f"{shown(path)} unpacks to more than the {limit:,} bytes the official file holds "
            "(a gzip 'bomb' or another file under its name); delete it and download it again"
        )
    return raw


def _reason(error: Exception) -> str:
    """Why reading failed, without the file's path (an OSError's ``strerror`` has none)."""
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _parse_images(raw: bytes, path: Path) -> np.ndarray:
    """IDX3 bytes -> uint8 ``(N, 28, 28)``."""
    if len(raw) < 16:
        raise DatasetError(
            f"{shown(path)} is too short to hold an IDX image header ({len(raw)} bytes)"
        )
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != IMAGE_MAGIC:
        raise DatasetError(
            f"{shown(path)} has magic number {magic}, expected {IMAGE_MAGIC} (IDX images)"
        )
    if (rows, cols) != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(f"{shown(path)} holds {rows}x{cols} images, expected 28x28")
    expected = 16 + count * rows * cols
    if len(raw) != expected:
        raise DatasetError(
            f"{shown(path)} should hold {count} images ({expected} bytes) but has {len(raw)} bytes"
        )
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16)
    return pixels.reshape(count, rows, cols).copy()  # a writable array, like np.load gives


def _parse_labels(raw: bytes, path: Path) -> np.ndarray:
    """IDX1 bytes -> int64 ``(N,)``."""
    if len(raw) < 8:
        raise DatasetError(
            f"{shown(path)} is too short to hold an IDX label header ({len(raw)} bytes)"
        )
    magic, count = struct.unpack(">II", raw[:8])
    if magic != LABEL_MAGIC:
        raise DatasetError(
            f"{shown(path)} has magic number {magic}, expected {LABEL_MAGIC} (IDX labels)"
        )
    if len(raw) != 8 + count:
        raise DatasetError(
            f"{shown(path)} should hold {count} labels ({8 + count} bytes) but has {len(raw)} bytes"
        )
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)
    if count and labels.max() > 9:
        raise DatasetError(f"{shown(path)} has label {labels.max()}, expected classes 0..9")
    return labels


def load_dataset(
    name: DatasetName, split: Split, *, root: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 ``(N, 28, 28)`` and labels int64 ``(N,)`` of one split."""
    _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    folder = data_root(root) / name
    image_file, label_file = (folder / f for f in FILES[split])
    images = _parse_images(_read_gzip(image_file), image_file)
    labels = _parse_labels(_read_gzip(label_file), label_file)
    if len(images) != len(labels):
        raise DatasetError(
            f"{image_file.name} holds {len(images)} images but {label_file.name} holds "
            f"{len(labels)} labels in {name}/; one of them is from another dataset or damaged"
        )
    return images, labels


def _raw_sha256(path: Path) -> str:
    """sha256 of the decompressed content of a gzip file (read no further than an official
    file's size, plus one byte: more than that cannot match)."""
    digest = hashlib.sha256()
    left = unpacked_limit(path.name) + 1 if path.name in _ALL_FILES else None
    try:
        with gzip.open(path, "rb") as stream:
            while (left is None or left > 0) and (chunk := stream.read(1 << 20)):
                digest.update(chunk)
                left = None if left is None else left - len(chunk)
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(
            f"{shown(path)} is not a complete gzip file ({_reason(error)})"
        ) from error
    return digest.hexdigest()


def _fetch(url: str, target: Path, expected_sha256: str, progress: DownloadProgress | None):
    """Download ``url`` to a temp file beside ``target``, verify it, then rename it into place."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = response.length
            received = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(target.name, received, total)
        actual = _raw_sha256(temp)
        if actual != expected_sha256:
            raise DatasetError(
                f"{url} does not have the official content: sha256 {actual}, expected "
                f"{expected_sha256}. Nothing was saved; check the mirror (base_url)."
            )
        os.replace(temp, target)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, DatasetError):
            raise DatasetError(f"could not download {url}: {error}") from error
        raise


def download_dataset(
    name: DatasetName,
    *,
    root: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    progress: DownloadProgress | None = None,
) -> Path:
    """Download the four IDX files of ``name`` into ``<root>/<name>/`` and return that folder.

    Files already present with the official content are kept. Every downloaded file is checked
    against the official sha256 of its decompressed content before it replaces anything.
    """
    _check_name(name)
    folder = data_root(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    base = (base_url or BASE_URLS[name]).rstrip("/") + "/"
    for file_name, expected in RAW_SHA256[name].items():
        target = folder / file_name
        if target.is_file():
            try:
                if _raw_sha256(target) == expected:
                    continue
            except DatasetError:
                pass  # a damaged file is replaced below
        _fetch(base + file_name, target, expected, progress)
    return folder
