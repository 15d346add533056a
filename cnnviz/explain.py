"""What one channel of a trained CNN responds to: receptive fields and the most exciting patches.

The receptive field of a layer is the square of input pixels one of its output pixels depends
on. It follows from each layer's kernel, stride, padding and dilation, read from the model's
own modules: ``size`` grows by ``(kernel - 1) * dilation * jump`` at each layer and ``jump``
(the input distance between neighbouring output pixels) multiplies by the stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.model import to_tensor


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels one output pixel of a layer sees (the same for both axes)."""

    size: int  # side of the square of input pixels
    jump: int  # input pixels between the fields of two neighbouring output pixels
    start: int  # input row (and column) where output pixel (0, 0)'s field begins; < 0: padding

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """``(top, left, bottom, right)`` input coordinates (exclusive end) of output pixel
        ``(row, col)``'s field, before clipping to the picture."""
        top, left = self.start + row * self.jump, self.start + col * self.jump
        return top, left, top + self.size, left + self.size


def _one(value) -> int:
    """A module attribute that may be an int or a square pair -> the int."""
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(f"only square kernels, strides and paddings are handled: {value}")
        return int(value[0])
    return int(value)


def receptive_field(model: nn.Module, layer: str) -> ReceptiveField:
    """The receptive field of ``layer`` (e.g. ``"conv2"``) of a CNN with ``layer_names``.

    Lesson CNN: conv1 3 px, pool1 4 px, conv2 8 px, pool2 10 px.
    """
    if layer not in model.layer_names:
        raise ValueError(f"unknown layer {layer!r}; choose one of {', '.join(model.layer_names)}")
    size, jump, start = 1, 1, 0
    for name in model.layer_names:
        module = getattr(model, name)
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            kernel, stride = _one(module.kernel_size), _one(module.stride)
            padding = _one(module.padding)
            dilation = _one(getattr(module, "dilation", 1))
            size += (kernel - 1) * dilation * jump
            start -= padding * jump
            jump *= stride
        elif not isinstance(module, nn.ReLU):
            raise ValueError(f"{layer} comes after {name}, which has no receptive field")
        if name == layer:
            return ReceptiveField(size, jump, start)
    raise AssertionError("unreachable: layer is in layer_names")


def conv_layers(model: nn.Module) -> list[str]:
    """Names of the model's convolution layers, in order: ``["conv1", "conv2"]``."""
    return [n for n in model.layer_names if isinstance(getattr(model, n), nn.Conv2d)]


@dataclass(frozen=True)
class TopPatches:
    """The ``k`` pictures of a set that excite one channel most, strongest first."""

    layer: str  # a convolution layer, e.g. "conv2"
    channel: int  # its output channel
    field: ReceptiveField  # what one pixel of that layer sees
    indices: np.ndarray  # int64 (k,): picture numbers in the set
    activations: np.ndarray  # float32 (k,): the channel's largest value in each picture
    positions: np.ndarray  # int64 (k, 2): (row, col) of that value in the layer's map
    boxes: np.ndarray  # int64 (k, 4): its field (top, left, bottom, right), clipped to the picture
    patches: np.ndarray  # float32 (k, size, size): input pixels under the field; 0 outside it


@dataclass(frozen=True)
class Peaks:
    """Each picture's strongest response in each channel of one convolution layer."""

    layer: str  # e.g. "conv2"
    channels: tuple[int, ...]  # the layer's output channels measured, in column order
    values: np.ndarray  # float32 (N, C): the largest value of each channel in each picture
    rows: np.ndarray  # int16 (N, C): its row in the layer's map
    cols: np.ndarray  # int16 (N, C): its column


