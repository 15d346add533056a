"""The lesson's small CNN, a dense baseline, per-layer feature maps and a saliency map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import pooling
from cnnviz.shapes import output_size

PoolMode = Literal[pooling.PoolMode, "none"]  # pool2d's modes, or a block without pooling
POOL_MODES: tuple[str, ...] = get_args(PoolMode)
POOL_SIZE = 2  # every pooling layer is 2x2 with stride 2


@dataclass(frozen=True)
class CNNConfig:
    """Architecture of a :class:`CNN`: conv blocks, then one hidden dense layer."""

    channels: tuple[int, ...] = (32, 64)  # filters of each conv block (one to three blocks)
    kernel_size: int = 3  # side of every square conv kernel (stride 1, no padding)
    pool: PoolMode = "max"  # 2x2 pooling after each conv block; "none" keeps the size
    dense: int = 128  # units of the hidden dense layer
    num_classes: int = 10  # units of the output layer, one logit per class
    image_size: int = 28  # side of the square grayscale input
    dropout: float = 0.25  # dropout before each dense layer while training (0 = off)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        if not 1 <= len(self.channels) <= 3 or min(self.channels) < 1:
            raise ValueError(f"channels needs one to three positive counts, got {self.channels}")
        if self.pool not in POOL_MODES:
            raise ValueError(f"unknown pool {self.pool!r}; choose one of {', '.join(POOL_MODES)}")
        if self.kernel_size < 1 or self.dense < 1 or self.num_classes < 2:
            raise ValueError("kernel_size and dense must be positive, num_classes at least 2")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        layer_shapes(self)  # fails loudly when the image shrinks to nothing


def layer_shapes(config: CNNConfig) -> list[tuple[str, tuple[int, ...]]]:
    """``(name, shape of one example)`` for the input and every layer, in order.

    ``[("input", (1, 28, 28)), ("conv1", (32, 26, 26)), ("relu1", (32, 26, 26)),
    ("pool1", (32, 13, 13)), ..., ("flatten", (1600,)), ("dense1", (128,)), ("relu3", (128,)),
    ("output", (10,))]``
    """
    side, depth = config.image_size, 1
    shapes: list[tuple[str, tuple[int, ...]]] = [("input", (depth, side, side))]
    for i, channels in enumerate(config.channels, start=1):
        side, depth = output_size(side, config.kernel_size), channels
        shapes += [(f"conv{i}", (depth, side, side)), (f"relu{i}", (depth, side, side))]
        if config.pool != "none":
            side = output_size(side, POOL_SIZE, stride=POOL_SIZE)
            shapes.append((f"pool{i}", (depth, side, side)))
    hidden_relu = f"relu{len(config.channels) + 1}"
    shapes += [
        ("flatten", (depth * side * side,)),
        ("dense1", (config.dense,)),
        (hidden_relu, (config.dense,)),
        ("output", (config.num_classes,)),
    ]
    return shapes


LayerKind = Literal["input", "conv", "relu", "pool", "flatten", "dense", "output"]


def layer_kind(name: str) -> LayerKind:
    """What layer ``name`` of :func:`layer_shapes` is: ``"conv2"`` -> ``"conv"``."""
    kind = name.rstrip("0123456789")
    if kind not in get_args(LayerKind):
        raise ValueError(f"{name!r} is not a layer name of layer_shapes")
    return kind  # type: ignore[return-value]


LESSON_CNN = CNNConfig()  # the lesson: conv 32 -> pool -> conv 64 -> pool -> dense 128 -> 10


class _Normalized(nn.Module):
    """Base: stores the training set's pixel mean/std so callers pass plain [0, 1] pixels."""

    layer_names: tuple[str, ...]

    def __init__(self, mean: float, std: float) -> None:
        super().__init__()
        if std <= 0:
            raise ValueError(f"std must be positive, got {std}")
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def _layer(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, name)(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pixels ``(N, 1, H, W)`` in [0, 1] -> logits ``(N, num_classes)``."""
        x = (x - self.mean) / self.std
        for name in self.layer_names:
            x = self._layer(name, x)
        return x


class CNN(_Normalized):
    """Conv -> ReLU -> Pool blocks, Flatten, Dense -> ReLU, Dense output.

    Submodules carry the lesson's names (``conv1, relu1, pool1, ..., flatten, dense1, relu3,
    output``); ``layer_names`` lists them in order. Input ``(N, 1, 28, 28)`` pixels in [0, 1].
    """

    def __init__(self, config: CNNConfig = LESSON_CNN, *, mean: float = 0.0, std: float = 1.0):
        super().__init__(mean, std)
        self.config = config
        shapes = dict(layer_shapes(config))
        depth = 1
        for i, channels in enumerate(config.channels, start=1):
            self.add_module(f"conv{i}", nn.Conv2d(depth, channels, config.kernel_size))
            self.add_module(f"relu{i}", nn.ReLU())
            if config.pool == "max":
                self.add_module(f"pool{i}", nn.MaxPool2d(POOL_SIZE))
            elif config.pool == "avg":
                self.add_module(f"pool{i}", nn.AvgPool2d(POOL_SIZE))
            depth = channels
        self.flatten = nn.Flatten()
        self.dense1 = nn.Linear(shapes["flatten"][0], config.dense)
        self.add_module(f"relu{len(config.channels) + 1}", nn.ReLU())
        self.output = nn.Linear(config.dense, config.num_classes)
        self.layer_names = tuple(name for name in shapes if name != "input")

    def _layer(self, name: str, x: torch.Tensor) -> torch.Tensor:
        if name in ("dense1", "output"):  # dropout only feeds the dense layers, only in training
            x = F.dropout(x, self.config.dropout, self.training)
        return getattr(self, name)(x)


class MLP(_Normalized):
    """Dense baseline: Flatten -> (Dense -> ReLU) per hidden layer -> Dense output.

    Same contract as :class:`CNN`: pixels ``(N, 1, H, W)`` in [0, 1] -> logits ``(N, classes)``.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (128,),
        *,
        num_classes: int = 10,
        image_size: int = 28,
        mean: float = 0.0,
        std: float = 1.0,
    ):
        super().__init__(mean, std)
        names = ["flatten"]
        self.flatten = nn.Flatten()
        width = image_size * image_size
        for i, units in enumerate(hidden, start=1):
            self.add_module(f"dense{i}", nn.Linear(width, units))
            self.add_module(f"relu{i}", nn.ReLU())
            names += [f"dense{i}", f"relu{i}"]
            width = units
        self.output = nn.Linear(width, num_classes)
        self.layer_names = (*names, "output")


