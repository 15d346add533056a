"""The app's one cache module: everything a server keeps between reruns is kept here.

Two kinds of keeping, both keyed by the function and its arguments' content (never by
hand-joined strings):

- ``@budgeted("kind")``: results (arrays, pictures, PNGs, questions), counted in bytes.
- ``@resource(...)``: objects shared whole, whose bytes are not the point: the loaded
  networks, the test sets, the training hall, a thread started once per server.

``@budgeted("kind")`` caches a function's results in the server's one ``Budget``: least
recently used entries go first when the bytes would exceed it, every entry expires after
``TTL_SECONDS``, and a result larger than ``LARGEST_FRACTION`` of the budget is computed and
handed back but not kept. As with ``st.cache_data``, parameters whose name starts with ``_``
are left out of the key: the caller names their content in another argument. Results are
shared, not copied: arrays come back read-only.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import cachetools
import numpy as np
import streamlit as st

import cnnviz
from cnnviz import images, samples
from cnnviz.plotting import figure_png
from cnnviz.questions import Question

BUDGET_VARIABLE = "CNNVIZ_CACHE_MB"
# 512 MB: with the server itself (about 700 MB once torch is loaded), a browser and the
# system, a 4 GB laptop keeps room to spare.
DEFAULT_MB = 512
TTL_SECONDS = 3600  # a lesson: what nobody asked for since is computed again
LARGEST_FRACTION = 1 / 8  # a bigger result is not kept: one student cannot empty the cache


@dataclass(frozen=True)
class Usage:
    """What the shared cache holds now."""

    bytes: int  # total size of the entries kept
    budget: int  # the most bytes it keeps
    largest: int  # results larger than this are not kept
    entries: int  # how many results it keeps
    by_kind: dict[str, int]  # bytes per ``budgeted(kind)``


def sizeof(value) -> int:
    """Bytes a cached value holds: arrays and bytes by their data, containers by their parts."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return sum(sizeof(part) for part in value)
    if isinstance(value, dict):
        return sum(sizeof(part) for part in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(sizeof(getattr(value, field.name)) for field in dataclasses.fields(value))
    return sys.getsizeof(value)


class _Store(cachetools.TTLCache):
    """LRU by bytes with a time to live; refuses entries above ``largest`` bytes."""

    def __init__(self, budget: int, *, ttl: float, largest: int, timer: Callable[[], float]):
        super().__init__(budget, ttl, timer=timer, getsizeof=sizeof)
        self.largest = largest

    def __setitem__(self, key, value):
        if sizeof(value) > self.largest:
            raise ValueError("value too large")  # cachetools.cached then returns it unkept
        super().__setitem__(key, value)


class Budget:
    """One byte-bounded cache for many functions; thread-safe.

    Two sessions asking for the same missing key compute it once: the second waits.
    """

    def __init__(
        self,
        budget: int,
        *,
        ttl: float = TTL_SECONDS,
        largest_fraction: float = LARGEST_FRACTION,
        timer: Callable[[], float] = time.monotonic,
    ):
        self.condition = threading.Condition()
        self.store = _Store(budget, ttl=ttl, largest=int(budget * largest_fraction), timer=timer)
        self._cached = cachetools.cached(
            self.store, key=_first, lock=self.condition, condition=self.condition
        )(_compute)

    def get(self, key: tuple, function: Callable, args: tuple, kwargs: dict):
        """``function(*args, **kwargs)``, kept under ``key`` (its first item is the kind)."""
        return self._cached(key, function, *args, **kwargs)

    def usage(self) -> Usage:
        """Bytes and entries kept now (expired entries dropped first)."""
        with self.condition:
            self.store.expire()
            by_kind: dict[str, int] = {}
            for key, value in self.store.items():
                by_kind[key[0]] = by_kind.get(key[0], 0) + sizeof(value)
            return Usage(
                int(self.store.currsize),
                int(self.store.maxsize),
                self.store.largest,
                len(self.store),
                by_kind,
            )

    def clear(self) -> None:
        """Forget every entry."""
        with self.condition:
            self.store.clear()

    def forget(self, kind: str, name: str) -> None:
        """Forget the entries of one cached function (``kind`` and its qualified ``name``)."""
        with self.condition:
            for key in [key for key in self.store if key[:2] == (kind, name)]:
                del self.store[key]


def _first(key, /, *_, **__):
    return key


def _compute(key, function, /, *args, **kwargs):
    return _frozen(function(*args, **kwargs))


def _key(signature: inspect.Signature, args: tuple, kwargs: dict) -> tuple:
    """The arguments not starting with ``_``, by name, made hashable by content."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(
        (name, _part(value)) for name, value in bound.arguments.items() if not name.startswith("_")
    )


def _part(value):
    """A hashable stand-in for one argument: arrays and bytes by a digest of their content."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.blake2b(data.data, digest_size=16).hexdigest()
        return ("array", data.shape, data.dtype.str, digest)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", hashlib.blake2b(value, digest_size=16).hexdigest())
    if isinstance(value, (tuple, list)):
        return tuple(_part(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _part(v)) for k, v in value.items()))
    if isinstance(value, np.generic):
        return value.item()
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"a cached function got a {type(value).__name__}, which cannot be a cache key: "
            "name it with a leading underscore and pass a key for its content"
        ) from None
    return value