def channel_peaks(
    model: nn.Module,
    images: np.ndarray,
    layer: str,
    channels: tuple[int, ...] | None = None,
    *,
    batch: int = 500,
) -> Peaks:
    """Largest value of each of ``layer``'s ``channels`` (default: all) in each picture.

    ``images`` uint8 ``(N, H, W)``. Runs, batch by batch under ``inference_mode``, the layers
    before ``layer`` and only the chosen channels of ``layer``; nothing after it.
    Measuring all channels costs little more than one: the layers before dominate.
    """
    if layer not in conv_layers(model):
        raise ValueError(f"{layer!r} is not a convolution layer; choose {conv_layers(model)}")
    conv = getattr(model, layer)
    chosen = tuple(range(conv.out_channels)) if channels is None else tuple(channels)
    if not chosen or not all(0 <= c < conv.out_channels for c in chosen):
        raise ValueError(f"{layer} has channels 0..{conv.out_channels - 1}, got {chosen}")
    before = model.layer_names[: model.layer_names.index(layer)]
    pick = torch.tensor(chosen)
    weight, bias = conv.weight[pick], conv.bias[pick]
    values, rows, cols = [], [], []
    with torch.inference_mode():
        for first in range(0, len(images), batch):
            h = (to_tensor(images[first : first + batch]) - model.mean) / model.std
            for name in before:
                h = getattr(model, name)(h)
            out = F.conv2d(h, weight, bias, conv.stride, conv.padding, conv.dilation)
            value, index = out.flatten(2).max(2)  # (n, C, H', W') -> (n, C)
            values.append(value.numpy())
            rows.append((index // out.shape[-1]).numpy().astype(np.int16))
            cols.append((index % out.shape[-1]).numpy().astype(np.int16))
    count = len(chosen)
    return Peaks(
        layer=layer,
        channels=chosen,
        values=np.concatenate(values) if values else np.zeros((0, count), np.float32),
        rows=np.concatenate(rows) if rows else np.zeros((0, count), np.int16),
        cols=np.concatenate(cols) if cols else np.zeros((0, count), np.int16),
    )


def cut_patch(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels of ``image`` ``(H, W)`` inside ``box`` (top, left, bottom, right) as float [0, 1];
    parts outside the picture are 0, like zero padding."""
    top, left, bottom, right = box
    h, w = image.shape
    pixels = image / np.float32(255) if image.dtype == np.uint8 else image
    out = np.zeros((bottom - top, right - left), np.float32)
    r0, r1, c0, c1 = max(top, 0), min(bottom, h), max(left, 0), min(right, w)
    if r0 < r1 and c0 < c1:
        out[r0 - top : r1 - top, c0 - left : c1 - left] = pixels[r0:r1, c0:c1]
    return out


@dataclass(frozen=True)
class Favourites:
    """For each channel of one convolution layer, the ``k`` pictures of a set whose strongest
    response is largest: strongest first, ties by the lower picture number."""

    layer: str  # e.g. "conv2"
    indices: np.ndarray  # int64 (C, k): picture numbers in the set
    values: np.ndarray  # float32 (C, k): the channel's largest value in each of them
    rows: np.ndarray  # int16 (C, k): where that value is in the layer's map
    cols: np.ndarray  # int16 (C, k)

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])


def favourites(peaks: Peaks, k: int = 9) -> Favourites:
    """The ``k`` strongest pictures of every measured channel (one row per ``peaks.channels``)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    order = np.argsort(-peaks.values, axis=0, kind="stable")[:k].T  # (C, k)
    columns = np.arange(len(peaks.channels))[:, None]
    return Favourites(
        layer=peaks.layer,
        indices=order.astype(np.int64),
        values=peaks.values.T[columns, order].astype(np.float32),
        rows=peaks.rows.T[columns, order].astype(np.int16),
        cols=peaks.cols.T[columns, order].astype(np.int16),
    )


def top_patches(
    model: nn.Module,
    images: np.ndarray,
    layer: str,
    channel: int,
    *,
    k: int = 9,
    peaks: Peaks | None = None,
    found: Favourites | None = None,
) -> TopPatches:
    """The ``k`` pictures of ``images`` (uint8 ``(N, H, W)``) whose strongest response in
    ``layer``'s ``channel`` is largest, with the input patch under that strongest response.

    ``peaks`` from :func:`channel_peaks` on the same images saves the forward pass, and
    ``found`` (:func:`favourites` of all the layer's channels, e.g. stored with the weights)
    saves the search too. Ties keep the lower picture number first.
    """
    if found is not None:
        too_few = k > found.k and found.k < len(images)
        if found.layer != layer or not 0 <= channel < len(found.indices) or too_few:
            raise ValueError(
                f"the favourites hold {found.k} pictures per channel of {found.layer} "
                f"({len(found.indices)} channels), not {k} for channel {channel} of {layer}"
            )
        order, values = found.indices[channel, :k], found.values[channel, :k]
        rows, cols = found.rows[channel, :k], found.cols[channel, :k]
    else:
        if peaks is None:
            peaks = channel_peaks(model, images, layer, (channel,))
        if peaks.layer != layer or channel not in peaks.channels:
            raise ValueError(f"the peaks are for {peaks.layer}, not channel {channel} of {layer}")
        column = peaks.channels.index(channel)
        order = np.argsort(-peaks.values[:, column], kind="stable")[:k]
        values = peaks.values[order, column]
        rows, cols = peaks.rows[order, column], peaks.cols[order, column]
    field = receptive_field(model, layer)
    h, w = images.shape[-2:]
    boxes, patches = [], []
    for i, row, col in zip(order, rows, cols, strict=True):
        box = field.box(int(row), int(col))
        patches.append(cut_patch(images[i], box))
        top, left, bottom, right = box
        boxes.append((max(top, 0), max(left, 0), min(bottom, h), min(right, w)))
    return TopPatches(
        layer=layer,
        channel=channel,
        field=field,
        indices=np.asarray(order, np.int64),
        activations=np.asarray(values, np.float32),
        positions=np.stack([rows, cols], 1).astype(np.int64).reshape(-1, 2),
        boxes=np.array(boxes, np.int64).reshape(-1, 4),
        patches=np.array(patches, np.float32).reshape(-1, field.size, field.size),
    )


def tile(maps: np.ndarray, columns: int, *, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """``(C, h, w)`` maps -> one ``(rows * (h + gap) - gap, columns * (w + gap) - gap)`` sheet,
    row by row; gaps and empty cells hold ``fill`` (NaN draws as background)."""
    count, h, w = maps.shape
    rows = -(-count // columns)  # ceiling division
    sheet = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), fill, np.float32)
    for i, plane in enumerate(maps):
        r, c = divmod(i, columns)
        sheet[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = plane
    return sheet