def count_parameters(model: nn.Module) -> int:
    """Number of learnable numbers (weights and biases) in ``model``, frozen or not."""
    return sum(p.numel() for p in model.parameters())


def to_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, H, W)`` or ``(H, W)`` (or floats in [0, 1]) -> float32 ``(N, 1, H, W)``."""
    if isinstance(images, np.ndarray) and not images.flags.writeable:
        images = images.copy()  # torch warns about read-only arrays
    x = torch.as_tensor(images)
    scale = 255.0 if x.dtype == torch.uint8 else 1.0
    x = x.to(torch.float32) / scale
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"expected images shaped (N, H, W) or (H, W), got {tuple(x.shape)}")
    return x[:, None]  # (N, H, W) -> (N, 1, H, W)


@torch.no_grad()
def feature_maps(model: CNN | MLP, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """``("input", x)`` then every named layer's output for the batch ``x`` ``(N, 1, H, W)``.

    Names and per-example shapes match :func:`layer_shapes` for a :class:`CNN`.
    """
    maps = [("input", x)]
    h = (x - model.mean) / model.std
    for name in model.layer_names:
        h = getattr(model, name)(h)  # eval-style pass: no dropout
        maps.append((name, h))
    return maps


def saliency(
    model: nn.Module, image: np.ndarray | torch.Tensor, target: int | None = None
) -> np.ndarray:
    """How strongly each pixel sways the ``target`` logit (default: the predicted class).

    ``image`` is one ``(H, W)`` picture (uint8, or floats in [0, 1]); returns ``|d logit / d
    pixel|`` as float ``(H, W)`` scaled to [0, 1]. The model is not changed.
    """
    x = to_tensor(image.detach() if torch.is_tensor(image) else np.asarray(image)).clone()
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            x.requires_grad_(True)
            logits = model(x)[0]
            cls = int(logits.argmax()) if target is None else int(target)
            if not 0 <= cls < logits.numel():
                raise ValueError(f"target must be a class in 0..{logits.numel() - 1}, got {cls}")
            (grad,) = torch.autograd.grad(logits[cls], x)
    finally:
        model.train(was_training)
    heat = grad[0, 0].abs()
    peak = heat.max()
    return (heat / peak if peak > 0 else heat).numpy()
