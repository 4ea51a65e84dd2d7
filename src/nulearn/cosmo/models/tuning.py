"""Hyperparameter search of the map CNN classifier through the shared Optuna machinery."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from nulearn.cosmo.models.classifier import MapClassifierModule
from nulearn.cosmo.models.network import LensingCNNConfig, map_loaders
from nulearn.ml.estimator import standardization
from nulearn.ml.splits import shuffled_holdout
from nulearn.ml.training import TrainerConfig, fit, seed_everything

__all__ = ["tune_classifier"]


def tune_classifier(
    train_maps: ArrayLike,
    train_labels: ArrayLike,
    n_trials: int,
    base: LensingCNNConfig | None = None,
    trainer: TrainerConfig | None = None,
    study_name: str = "cosmo_cnn",
    directory: str = ".",
    seed: int = 0,
) -> tuple[LensingCNNConfig, Any]:
    """Search learning rate, its exponential decay, stem width/kernel and weight decay with Optuna.

    Uses the project's :mod:`nulearn.ml.tuning` (SQLite-backed, resumable study, median pruning
    through :class:`~nulearn.ml.tuning.PruningCallback`); the objective is the validation loss.

    Returns:
        The best configuration and the study.
    """
    from nulearn.ml.tuning import PruningCallback, create_study, run_trials

    maps = np.asarray(train_maps, dtype=np.float32)
    labels = np.asarray(train_labels).astype(np.float32)
    base_cfg = base or LensingCNNConfig()
    tcfg = trainer or TrainerConfig(accelerator="cpu", max_epochs=10, patience=3)
    split = shuffled_holdout(maps.shape[0], max(1, maps.shape[0] // 5), seed)
    _, scale = standardization(maps[split.train], "global")

    def suggest(trial: Any) -> LensingCNNConfig:
        return replace(
            base_cfg,
            learning_rate=trial.suggest_float("learning_rate", 3e-4, 1e-2, log=True),
            lr_decay=trial.suggest_float("lr_decay", 0.8, 1.0),
            stem_channels=trial.suggest_categorical("stem_channels", [4, 8, 16]),
            stem_kernel=trial.suggest_categorical("stem_kernel", [3, 5, 7]),
            weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        )

    def objective(trial: Any) -> float:
        cfg = suggest(trial)
        seed_everything(seed)
        module = MapClassifierModule(cfg)
        trainer_out = fit(
            module,
            *map_loaders(maps, labels, split, scale, cfg.batch_size, seed),
            tcfg,
            callbacks=[PruningCallback(trial, "val_loss")],
        )
        stopper = trainer_out.early_stopping_callback
        if stopper is not None and torch.isfinite(stopper.best_score):
            return float(stopper.best_score)
        return float(trainer_out.callback_metrics["val_loss"])

    study = create_study(study_name, directory=directory, seed=seed, direction="minimize")
    run_trials(study, objective, n_trials=n_trials)
    best = suggest(study.best_trial) if study.best_trial is not None else base_cfg
    return best, study
