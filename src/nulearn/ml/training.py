"""Training-loop glue shared by every pillar: one place that builds a Lightning ``Trainer``.

Pillars write a :class:`lightning.LightningModule` for their model and hand it to
:func:`fit`; early stopping, checkpointing, determinism, device choice and the progress bar
are configured here once, from a :class:`TrainerConfig`.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint

from nulearn.ml.progress import EpochLog, current_epoch_log

__all__ = [
    "RestoreBestWeights",
    "SupervisedModule",
    "TrainerConfig",
    "TrainingDiverged",
    "best_weights",
    "check_converged",
    "fit",
    "load_weights",
    "make_trainer",
    "monitored_value",
    "seed_everything",
    "train_module",
]


@dataclass(frozen=True)
class TrainerConfig:
    """How to run a training loop (not what to train).

    Attributes:
        max_epochs: upper bound on epochs; early stopping usually ends sooner.
        patience: epochs without improvement of ``monitor`` before stopping.
        monitor: logged metric watched by early stopping and checkpointing.
        accelerator: ``"auto"``, ``"cpu"``, ``"gpu"``; ``"auto"`` uses a GPU when present.
        devices: number of devices or ``"auto"``.
        deterministic: ask PyTorch for deterministic kernels (bitwise-reproducible on CPU).
        seed: global seed for Python, NumPy and PyTorch.
        progress_bar: show Lightning's progress bar.
        checkpoint_dir: where the best checkpoint goes; ``None`` keeps none on disk.
        gradient_clip_val: clip gradient norm at this value (``None``: no clipping).
        num_threads: CPU threads for PyTorch (``None``: leave PyTorch's default).
        mode: ``"min"`` or ``"max"``: whether a smaller or a larger ``monitor`` is better.
        restore_best: keep the best weights in memory and load them when training ends, so that
            early stopping returns the best epoch's model even without a checkpoint on disk.
        extra: free-form settings recorded with the run (not used by the loop).
    """

    max_epochs: int = 50
    patience: int = 5
    monitor: str = "val_loss"
    accelerator: str = "auto"
    devices: int | str = "auto"
    deterministic: bool = True
    seed: int = 0
    progress_bar: bool = False
    checkpoint_dir: str | None = None
    gradient_clip_val: float | None = None
    num_threads: int | None = None
    mode: str = "min"
    restore_best: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, for YAML and model cards."""
        return asdict(self)


def monitored_value(trainer: L.Trainer, monitor: str) -> float | None:
    """The value of ``monitor`` logged by the validation epoch that just ended, for a callback's
    ``on_validation_end``; ``None`` during the sanity check or when it was not logged."""
    if trainer.sanity_checking:
        return None
    value = trainer.callback_metrics.get(monitor)
    return None if value is None else float(value)


class RestoreBestWeights(Callback):
    """Remember the weights of the best validation epoch and load them when fitting ends.

    A ``ModelCheckpoint`` does the same through the disk; this keeps a CPU copy of the
    ``state_dict`` in memory instead, which is cheap for the small models trained here.

    Args:
        monitor: logged metric to watch.
        mode: ``"min"`` or ``"max"``.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min") -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.best_score: float | None = None
        self.best_epoch: int | None = None
        self._best_state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        score = monitored_value(trainer, self.monitor)
        if score is None or score != score:  # NaN never counts as an improvement
            return
        better = (
            self.best_score is None
            or (self.mode == "min" and score < self.best_score)
            or (self.mode == "max" and score > self.best_score)
        )
        if better:
            self.best_score = score
            self.best_epoch = trainer.current_epoch
            self._best_state = {
                k: v.detach().to("cpu", copy=True) for k, v in pl_module.state_dict().items()
            }

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._best_state is not None:
            pl_module.load_state_dict(self._best_state)


class TrainingDiverged(ValueError):
    """The watched metric of a training loop became NaN or infinite: the network learnt nothing
    usable, and nothing should be saved from it."""


def check_converged(trainer: L.Trainer, monitor: str) -> None:
    """Raise :class:`TrainingDiverged` when the last logged ``monitor`` of a finished loop is not
    finite (early stopping ends a loop at the first such value)."""
    value = trainer.callback_metrics.get(monitor)
    if value is not None and not math.isfinite(float(value)):
        raise TrainingDiverged(
            f"training diverged: {monitor} = {float(value)} at epoch {max(trainer.current_epoch, 1)}; "
            "nothing was saved (check the inputs for NaN or infinite values, or lower the "
            "learning rate)"
        )


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (and dataloader workers) for a reproducible run."""
    L.seed_everything(seed, workers=True, verbose=False)


def make_trainer(config: TrainerConfig, callbacks: list[Callback] | None = None) -> L.Trainer:
    """Build a Lightning ``Trainer`` with early stopping and (optionally) best-model checkpointing."""
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    if config.mode not in ("min", "max"):
        raise ValueError(f"TrainerConfig.mode must be 'min' or 'max', got {config.mode!r}")
    cbs: list[Callback] = [
        EarlyStopping(monitor=config.monitor, patience=config.patience, mode=config.mode),
    ]
    if config.restore_best and config.checkpoint_dir is None:
        cbs.append(RestoreBestWeights(monitor=config.monitor, mode=config.mode))
    if config.checkpoint_dir is not None:
        Path(config.checkpoint_dir).mkdir(parents=True, exist_ok=True)
        cbs.append(
            ModelCheckpoint(
                dirpath=config.checkpoint_dir,
                monitor=config.monitor,
                mode=config.mode,
                save_top_k=1,
                save_last=True,
                # only the weights are ever reloaded, and a weights-only file loads without
                # unpickling arbitrary objects (torch.load(weights_only=True))
                save_weights_only=True,
            )
        )
    cbs.extend(callbacks or [])
    reporting = current_epoch_log()
    if reporting is not None:
        cbs.append(EpochLog(reporting[0], reporting[1], config.monitor, config.max_epochs))
    # Lightning nags about worker counts and logger absence on small CPU runs; neither matters here.
    os.environ.setdefault("PL_DISABLE_FORK", "1")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=r".*LitLogger.*")
    warnings.filterwarnings("ignore", message=r".*GPU available but not used.*")
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
    if not config.progress_bar:
        # Lightning's info lines (device summary, tips, "stopped: max_epochs reached") go
        # with the progress bar; warnings still show.
        for name in (
            "lightning.pytorch.utilities.rank_zero",
            "lightning.fabric.utilities.rank_zero",
        ):
            logging.getLogger(name).setLevel(logging.WARNING)
    return L.Trainer(
        max_epochs=config.max_epochs,
        accelerator=config.accelerator,
        devices=config.devices,
        deterministic=config.deterministic,
        callbacks=cbs,
        enable_progress_bar=config.progress_bar,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=config.checkpoint_dir is not None,
        gradient_clip_val=config.gradient_clip_val,
        num_sanity_val_steps=0,
    )


