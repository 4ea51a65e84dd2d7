"""Optuna search over the MLP recipe: depth, width, dropout, BatchNorm, weight decay, batch size,
learning rate and schedule, with pruning of poor trials.

Each trial trains an :class:`~nulearn.flavor.models.mlp.classifier.MLPClassifier` on a fixed training split and
scores it by the best-threshold F1 on a fixed validation split (maximised). The per-epoch
validation F1 is reported to Optuna, so a median pruner stops trials that trail the earlier
ones at the same epoch. The study is stored through :mod:`nulearn.ml.tuning` (SQLite by
default, any database URL to share it between machines) and resumes after an interruption.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.models.mlp.classifier import (
    SCHEDULES,
    MLPClassifier,
    MLPConfig,
)
from nulearn.ml.splits import stratified_holdout
from nulearn.ml.tuning import PruningCallback, create_study, run_trials, trials_frame

__all__ = ["SearchSpace", "TuneResult", "suggest_config", "tune_mlp"]


@dataclass(frozen=True)
class SearchSpace:
    """Ranges searched by :func:`tune_mlp` (defaults: the study's recipe and its neighbourhood).

    Attributes:
        n_layers: (min, max) number of hidden layers.
        widths: candidate widths; one width for the first layer, later layers keep it or halve
            it (``taper``), so the count of architectures stays small.
        dropout: (min, max) dropout probability.
        batch_norm: candidate BatchNorm settings.
        weight_decay: (min, max), sampled log-uniformly.
        batch_sizes: candidate batch sizes.
        learning_rate: (min, max), sampled log-uniformly.
        schedules: candidate learning-rate schedules.
    """

    n_layers: tuple[int, int] = (3, 6)
    widths: tuple[int, ...] = (64, 128, 256, 512)
    dropout: tuple[float, float] = (0.0, 0.3)
    batch_norm: tuple[bool, ...] = (True, False)
    weight_decay: tuple[float, float] = (1e-6, 1e-2)
    batch_sizes: tuple[int, ...] = (4096, 8192, 16384)
    learning_rate: tuple[float, float] = (3e-4, 1e-2)
    schedules: tuple[str, ...] = SCHEDULES

    def __post_init__(self) -> None:
        for name in ("n_layers", "dropout", "weight_decay", "learning_rate"):
            lo, hi = getattr(self, name)
            if not lo <= hi:
                raise ValueError(f"SearchSpace.{name} = ({lo}, {hi}); need min <= max")
        if self.n_layers[0] < 1:
            raise ValueError(
                f"SearchSpace.n_layers min = {self.n_layers[0]}; allowed range [1, inf)"
            )
        for s in self.schedules:
            if s not in SCHEDULES:
                raise ValueError(
                    f"SearchSpace.schedules has {s!r}; allowed: {', '.join(SCHEDULES)}"
                )


def suggest_config(trial: optuna.Trial, base: MLPConfig, space: SearchSpace) -> MLPConfig:
    """The trial's :class:`MLPConfig`: ``base`` with the searched fields replaced."""
    n_layers = trial.suggest_int("n_layers", *space.n_layers)
    width = trial.suggest_categorical("width", list(space.widths))
    taper = trial.suggest_categorical("taper", [False, True])
    # Tapered networks halve the width every second layer: 512, 512, 256, 256, ...
    hidden = tuple(
        max(int(width) // (2 ** (i // 2)) if taper else int(width), 8) for i in range(n_layers)
    )
    return dataclasses.replace(
        base,
        hidden_layers=hidden,
        dropout=trial.suggest_float("dropout", *space.dropout),
        batch_norm=trial.suggest_categorical("batch_norm", list(space.batch_norm)),
        weight_decay=trial.suggest_float("weight_decay", *space.weight_decay, log=True),
        batch_size=trial.suggest_categorical("batch_size", list(space.batch_sizes)),
        learning_rate=trial.suggest_float("learning_rate", *space.learning_rate, log=True),
        schedule=trial.suggest_categorical("schedule", list(space.schedules)),
    )


@dataclass
class TuneResult:
    """Outcome of :func:`tune_mlp`.

    Attributes:
        study: the Optuna study (all trials, including those of other workers).
        best_config: ``base`` with the best trial's parameters.
        best_f1: the best trial's validation F1.
        trials: :func:`nulearn.ml.tuning.trials_frame` of the study.
    """

    study: optuna.Study
    best_config: MLPConfig
    best_f1: float
    trials: pd.DataFrame


def tune_mlp(
    X: NDArray[np.float64] | pd.DataFrame,
    y: NDArray[np.int64],
    *,
    n_trials: int = 30,
    study_name: str = "mlp",
    storage: str | None = None,
    directory: str | Path = ".",
    base: MLPConfig | None = None,
    space: SearchSpace | None = None,
    pruner: str = "median",
    timeout: float | None = None,
    seed: int = 0,
    progress: bool = False,
) -> TuneResult:
    """Search MLP hyperparameters with Optuna, maximising the validation F1.

    Args:
        X: features ``(n, n_features)``; a stratified ``base.val_fraction`` is held out as the
            fixed validation split of every trial (seeded by ``seed``).
        y: labels ``(n,)`` in {0, 1}.
        n_trials: finished trials the study should hold (a resumed study runs the missing ones).
        study_name: study name in the storage.
        storage: database URL; ``None``: SQLite file ``<directory>/<study_name>.optuna.db``.
        directory: folder of the default SQLite file.
        base: configuration of the fields not searched (epochs, patience, threads, ...).
        space: the search ranges.
        pruner: ``"median"``, ``"hyperband"`` or ``"none"``.
        timeout: stop this worker after this many seconds.
        seed: seed of the split and the sampler.
        progress: one line per finished trial on stderr, with the best value so far.

    Returns:
        A :class:`TuneResult`; if no trial completed, ``best_config`` is ``base``.
    """
    base = base or MLPConfig()
    space = space or SearchSpace()
    y_arr = np.asarray(y).reshape(-1)
    split = stratified_holdout(y_arr, base.val_fraction, seed, stratify=True)
    rows = X.iloc if isinstance(X, pd.DataFrame) else np.asarray(X)
    X_tr, X_val = rows[split.train], rows[split.val]
    y_tr, y_val = y_arr[split.train], y_arr[split.val]
    study = create_study(
        study_name, storage, direction="maximize", pruner=pruner, seed=seed, directory=directory
    )

    def objective(trial: optuna.Trial) -> float:
        cfg = suggest_config(trial, base, space)
        # Calibration does not change the best-threshold F1 much and costs time: skip it here.
        clf = MLPClassifier(dataclasses.replace(cfg, calibration="none"))
        clf.fit(X_tr, y_tr, eval_set=(X_val, y_val), callbacks=[PruningCallback(trial, "val_f1")])
        trial.set_user_attr("epochs", clf.history_["epochs"])
        trial.set_user_attr("n_parameters", clf.n_parameters_)
        return float(clf.validation_["f1"])

    run_trials(study, objective, n_trials, timeout=timeout, progress=progress)
    try:
        best = study.best_trial
    except ValueError:
        return TuneResult(study, base, float("nan"), trials_frame(study))
    best_cfg = _config_from_params(best.params, base)
    return TuneResult(study, best_cfg, float(best.value or float("nan")), trials_frame(study))


def _config_from_params(params: dict[str, Any], base: MLPConfig) -> MLPConfig:
    """Rebuild a config from a trial's parameters (the inverse of :func:`suggest_config`)."""
    fixed = optuna.trial.FixedTrial(params)
    # A space holding exactly the trial's values, so FixedTrial sees every value in range.
    space = SearchSpace(
        n_layers=(params["n_layers"], params["n_layers"]),
        widths=(params["width"],),
        dropout=(params["dropout"], params["dropout"]),
        batch_norm=(params["batch_norm"],),
        weight_decay=(params["weight_decay"], params["weight_decay"]),
        batch_sizes=(params["batch_size"],),
        learning_rate=(params["learning_rate"], params["learning_rate"]),
        schedules=(params["schedule"],),
    )
    return suggest_config(fixed, base, space)  # type: ignore[arg-type]
