"""Data augmentation: small random rotations, shifts and left-right flips of grayscale images.

Each image gets its own random move, drawn from a seeded ``torch.Generator``, and every move is
one affine resampling, so a pure shift or flip copies pixels exactly and a rotation blends
neighbours (bilinear). Pixels that come in from outside the picture are 0 (black).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """How far each training image may be moved."""

    shift: int = 0  # random translation by up to this many whole pixels each way (0 = off)
    rotation: float = 0.0  # random rotation by up to this many degrees either way (0 = off)
    flip: bool = False  # mirror about half of the images left-right (fine for clothes, not digits)

    def __post_init__(self) -> None:
        if int(self.shift) != self.shift or self.shift < 0:
            raise ValueError(f"shift must be a whole number of pixels >= 0, got {self.shift}")
        if not 0.0 <= self.rotation <= 180.0:
            raise ValueError(f"rotation must be between 0 and 180 degrees, got {self.rotation}")
        object.__setattr__(self, "shift", int(self.shift))
        object.__setattr__(self, "rotation", float(self.rotation))
        object.__setattr__(self, "flip", bool(self.flip))

    @property
    def active(self) -> bool:
        """True when at least one kind of move is switched on."""
        return bool(self.shift or self.rotation or self.flip)

    def describe(self) -> str:
        """Plain words: ``"shifts up to 2 px, rotations up to 10°, flips"`` or ``"none"``."""
        parts = []
        if self.shift:
            parts.append(f"shifts up to {self.shift} px")
        if self.rotation:
            parts.append(f"rotations up to {self.rotation:g}°")
        if self.flip:
            parts.append("left-right flips")
        return ", ".join(parts) or "none"


NO_AUGMENTATION = AugmentConfig()


def _draw(n: int, config: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Random moves of ``n`` images as ``(n, 4)`` rows ``(angle in radians, dy, dx, mirror)``.

    All three are drawn every time, so switching one move on does not change the others' draws.
    """
    angles = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(config.rotation)
    shifts = torch.randint(-config.shift, config.shift + 1, (n, 2), generator=generator)
    mirrored = torch.rand(n, generator=generator) < 0.5
    mirror = torch.where(mirrored & config.flip, -1.0, 1.0)
    return torch.cat([angles[:, None], shifts.to(torch.float32), mirror[:, None]], 1)


def _affine(moves: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(N, 2, 3)`` matrices for ``F.affine_grid``: output coordinates -> where to sample.

    In pixel units about the picture's centre (x right, y down) each image is moved by
    ``p_out = R @ M @ p_in + d`` (M mirrors x, R rotates, d shifts), so we sample at
    ``p_in = M @ R.T @ (p_out - d)``, then rescale to affine_grid's [-1, 1] coordinates.
    """
    angles, dy, dx, mirror = moves.unbind(1)  # each (N,)
    cos, sin = torch.cos(angles), torch.sin(angles)
    # M @ R.T = [[m cos, m sin], [-sin, cos]]
    inverse = torch.stack(
        [torch.stack([mirror * cos, mirror * sin], -1), torch.stack([-sin, cos], -1)], -2
    )  # (N, 2, 2) in pixel units
    half = torch.tensor([width / 2, height / 2])  # pixels per unit of affine_grid's coordinates
    linear = inverse * half[None, None, :] / half[None, :, None]  # S^-1 @ inverse @ S
    shift = torch.stack([dx, dy], -1)[..., None]  # (N, 2, 1) as (x, y)
    offset = -(inverse @ shift)[..., 0] / half  # (N, 2)
    return torch.cat([linear, offset[..., None]], -1)  # (N, 2, 3)


def _apply(x: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
    """Resample ``(N, C, H, W)`` by the moves ``(N, 4)`` from :func:`_draw`."""
    theta = _affine(moves, *x.shape[-2:]).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def augment(x: torch.Tensor, config: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Move each image of float ``(N, C, H, W)`` at random; returns a new ``(N, C, H, W)``.

    Shifts are whole pixels with zeros coming in, flips mirror left-right, rotations turn about
    the centre by an angle drawn uniformly from ``[-rotation, rotation]`` degrees.
    """
    if x.ndim != 4 or not x.is_floating_point():
        raise ValueError(
            f"expected float images shaped (N, C, H, W), got {x.dtype} {tuple(x.shape)}"
        )
    moves = _draw(len(x), config, generator)
    if not config.active or len(x) == 0:
        return x.clone()
    return _apply(x, moves)


def augment_images(
    images: np.ndarray, config: AugmentConfig, *, seed: int = 0, chunk: int = 4096
) -> np.ndarray:
    """uint8 ``(N, H, W)`` -> a moved uint8 copy ``(N, H, W)``; equal seeds give equal copies."""
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 images shaped (N, H, W), got {images.dtype} {images.shape}"
        )
    moves = _draw(len(images), config, torch.Generator().manual_seed(seed))  # (N, 4)
    if not config.active:
        return images.copy()
    out = np.empty_like(images)
    for start in range(0, len(images), chunk):  # chunks bound the float copy's memory
        part = torch.from_numpy(images[start : start + chunk].astype(np.float32))[:, None]
        moved = _apply(part, moves[start : start + chunk])[:, 0]  # (n, H, W), still 0..255
        out[start : start + chunk] = moved.round().clamp(0, 255).to(torch.uint8).numpy()
    return out


def preview(
    images: np.ndarray, config: AugmentConfig, *, variants: int = 3, seed: int = 0
) -> np.ndarray:
    """Each image beside ``variants`` moved copies: uint8 ``(N, 1 + variants, H, W)``.

    Column 0 is the original; the others are what training might see.
    """
    if variants < 0:
        raise ValueError(f"variants must be >= 0, got {variants}")
    images = np.asarray(images)
    copies = [augment_images(images, config, seed=seed + i) for i in range(variants)]
    return np.stack([images, *copies], axis=1)