def fit(
    module: L.LightningModule,
    train_loader: Any,
    val_loader: Any,
    config: TrainerConfig,
    callbacks: list[Callback] | None = None,
) -> L.Trainer:
    """Seed, train ``module`` with early stopping on ``config.monitor``, and reload the best weights.

    A loop whose ``config.monitor`` becomes NaN or infinite stops there and raises
    :class:`TrainingDiverged` rather than return a network that learnt nothing.

    Args:
        module: the model; it must log ``config.monitor`` in its validation step.
        train_loader: training ``DataLoader``.
        val_loader: validation ``DataLoader``.
        config: how to run the loop.
        callbacks: extra Lightning callbacks (e.g. an Optuna pruning callback).

    Returns:
        The fitted trainer (its ``callback_metrics`` hold the last logged values).

    Raises:
        TrainingDiverged: the monitored metric became NaN or infinite.
    """
    seed_everything(config.seed)
    trainer = make_trainer(config, callbacks)
    trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=val_loader)
    check_converged(trainer, config.monitor)
    ckpt = trainer.checkpoint_callback
    if isinstance(ckpt, ModelCheckpoint) and ckpt.best_model_path:
        checkpoint = load_weights(ckpt.best_model_path)
        if "state_dict" not in checkpoint:
            raise ValueError(f"{ckpt.best_model_path}: Lightning checkpoint without a state_dict")
        module.load_state_dict(checkpoint["state_dict"])
    return trainer


def train_module(
    build: Callable[[], L.LightningModule],
    train_loader: Any,
    val_loader: Any,
    config: TrainerConfig,
    callbacks: list[Callback] | None = None,
) -> tuple[Any, L.Trainer]:
    """Seed with ``config.seed``, build the module, :func:`fit` it; ``(module in eval mode, trainer)``.

    Seeding before ``build`` fixes the initial weights as well as the batch order, so that one
    seed trains one network.
    """
    seed_everything(config.seed)
    module = build()
    trainer = fit(module, train_loader, val_loader, config, callbacks=callbacks)
    module.eval()
    return module, trainer


def best_weights(trainer: L.Trainer) -> RestoreBestWeights | None:
    """The :class:`RestoreBestWeights` callback of a trainer made by :func:`make_trainer` (its
    ``best_epoch`` and ``best_score``), or ``None`` when the run kept a checkpoint on disk."""
    found = [cb for cb in getattr(trainer, "callbacks", []) if isinstance(cb, RestoreBestWeights)]
    return found[0] if found else None


def load_weights(path: str | Path) -> dict[str, Any]:
    """Read a file written by ``torch.save`` that holds only tensors and plain data (dicts, lists,
    strings, numbers), with ``torch.load(weights_only=True)``: loading never runs code from the
    file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: naming the file, when it is truncated, not a PyTorch file, or holds other
            objects (e.g. a whole pickled model), or is not a mapping.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such model file")
    try:
        blob = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, KeyError...
        raise ValueError(f"{file}: {_unreadable(err)}") from err
    if not isinstance(blob, dict):
        raise ValueError(f"{file}: expected a mapping of weights, found {type(blob).__name__}")
    return blob


def _unreadable(err: Exception) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one line (torch's own message
    advises loading without the restriction, which is what must not happen here)."""
    text = str(err)
    if isinstance(err, EOFError) or "EOF" in text:
        return "empty or truncated PyTorch file"
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found is not None:
        return (
            f"holds pickled Python objects ({found.group(1)}), not only weights; such files are "
            "not loaded because loading them runs code from the file"
        )
    return "not a PyTorch weights file (foreign or truncated)"


class SupervisedModule(L.LightningModule):
    """Lightning steps of a network trained with one loss: ``train_loss`` and ``val_loss`` are
    logged from :meth:`_loss`, and AdamW (weight decay 1e-4) runs under a cosine schedule over
    ``max_epochs``.

    Subclasses build the network, call ``save_hyperparameters()`` with ``learning_rate`` and
    ``max_epochs`` among the arguments, and implement :meth:`_loss` for their batches.
    """

    def _loss(self, batch: Any) -> torch.Tensor:
        raise NotImplementedError

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self) -> Any:
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.hparams["learning_rate"], weight_decay=1e-4
        )
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(self.hparams["max_epochs"], 1)
        )
        return {"optimizer": opt, "lr_scheduler": sched}
