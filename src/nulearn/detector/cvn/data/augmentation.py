"""Training-time augmentation of pixel maps that respects the detector's symmetries, and the
PyTorch dataset of pixel maps with their labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from nulearn.detector.cvn.data.pixel_maps import N_VIEWS, check_pixel_maps
from nulearn.ml.config import YAMLConfig

__all__ = ["AugmentationConfig", "CVNDataset", "augment_pixel_maps"]


@dataclass(frozen=True)
class AugmentationConfig(YAMLConfig):
    """Augmentations that respect the detector's symmetries (a :class:`YAMLConfig`).

    * ``flip_time``: mirror the drift (time) axis of all three views together. The drift
      coordinate is shared by the planes and the detector is symmetric under x -> -x (anodes on
      both sides of a cathode), so this is an exact symmetry.
    * ``flip_wire``: reverse the wire order of every view. Off by default: the beam points along
      increasing wire number in the collection view, so a reversal turns showers upstream.
    * ``max_shift_ticks``: a common shift along time (an unknown interaction time t0).
    * ``max_shift_wires``: a small independent shift along the wires of each view (a vertex
      displacement moves the U, V and Z wire numbers by different amounts).

    No rotations: they would mix the wire and time axes and the three views' geometry.
    """

    flip_time: bool = True
    flip_wire: bool = False
    max_shift_ticks: int = 3
    max_shift_wires: int = 2


def _shift_zero_fill(x: torch.Tensor, shift: torch.Tensor, dim: int) -> torch.Tensor:
    """Shift each slice along ``dim`` by ``shift`` (broadcast over the leading dims), zero fill."""
    length = x.shape[dim]
    pos = torch.arange(length, device=x.device)
    shape = [1] * x.ndim
    shape[dim] = length
    src = pos.view(shape) - shift
    valid = (src >= 0) & (src < length)
    gathered = torch.gather(x, dim, src.clamp(0, length - 1).expand_as(x))
    return torch.where(valid, gathered, torch.zeros((), dtype=x.dtype, device=x.device))


def augment_pixel_maps(
    maps: torch.Tensor, config: AugmentationConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Randomly flip and shift a batch of pixel maps ``(batch, 3, wires, ticks)`` (any dtype).

    Each event gets its own draw; views of one event share the time flip and time shift.
    """
    if maps.ndim != 4 or maps.shape[1] != N_VIEWS:
        raise ValueError(
            f"pixel maps must have shape (batch, 3, wires, ticks), got {tuple(maps.shape)}"
        )
    n = maps.shape[0]
    out = maps
    if config.flip_time:
        flip = torch.rand(n, generator=generator) < 0.5
        out = torch.where(flip.view(n, 1, 1, 1).to(out.device), out.flip(3), out)
    if config.flip_wire:
        flip = torch.rand(n, generator=generator) < 0.5
        out = torch.where(flip.view(n, 1, 1, 1).to(out.device), out.flip(2), out)
    if config.max_shift_ticks > 0:
        s = torch.randint(
            -config.max_shift_ticks, config.max_shift_ticks + 1, (n,), generator=generator
        )
        out = _shift_zero_fill(out, s.view(n, 1, 1, 1).to(out.device), dim=3)
    if config.max_shift_wires > 0:
        s = torch.randint(
            -config.max_shift_wires, config.max_shift_wires + 1, (n, N_VIEWS), generator=generator
        )
        out = _shift_zero_fill(out, s.view(n, N_VIEWS, 1, 1).to(out.device), dim=2)
    return out


class CVNDataset(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """PyTorch view of ``uint8`` pixel maps with flavour and interaction labels.

    Items are ``(pixel_map uint8 (3, W, T), flavour int64, interaction int64)``; conversion to
    float happens in the model (``x / 255``), so a batch travels as bytes.

    Args:
        pixel_maps: ``uint8`` array ``(n_events, 3, W, T)``.
        flavour: labels ``(n_events,)`` in ``[0, 4)``.
        interaction: labels ``(n_events,)`` in ``[0, 4)``; ``-1`` marks unknown (ignored by the loss).
        augmentation: applied item by item when given (training only).
    """

    def __init__(
        self,
        pixel_maps: np.ndarray,
        flavour: np.ndarray,
        interaction: np.ndarray | None = None,
        augmentation: AugmentationConfig | None = None,
    ) -> None:
        flav, inter = check_pixel_maps(pixel_maps, flavour, interaction)
        self.pixel_maps = torch.from_numpy(np.ascontiguousarray(pixel_maps))
        self.flavour = torch.from_numpy(flav)
        self.interaction = torch.from_numpy(inter)
        self.augmentation = augmentation

    def __len__(self) -> int:
        return int(self.pixel_maps.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pixel_maps[i]
        if self.augmentation is not None:
            x = augment_pixel_maps(x[None], self.augmentation)[0]
        return x, self.flavour[i], self.interaction[i]