def _frozen(value):
    """Make shared arrays read-only, so no session can change another's result: arrays on
    their own or inside tuples, lists, dicts and dataclasses."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (tuple, list)):
        for part in value:
            _frozen(part)
    elif isinstance(value, dict):
        for part in value.values():
            _frozen(part)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _frozen(getattr(value, field.name))
    return value


def budget_bytes() -> int:
    """The budget from ``$CNNVIZ_CACHE_MB`` (megabytes), else ``DEFAULT_MB``."""
    text = os.environ.get(BUDGET_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MB * 2**20
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1
    if megabytes < 1:
        raise ValueError(
            f"{BUDGET_VARIABLE} must be a number of megabytes (1 or more), got {text!r}"
        )
    return int(megabytes * 2**20)


@st.cache_resource(show_spinner=False)
def shared() -> Budget:
    """The server's one cache, shared by all its sessions."""
    return Budget(budget_bytes())


def budgeted(kind: str) -> Callable[[Callable], Callable]:
    """Decorator: cache results in the server's shared budget, counted under ``kind``."""

    def decorate(function: Callable) -> Callable:
        signature = inspect.signature(function)
        name = f"{function.__module__}.{function.__qualname__}"
        names = tuple(signature.parameters)
        plain = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in signature.parameters.values())

        @functools.wraps(function)
        def cached(*args, **kwargs):
            if plain and not kwargs and len(args) == len(names):
                # every argument given by position: the key _key would build, without
                # binding a signature (a cached call happens dozens of times per rerun)
                parts = tuple(
                    (n, _part(v)) for n, v in zip(names, args, strict=True) if n[0] != "_"
                )
            else:
                parts = _key(signature, args, kwargs)
            return shared().get((kind, name, parts), function, args, kwargs)

        cached.clear = lambda: shared().forget(kind, name)  # like st.cache_data's .clear()
        return cached

    return decorate


def resource(
    *, spinner: str | bool = False, max_entries: int | None = None, ttl: float | None = None
) -> Callable[[Callable], Callable]:
    """Decorator: one object per server for each set of arguments, shared by every session
    (``st.cache_resource``: parameters starting with ``_`` are left out of the key). For what
    must stay one object (a network in ``eval()`` mode, the training hall, a started thread);
    what it holds must not be changed by a session. A raised error is not kept: restoring a
    damaged file fixes the page without a restart. ``spinner``: the words shown while the
    first call runs, or False."""
    return st.cache_resource(show_spinner=spinner, max_entries=max_entries, ttl=ttl)


def clear() -> None:
    """Forget everything this server keeps: results, networks, test sets (benches that time
    a cold page)."""
    st.cache_resource.clear()  # the shared Budget is one of these resources


def usage() -> Usage:
    """What the server's shared cache holds now."""
    return shared().usage()


