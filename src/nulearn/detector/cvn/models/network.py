"""Multi-view convolutional network for DUNE pixel maps, with late fusion and two heads.

The shape follows NOvA's CVN (Aurisano et al., JINST 11, P09001 (2016)): each detector view goes
through its own convolutional tower and the towers' features are concatenated only at the end
(the Siamese idea; views are not stacked as colour channels because their pixels do not
correspond). As in DUNE's CVN (Abi et al., PRD 102, 092003 (2020)) several outputs share the
fused features: here the flavour (ν_μ CC, ν_e CC, ν_τ CC, NC) and the interaction type
(QE, RES, DIS, other), trained jointly with a weighted sum of cross-entropies.

The towers are small (4 conv blocks) so that k-fold training on 800 events fits on two CPU
cores; 8-bit maps become float (``x / 255``) inside :meth:`MultiViewCNN.forward`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn

from nulearn.detector.cvn.data.augmentation import AugmentationConfig, augment_pixel_maps
from nulearn.detector.cvn.data.pixel_maps import N_VIEWS
from nulearn.ml.config import YAMLConfig

__all__ = ["CVNConfig", "CVNLightningModule", "MultiViewCNN"]


@dataclass(frozen=True)
class CVNConfig(YAMLConfig):
    """Architecture and optimisation of :class:`MultiViewCNN`; round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        channels: output channels of the stem and the conv blocks of each tower.
        fused_width: width of the dense layer after fusion.
        dropout: dropout before and after the fused layer (also used by MC dropout).
        share_towers: one tower for all views (weight sharing, fewer parameters on a small sample)
            plus a learned per-view embedding, or one independent tower per view.
        n_flavours: classes of the flavour head.
        n_interactions: classes of the interaction-type head.
        interaction_weight: weight of the interaction-type loss in the total loss.
        learning_rate: AdamW learning rate.
        weight_decay: AdamW weight decay.
        batch_size: events per batch.
    """

    channels: tuple[int, ...] = (12, 24, 32, 48)
    fused_width: int = 128
    dropout: float = 0.3
    share_towers: bool = False
    n_flavours: int = 4
    n_interactions: int = 4
    interaction_weight: float = 0.3
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    batch_size: int = 32

    def __post_init__(self) -> None:
        if not self.channels or min(self.channels) < 1:
            raise ValueError(
                f"channels must be a non-empty tuple of positive ints, got {self.channels}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.interaction_weight < 0:
            raise ValueError(f"interaction_weight must be >= 0, got {self.interaction_weight}")


def _tower(channels: tuple[int, ...]) -> nn.Sequential:
    """A strided 5x5 stem (as GoogLeNet's 7x7/2 stem: halves the map cheaply), then conv blocks
    (3x3 conv, batch norm, ReLU, 2x2 max pool; none after the last), then global average pooling."""
    layers: list[nn.Module] = [
        nn.Conv2d(1, channels[0], kernel_size=5, stride=2, padding=2, bias=False),
        nn.BatchNorm2d(channels[0]),
        nn.ReLU(inplace=True),
    ]
    c_in = channels[0]
    for i, c in enumerate(channels[1:]):
        layers += [
            nn.Conv2d(c_in, c, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(inplace=True),
        ]
        if i < len(channels) - 2:
            layers.append(nn.MaxPool2d(2))
        c_in = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


class MultiViewCNN(nn.Module):
    """One conv tower per view, late fusion, flavour and interaction-type heads.

    Input: ``(batch, 3, wires, ticks)`` pixel maps, ``uint8`` (0..255) or float already in [0, 1].
    Output of :meth:`forward`: ``(flavour_logits (batch, n_flavours),
    interaction_logits (batch, n_interactions))``.
    """

    def __init__(self, config: CVNConfig | None = None) -> None:
        super().__init__()
        self.config = config or CVNConfig()
        c = self.config
        n_towers = 1 if c.share_towers else N_VIEWS
        self.towers = nn.ModuleList([_tower(c.channels) for _ in range(n_towers)])
        width = c.channels[-1]
        # With shared weights the fused layer still knows which view a feature came from
        # because features are concatenated in view order.
        self.fusion = nn.Sequential(
            nn.Dropout(c.dropout),
            nn.Linear(N_VIEWS * width, c.fused_width),
            nn.ReLU(inplace=True),
            nn.Dropout(c.dropout),
        )
        self.flavour_head = nn.Linear(c.fused_width, c.n_flavours)
        self.interaction_head = nn.Linear(c.fused_width, c.n_interactions)
        # Filled in by training: epochs run and the epoch whose weights were kept.
        self.epochs_run = -1
        self.best_epoch = -1
        self.best_val_loss = float("nan")

    @staticmethod
    def to_float(x: torch.Tensor) -> torch.Tensor:
        """8-bit charge to float in [0, 1]; float input is passed through."""
        return x.float() / 255.0 if x.dtype == torch.uint8 else x

    def view_features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-view tower features concatenated: ``(batch, 3 * channels[-1])``."""
        x = self.to_float(x)
        if x.ndim != 4 or x.shape[1] != N_VIEWS:
            raise ValueError(
                f"input must have shape (batch, 3, wires, ticks), got {tuple(x.shape)}"
            )
        if self.config.share_towers:
            b = x.shape[0]
            f = self.towers[0](x.reshape(b * N_VIEWS, 1, *x.shape[2:]))
            return f.reshape(b, -1)
        return torch.cat([tower(x[:, v : v + 1]) for v, tower in enumerate(self.towers)], dim=1)

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """The fused representation fed to the heads: ``(batch, fused_width)``."""
        return self.fusion(self.view_features(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.embedding(x)
        return self.flavour_head(h), self.interaction_head(h)

    def flavour_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Flavour logits only ``(batch, n_flavours)`` (for attribution methods)."""
        return self.forward(x)[0]


class CVNLightningModule(L.LightningModule):
    """Multi-task training of :class:`MultiViewCNN` for :func:`nulearn.ml.training.fit`.

    Loss = CE(flavour) + ``interaction_weight`` x CE(interaction), the latter ignoring label -1.
    Logs ``val_loss`` and ``val_accuracy`` (flavour).
    """

    def __init__(
        self, config: CVNConfig | None = None, augmentation: AugmentationConfig | None = None
    ) -> None:
        super().__init__()
        self.config = config or CVNConfig()
        self.augmentation = augmentation
        self.model = MultiViewCNN(self.config)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model(x)

    def _loss(self, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        x, flavour, interaction = batch
        lf, li = self.model(x)
        loss = F.cross_entropy(lf, flavour)
        if self.config.interaction_weight > 0 and bool((interaction >= 0).any()):
            loss = loss + self.config.interaction_weight * F.cross_entropy(
                li, interaction, ignore_index=-1
            )
        acc = (lf.argmax(1) == flavour).float().mean()
        return loss, acc

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, flavour, interaction = batch
        if self.augmentation is not None:
            x = augment_pixel_maps(x, self.augmentation)
        loss, _ = self._loss((x, flavour, interaction))
        self.log("train_loss", loss, on_epoch=True, on_step=False, batch_size=x.shape[0])
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        loss, acc = self._loss(batch)
        n = batch[0].shape[0]
        self.log("val_loss", loss, on_epoch=True, prog_bar=True, batch_size=n)
        self.log("val_accuracy", acc, on_epoch=True, batch_size=n)

    def configure_optimizers(self) -> Any:
        return torch.optim.AdamW(
            self.parameters(), lr=self.config.learning_rate, weight_decay=self.config.weight_decay
        )
