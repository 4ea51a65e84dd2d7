"""Tests of the shared Lightning glue (nulearn.ml.training)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nulearn.ml.training import (
    TrainerConfig,
    best_weights,
    fit,
    load_weights,
    make_trainer,
    train_module,
)

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


def test_best_weights_from_a_checkpoint_folder_load_without_pickles(tmp_path) -> None:
    module = _Scripted([3.0, 1.0, 2.0, 4.0, 5.0])
    cfg = TrainerConfig(max_epochs=5, patience=2, accelerator="cpu", checkpoint_dir=str(tmp_path))
    trainer = fit(module, _loader(), _loader(), cfg)
    assert float(module.w.detach()) == 1.0 and best_weights(trainer) is None
    for ckpt in tmp_path.glob("*.ckpt"):
        assert "state_dict" in load_weights(ckpt)  # weights-only: loads with weights_only=True


def test_train_module_seeds_the_initial_weights() -> None:
    cfg = TrainerConfig(max_epochs=1, patience=1, accelerator="cpu", seed=7)

    def build() -> _Scripted:
        m = _Scripted([1.0])
        m.extra = torch.nn.Linear(3, 3)  # randomly initialised
        return m

    a, trainer = train_module(build, _loader(), _loader(), cfg)
    b, _ = train_module(build, _loader(), _loader(), cfg)
    torch.testing.assert_close(a.extra.weight, b.extra.weight)
    assert not a.training and best_weights(trainer) is not None


@pytest.mark.parametrize(
    "content",
    [b"", b"not a torch file at all", None],
    ids=["empty", "foreign", "pickled-object"],
)
def test_load_weights_refuses_anything_but_plain_weights(tmp_path, content) -> None:
    path = tmp_path / "model.pt"
    if content is None:
        torch.save({"model": torch.nn.Linear(2, 1)}, path)  # a whole module: code on load
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=r"model\.pt"):
        load_weights(path)
    with pytest.raises(FileNotFoundError, match=r"missing\.pt"):
        load_weights(tmp_path / "missing.pt")


def test_load_weights_refuses_a_truncated_file(tmp_path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"model\.pt"):
        load_weights(path)


def test_a_loss_that_becomes_nan_stops_training_with_an_error() -> None:
    from nulearn.ml.training import TrainingDiverged

    module = _Scripted([1.0, 0.5, float("nan"), 0.2, 0.1])
    cfg = TrainerConfig(max_epochs=5, patience=5, accelerator="cpu")
    with pytest.raises(TrainingDiverged, match=r"val_loss = nan at epoch 3; nothing was saved"):
        fit(module, _loader(), _loader(), cfg)


def test_epochs_are_reported_with_nested_labels() -> None:
    from nulearn.ml.progress import epoch_log

    lines: list[str] = []
    with epoch_log(lines.append, "study: "), epoch_log(label="fold 1/2: "):
        fit(
            _Scripted([3.0, 2.0]),
            _loader(),
            _loader(),
            TrainerConfig(max_epochs=2, accelerator="cpu"),
        )
    assert lines == [
        "study: fold 1/2: epoch 1/2: val_loss 3",
        "study: fold 1/2: epoch 2/2: val_loss 2",
    ]
    fit(_Scripted([1.0]), _loader(), _loader(), TrainerConfig(max_epochs=1, accelerator="cpu"))
    assert len(lines) == 2  # outside the block nothing is reported