def work_pixels() -> int:
    """The most pixels a lesson works on: ``images.MAX_WORK_PIXELS``, or fewer when a colour
    working image (3 floats a pixel) that size would be too large to keep in the cache."""
    return min(images.MAX_WORK_PIXELS, shared().store.largest // 12)


# --- the app's cached functions ---------------------------------------------------------------


@dataclass(frozen=True)
class PictureKey:
    """Names one working image in the caches: where it came from, a digest of its content (a
    sample: its name), colour or grey, and the working size. Frozen: a key by its fields,
    never a string joined by hand."""

    source: str  # "sample", "upload", "camera" or "draw"
    digest: str  # sha256 of the file, or the sample's name
    colour: bool
    size: str  # the working size's name: "256", ..., "full"


@budgeted("decode")
def decode(digest: str, _data: bytes) -> images.DecodedImage:
    """Decode image bytes once per content (``digest`` is their sha256), shrunk to at most
    ``work_pixels()`` pixels."""
    return images.decode_image(_data, work_pixels=work_pixels())


@budgeted("sample")
def sample(name: str) -> np.ndarray:
    """A sample image from the gallery: photos at full size, patterns at 256 pixels."""
    photo = samples.SAMPLES[name].kind == "photo"
    return samples.load_sample(name, size=4096 if photo else 256)


@budgeted("prepared")
def prepared(
    key: PictureKey, _pixels: np.ndarray, colour: bool, max_side: int | None
) -> np.ndarray:
    """The working image: colour or grey, at most ``max_side`` pixels (None: full size)."""
    pixels = _pixels if colour else images.to_grayscale(_pixels)
    if max_side is not None:
        pixels = images.downscale(pixels, max_side)
    return np.ascontiguousarray(pixels, dtype=np.float32)


def correlate(key: PictureKey, image: np.ndarray, kernel: np.ndarray, **options) -> np.ndarray:
    """``cnnviz.correlate2d`` on the working image named by ``key``, cached."""
    return _correlate(key, image, np.ascontiguousarray(kernel, dtype=np.float32), **options)


@budgeted("correlate")
def _correlate(key: PictureKey, _image: np.ndarray, kernel: np.ndarray, **options) -> np.ndarray:
    return cnnviz.correlate2d(_image, kernel, **options)


@budgeted("pool")
def pool(key, _image: np.ndarray, size, **options) -> np.ndarray:
    """``cnnviz.pool2d`` on the map named by ``key`` (the working image's key, or a frozen
    dataclass that says where the map came from)."""
    return cnnviz.pool2d(_image, size, **options)


def npy_of(array: np.ndarray) -> bytes:
    """The exact numbers of ``array`` as a ``.npy`` file, for downloads."""
    buffer = BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def png_of(rgb: np.ndarray) -> bytes:
    """PNG bytes of a uint8 picture, for downloads."""
    return images.to_png_bytes(rgb)


def question(build: Callable[[int], Question], drawn: int) -> Question:
    """``build(drawn)``: a lesson's question for a drawn seed, built once for the server (a
    question is frozen, and thirty students redraw theirs on every rerun). The key is the
    builder's name and bound arguments; a builder without a stable name is just called."""
    recipe = _recipe(build)
    return build(drawn) if recipe is None else _question(recipe, build, drawn)


def _recipe(build: Callable) -> tuple | None:
    """A builder by content: its module and name, and for a ``partial`` the bound arguments
    (sets in sorted order); None for a lambda or a function defined inside another."""
    if isinstance(build, functools.partial):
        inner = _recipe(build.func)
        keywords = {
            k: tuple(sorted(v)) if isinstance(v, (set, frozenset)) else v
            for k, v in build.keywords.items()
        }
        return None if inner is None else (*inner, build.args, keywords)
    name = getattr(build, "__qualname__", "<unnamed>")
    return None if "<" in name else (build.__module__, name)


@budgeted("question")
def _question(recipe: tuple, _build: Callable[[int], Question], drawn: int) -> Question:
    return _build(drawn)


@budgeted("figure")
def png(builder: str, *args, **kwargs) -> bytes:
    """Render ``cnnviz.plotting.<builder>(*args, **kwargs)`` to PNG once per arguments."""
    from cnnviz import plotting

    return figure_png(getattr(plotting, builder)(*args, **kwargs))
