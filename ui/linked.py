"""Linked views that answer a hover in the browser: convolution, pooling, receptive fields.

One Streamlit v2 component (``ui/components/linked.js`` and ``.css``, plain files, no build
step). Python sends each array once per content: the numbers as float32 files and the
pictures as PNG files through Streamlit's media store (content-addressed URLs the browser
fetches once), and a small JSON of settings. Moving the pointer, Play, the scrubber and the
arrow keys then run in the browser: no script rerun, no round trip.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit import runtime

from cnnviz.mosaic import encode_png
from cnnviz.plotting import colour_table
from ui.cache import budgeted

HERE = Path(__file__).parent / "components"


def component_files(name: str) -> dict[str, str]:
    """The ``js`` and ``css`` of browser component ``name``: the shared ``common`` file of
    each (number loading, colour scales, Play and Pause, buttons), then its own."""
    return {
        kind: (HERE / f"common.{kind}").read_text() + "\n" + (HERE / f"{name}.{kind}").read_text()
        for kind in ("js", "css")
    }


_linked = st.components.v2.component("cnnviz_linked", **component_files("linked"))
STOPS = 11  # colour-scale stops sent to the browser; it interpolates between them
LARGEST = 512  # pixels: the longest side of a picture the linked views draw (26rem, or 34 in
# projector mode); the numbers always come at full size


def stops(cmap: str) -> list[str]:
    """``cmap`` as evenly spaced hex colours, low to high."""
    table = colour_table(cmap)
    picks = table[np.linspace(0, 255, STOPS).round().astype(int)]
    return ["#{:02x}{:02x}{:02x}".format(*map(int, rgb)) for rgb in picks]


def _url(data: bytes, mimetype: str, digest: str, slot: str) -> str:
    """A URL for ``data`` in Streamlit's media store, relative to the page.

    ``digest`` names the content in full (the store's own id samples big files only);
    ``slot`` names the place on the page, so a new setting replaces the old file instead of
    piling up. Relative, so it also works behind a proxy under a path prefix.
    """
    name = f"{digest}.{'png' if mimetype == 'image/png' else 'bin'}"
    url = runtime.get_instance().media_file_mgr.add(
        data, mimetype, f"cnnviz.linked.{slot}", file_name=name
    )
    return url.lstrip("/")


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Floats:
    """Exact numbers as the browser reads them, C order.

    Pixels that are exactly ``k / 255`` (a picture used at its own size) travel as one byte
    each, four times smaller; the browser divides by 255 in float32 (``Math.fround``), giving
    back the same float32 numbers. Anything else travels as little-endian float32.
    """

    data: bytes
    digest: str  # names the content
    shape: tuple[int, ...]
    dtype: str  # "u8" (k / 255) or "f4"

    @classmethod
    def of(cls, values: np.ndarray) -> Floats:
        values = np.asarray(values, dtype=np.float32)
        steps = np.rint(values * 255)
        exact = bool(((steps >= 0) & (steps <= 255)).all()) and np.array_equal(
            (steps / 255).astype(np.float32), values
        )
        if exact:
            data, dtype = steps.astype(np.uint8).tobytes(), "u8"
        else:
            data, dtype = np.ascontiguousarray(values, dtype="<f4").tobytes(), "f4"
        return cls(data, _digest(data), tuple(values.shape), dtype)

    def url(self, slot: str) -> str:
        return _url(self.data, "application/octet-stream", self.digest, slot)

    def spec(self, slot: str) -> dict:
        """What the browser needs to read the numbers back."""
        return {"url": self.url(slot), "dtype": self.dtype}


@dataclass(frozen=True)
class Png:
    """A display picture as PNG bytes."""

    data: bytes
    digest: str  # names the content

    @classmethod
    def of(cls, rgb: np.ndarray) -> Png:
        data = encode_png(np.ascontiguousarray(rgb))  # quick, lossless
        return cls(data, _digest(data))

    def url(self, slot: str) -> str:
        return _url(self.data, "image/png", self.digest, slot)


def png_url(rgb: np.ndarray, slot: str) -> str:
    """A display picture ``(H, W, 3)`` uint8, as a PNG URL (encoded once per content)."""
    return _png(rgb).url(slot)


def floats_spec(values: np.ndarray, slot: str) -> dict:
    """Where and how the browser reads the exact numbers of ``values`` (any shape), packed
    once per content: a class on the same picture and settings sends the same maps, and
    hashing them costs a fraction of encoding them."""
    return _floats(values).spec(slot)


@budgeted("linked")
def _png(rgb: np.ndarray) -> Png:
    return Png.of(rgb)


@budgeted("linked")
def _floats(values: np.ndarray) -> Floats:
    return Floats.of(values)


def _mount(key: str, data: dict, label: str) -> None:
    data = {**data, "label": label, "projector": bool(st.session_state.get("app.projector"))}
    data["digest"] = _digest(json.dumps(data, sort_keys=True).encode())
    _linked(key=key, data=data, width="stretch", height="content")


def _planes(array: np.ndarray) -> np.ndarray:
    """``(H, W)`` -> ``(1, H, W)``; ``(C, H, W)`` unchanged."""
    return array[None] if array.ndim == 2 else array


def conv_view(
    key: str,
    *,
    padded: Floats,
    input_png: Png,
    kernel: np.ndarray,
    output_shape: tuple[int, ...],
    output_png: Png,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    padding: tuple[int, int, int, int],
    bias: float,
    relu: bool,
    cmap: str,
    limits: tuple[float, float] | None,
    captions: dict[str, str],
) -> None:
    """Input | kernel | output, linked: hover an output pixel to see its whole sum.

    ``padded`` is the padded input the output was computed from, ``(H, W)`` or ``(C, H, W)``;
    ``kernel`` ``(kh, kw)`` (one kernel on every channel) or ``(C, kh, kw)`` (summed over
    channels); ``output_shape`` ``(H', W')`` or ``(C, H', W')``; the two pictures are only
    what the browser draws (shrunk for large maps), never what the numbers say.
    """
    weights = _planes(np.asarray(kernel, np.float32))
    planes = padded.shape if len(padded.shape) == 3 else (1, *padded.shape)
    # "254 × 254. Negative numbers are blue, ...": the shape stays under the picture, the
    # meaning of the colours may move below the worked sum (projector mode keeps it short).
    shape_words, _, meaning = captions["output"].partition(". ")
    data = {
        "kind": "conv",
        "padded": {**padded.spec(f"{key}.padded"), "shape": planes},
        "input": {
            "url": input_png.url(f"{key}.input"),
            "alt": captions["input"],
            "title": "Input, padded" if any(padding) else "Input",
            "caption": captions["input"],
        },
        "kernel": {
            "values": [float(v) for v in weights.ravel()],
            "shape": weights.shape,
            "limit": float(max(np.abs(weights).max(), 1e-12)),
            "title": "Kernel",
            "caption": captions["kernel"],
        },
        "output": {
            "url": output_png.url(f"{key}.output"),
            "shape": output_shape if len(output_shape) == 3 else (1, *output_shape),
            "alt": captions["output"],
            "title": "Output",
            "caption": captions["output"],
            "shape_caption": shape_words,
            "meaning": meaning,
            "legend": list(limits) if limits is not None else None,
            "stops": stops(cmap),
        },
        "signed": stops(cmap),
        "stride": list(stride),
        "dilation": list(dilation),
        "pad": list(padding),
        "bias": float(bias),
        "relu": bool(relu),
    }
    _mount(
        key,
        data,
        "Convolution, linked: hover or tap an output pixel to see its window and its sum; "
        "arrow keys move the chosen pixel, Enter pins it, Space plays.",
    )


def pool_view(
    key: str,
    *,
    plane: np.ndarray,
    plane_rgb: np.ndarray,
    output_rgb: np.ndarray,
    output_shape: tuple[int, int],
    size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    mode: str,
    limits: tuple[float, float],
    cmap: str,
    captions: dict[str, str],
) -> None:
    """One ``(H, W)`` map and its pooled map, linked: hover a pooled cell to see its window.

    ``plane_rgb`` is the map as the browser draws it with the padding frame included.
    """
    data = {
        "kind": "pool",
        "input": {
            "values": floats_spec(plane, f"{key}.values"),
            "shape": plane.shape,
            "url": png_url(plane_rgb, f"{key}.input"),
            "alt": captions["input"],
            "title": captions["input_title"],
            "caption": captions["input"],
        },
        "output": {
            "url": png_url(output_rgb, f"{key}.output"),
            "shape": list(output_shape),
            "alt": captions["output"],
            "title": captions["output_title"],
            "caption": captions["output"],
        },
        "size": list(size),
        "stride": list(stride),
        "padding": list(padding),
        "mode": mode,
        "limits": [float(limits[0]), float(limits[1])],
        "stops": stops(cmap),
    }
    _mount(
        key,
        data,
        "Pooling, linked: hover or tap a pooled cell to see its window on the map; arrow keys "
        "move the chosen cell, Space plays.",
    )


@dataclass(frozen=True)
class FieldLayer:
    """One layer of a field view: its maps as a mosaic and what one of its cells sees."""

    name: str  # "conv1"
    mosaic: object  # a cnnviz.mosaic.Mosaic of ``maps``
    png: bytes  # the mosaic's picture as PNG (encoded once, by the caller's cache)
    maps: np.ndarray  # (C, h, w): the numbers under the pointer
    field: tuple[int, int, int]  # (size, jump, start) in input pixels, as ReceptiveField
    title: str
    caption: str


def field_view(
    key: str, *, input_rgb: np.ndarray, input_size: int, layers: list[FieldLayer], alt: str
) -> None:
    """Every layer's maps as mosaics beside the input: hover a cell, see the input pixels it
    depends on (its receptive field), drawn on the ``input_size`` x ``input_size`` input.

    A cell ``(r, c)`` of a layer with field ``(size, jump, start)`` sees input rows
    ``start + r * jump`` to ``start + r * jump + size - 1`` (and the same for columns).
    """
    data = {
        "kind": "field",
        "input": {
            "url": png_url(input_rgb, f"{key}.input"),
            "size": int(input_size),
            "alt": alt,
            "title": "The input the network sees",
            "caption": f"{input_size} × {input_size} pixels; gold: what the cell under the "
            "pointer depends on",
        },
        "layers": [_field_layer(key, layer) for layer in layers],
    }
    _mount(
        key,
        data,
        "Feature maps, linked: hover or tap a cell of a feature map to see the input pixels "
        "it depends on; arrow keys move the chosen cell.",
    )


def _field_layer(key: str, layer: FieldLayer) -> dict:
    m = layer.mosaic
    size, jump, start = layer.field
    return {
        "name": layer.name,
        "title": layer.title,
        "caption": layer.caption,
        "mosaic": {
            "url": Png(layer.png, _digest(layer.png)).url(f"{key}.{layer.name}.mosaic"),
            "values": floats_spec(layer.maps, f"{key}.{layer.name}.values"),
            "height": int(m.picture.shape[0]),
            "width": int(m.picture.shape[1]),
            "count": int(m.count),
            "columns": int(m.columns),
            "tile_h": int(m.tile_h),
            "tile_w": int(m.tile_w),
            "scale": int(m.scale),
            "gap": int(m.gap),
            "margin_top": int(m.margin_top),
            "margin_left": int(m.margin_left),
            "alt": f"{layer.name}: {m.count} feature maps of {m.tile_h} × {m.tile_w}",
        },
        "field": {"size": int(size), "jump": int(jump), "start": int(start)},
        "legend": [float(m.limits[0]), float(m.limits[1])],
        "stops": stops(m.cmap),
    }
