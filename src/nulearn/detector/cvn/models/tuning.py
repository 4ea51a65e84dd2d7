"""Hyper-parameter search for the multi-view CNN through the shared Optuna machinery.

The objective is the best validation loss of :func:`~nulearn.detector.cvn.models.training.train_cnn` on
an inner split of the training events (never the held-out fold), with median pruning per epoch
(:class:`nulearn.ml.tuning.PruningCallback`). The study is stored (SQLite by default), so an
interrupted search resumes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna

from nulearn.detector.cvn.models.network import CVNConfig
from nulearn.detector.cvn.models.training import train_cnn
from nulearn.ml.training import TrainerConfig
from nulearn.ml.tuning import PruningCallback, create_study, run_trials

__all__ = ["suggest_cnn_config", "tune_cnn"]


def suggest_cnn_config(trial: optuna.Trial | optuna.trial.FixedTrial, base: CVNConfig) -> CVNConfig:
    """Sample learning rate, dropout, width, interaction-loss weight and weight decay around ``base``."""
    width = trial.suggest_categorical("width", [0.75, 1.0, 1.5])
    return replace(
        base,
        learning_rate=trial.suggest_float("learning_rate", 5e-4, 5e-3, log=True),
        dropout=trial.suggest_float("dropout", 0.1, 0.5),
        interaction_weight=trial.suggest_float("interaction_weight", 0.0, 1.0),
        weight_decay=trial.suggest_float("weight_decay", 1e-5, 1e-2, log=True),
        channels=tuple(max(4, round(c * width)) for c in base.channels),
    )


def tune_cnn(
    pixel_maps: np.ndarray,
    flavour: np.ndarray,
    interaction: np.ndarray | None,
    n_trials: int,
    base: CVNConfig | None = None,
    trainer: TrainerConfig | None = None,
    directory: str | Path = ".",
    study_name: str = "detector-cvn-cnn",
    storage: str | None = None,
    seed: int = 0,
) -> tuple[CVNConfig, optuna.Study]:
    """Search CNN hyper-parameters on training events only; returns the best config and the study.

    Args:
        pixel_maps: ``uint8`` ``(n_events, 3, W, T)`` (training events of one fold).
        flavour: labels ``(n_events,)``.
        interaction: interaction-type labels ``(n_events,)`` or ``None``.
        n_trials: finished trials the study should hold.
        base: config whose non-searched fields are kept.
        trainer: loop settings of each trial.
        directory: folder of the default SQLite study file.
        study_name: study name (resumed if it exists).
        storage: database URL (``None``: SQLite in ``directory``).
        seed: sampler and training seed.
    """
    base_cfg = base or CVNConfig()
    tcfg = trainer or TrainerConfig(max_epochs=15, patience=4, accelerator="cpu", devices=1)
    study = create_study(
        study_name, storage=storage, direction="minimize", seed=seed, directory=directory
    )

    def objective(trial: optuna.Trial) -> float:
        cfg = suggest_cnn_config(trial, base_cfg)
        model = train_cnn(
            pixel_maps,
            flavour,
            interaction,
            config=cfg,
            trainer=tcfg,
            seed=seed,
            callbacks=[PruningCallback(trial, "val_loss")],
        )
        return model.best_val_loss

    run_trials(study, objective, n_trials=n_trials)
    best = study.best_trial
    return suggest_cnn_config(optuna.trial.FixedTrial(best.params), base_cfg), study
