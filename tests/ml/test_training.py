"""Tests of the shared Lightning glue (nulearn.ml.training)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nulearn.ml.training import TrainerConfig, fit, make_trainer

torch.set_num_threads(1)


class _Scripted(L.LightningModule):
    """A module whose weight equals the epoch number and whose val_loss follows a script."""

    def __init__(self, losses: list[float]) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.losses = losses

    def on_train_epoch_start(self) -> None:
        with torch.no_grad():
            self.w.fill_(float(self.current_epoch))

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return (self.w * 0.0).sum() + batch[0].sum() * 0.0

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self.log("val_loss", self.losses[self.current_epoch])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.0)


def _loader() -> DataLoader:
    return DataLoader(TensorDataset(torch.zeros(4, 1)), batch_size=4)


@pytest.mark.parametrize(
    ("mode", "losses", "best_epoch"),
    [("min", [3.0, 1.0, 2.0, 4.0, 2.5, 2.6], 1), ("max", [1.0, 2.0, 0.5, 3.0, 2.0, 1.0], 3)],
)
def test_best_weights_are_restored_in_memory(
    mode: str, losses: list[float], best_epoch: int
) -> None:
    module = _Scripted(losses)
    cfg = TrainerConfig(max_epochs=6, patience=2, accelerator="cpu", mode=mode)
    trainer = fit(module, _loader(), _loader(), cfg)
    # Early stopping ends two epochs after the best; the weights are those of the best epoch.
    assert trainer.current_epoch == best_epoch + 3
    assert float(module.w.detach()) == best_epoch


def test_without_restore_the_last_weights_stay() -> None:
    module = _Scripted([3.0, 1.0, 2.0, 4.0, 5.0])
    fit(
        module,
        _loader(),
        _loader(),
        TrainerConfig(max_epochs=5, patience=2, accelerator="cpu", restore_best=False),
    )
    assert float(module.w.detach()) == 3.0


def test_mode_is_validated() -> None:
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        make_trainer(TrainerConfig(mode="lowest"))
