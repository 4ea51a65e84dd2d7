"""End-to-end CVN study: load, (tune,) cross-validate CNN and baseline, train an ensemble, save, reload.

A run folder holds everything later commands need, so ``evaluate`` and ``explain`` never retrain:

```
<run>/settings.yaml          the settings (round-trips through CVNSettings.from_yaml)
<run>/summary.yaml           timings, epochs, accuracies
<run>/pixel_maps.npz         uint8 (n_events, 3, W, T) as used by the CNN
<run>/predictions.parquet    truth + fold + out-of-fold probabilities of CNN and baseline
<run>/models/fold<k>.pt      CNN state dict of each fold
<run>/models/ensemble<m>.pt  extra members trained on fold 0's training events (deep ensemble)
```
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml

from nulearn.detector.cvn.data.augmentation import AugmentationConfig
from nulearn.detector.cvn.data.features import hand_features
from nulearn.detector.cvn.data.pixel_maps import (
    FLAVOUR_SUBDIRS,
    CVNSample,
    PixelMapConfig,
    list_events,
    load_cvn_sample,
)
from nulearn.detector.cvn.models.baseline import BaselineConfig
from nulearn.detector.cvn.models.network import CVNConfig, MultiViewCNN
from nulearn.detector.cvn.models.training import cross_validate, train_cnn
from nulearn.ml.config import YAMLConfig
from nulearn.ml.io import atomic_output, check_input_file, check_output, load_npz, read_yaml
from nulearn.ml.progress import Progress, epoch_log, no_progress
from nulearn.ml.splits import stratified_folds
from nulearn.ml.training import TrainerConfig, load_weights

__all__ = ["CVNRun", "CVNSettings", "check_run_folder", "load_run", "run_study"]


@dataclass(frozen=True)
class CVNSettings(YAMLConfig):
    """Everything that defines a CVN study; round-trips to YAML (:class:`YAMLConfig`, with the
    nested configs as mappings).

    Attributes:
        data_dir: sample folder (``None``: :func:`~nulearn.detector.cvn.data.default_data_dir`).
        per_class: events per flavour (``None``: all 200).
        n_folds: k of the k-fold cross-validation.
        max_epochs: CNN epoch limit per fold.
        patience: early-stopping patience (epochs).
        ensemble_members: extra CNNs (different seeds) trained on fold 0's training events for
            the deep ensemble; 0 for none.
        tune_trials: Optuna trials on fold 0's training events before the k-fold run; 0 for none.
        num_threads: PyTorch CPU threads.
        seed: master seed.
        pixels: image reduction.
        cnn: CNN architecture and optimiser.
        augmentation: training augmentation.
        baseline: boosted-tree settings.
    """

    data_dir: str | None = None
    per_class: int | None = None
    n_folds: int = 5
    max_epochs: int = 25
    patience: int = 5
    ensemble_members: int = 2
    tune_trials: int = 0
    num_threads: int | None = 1
    seed: int = 0
    pixels: PixelMapConfig = field(default_factory=PixelMapConfig)
    cnn: CVNConfig = field(default_factory=CVNConfig)
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)

    def __post_init__(self) -> None:
        if self.n_folds < 2:
            raise ValueError(f"n_folds must be >= 2, got {self.n_folds}")
        if self.max_epochs < 1:
            raise ValueError(f"max_epochs must be >= 1, got {self.max_epochs}")
        if self.ensemble_members < 0 or self.tune_trials < 0:
            raise ValueError("ensemble_members and tune_trials must be >= 0")

    def trainer(self) -> TrainerConfig:
        """Loop settings for one CNN."""
        return TrainerConfig(
            max_epochs=self.max_epochs,
            patience=self.patience,
            accelerator="cpu",
            devices=1,
            seed=self.seed,
            num_threads=self.num_threads,
        )


@dataclass
class CVNRun:
    """A finished study, in memory.

    Attributes:
        settings: how it was made.
        pixel_maps: ``uint8`` ``(n_events, 3, W, T)``.
        predictions: truth columns, ``fold``, and probabilities ``cnn_p{c}``, ``cnn_int_p{c}``, ``bdt_p{c}``.
        models: CNN of each fold.
        ensemble: fold-0 CNN plus the extra members (all trained on fold 0's training events).
        summary: timings, epochs and accuracies.
    """

    settings: CVNSettings
    pixel_maps: np.ndarray
    predictions: pd.DataFrame
    models: list[MultiViewCNN]
    ensemble: list[MultiViewCNN]
    summary: dict[str, Any]

    def proba(self, kind: str) -> np.ndarray:
        """``(n_events, 4)`` probabilities: ``kind`` in ``cnn``, ``cnn_int``, ``bdt``."""
        return self.predictions[[f"{kind}_p{c}" for c in range(4)]].to_numpy()

    @property
    def flavour(self) -> np.ndarray:
        """True flavour ``(n_events,)``."""
        return self.predictions["flavour"].to_numpy()

    @property
    def fold(self) -> np.ndarray:
        """Held-out fold of each event ``(n_events,)``."""
        return self.predictions["fold"].to_numpy()

    def describe(self) -> str:
        """One line: events, folds, image shape, fold-mean accuracies and training time."""
        s = self.summary
        cnn = float(np.mean(s["cnn_fold_accuracy"]))
        bdt = float(np.mean(s["baseline_fold_accuracy"]))
        return (
            f"{s['n_events']} events, {self.settings.n_folds} folds, images {s['image_shape']}: "
            f"CNN accuracy {cnn:.3f}, BDT accuracy {bdt:.3f} (fold means); "
            f"training {s['train_seconds']:.0f} s"
        )


def run_study(
    settings: CVNSettings,
    out_dir: str | Path | None = None,
    progress: Progress = no_progress,
    log: Callable[[str], None] | None = None,
) -> CVNRun:
    """Load the sample, optionally tune, cross-validate CNN vs baseline, train the ensemble, save.

    The run folder is checked before any work (:func:`check_run_folder`) and written as a whole
    at the end (a temporary folder renamed into place), so a failed or interrupted study leaves
    no partial run. Training epochs are reported to :func:`nulearn.ml.progress.epoch_log`, labelled
    by stage (``"fold 2/5: "``).

    Args:
        settings: the study.
        out_dir: run folder to write (``None``: keep in memory only).
        progress: bar of the events read.
        log: receives one line per finished stage (fold, ensemble member).
    """
    out = None if out_dir is None else check_run_folder(out_dir)
    t0 = time.perf_counter()
    stems = list_events(settings.data_dir, settings.per_class)
    # the folder is the class (load_cvn_sample checks each event's truth against it)
    counts = {sub: sum(s.parent.name == sub for s in stems) for sub in FLAVOUR_SUBDIRS}
    if min(counts.values()) < settings.n_folds:
        held = ", ".join(f"{sub} {c}" for sub, c in counts.items())
        raise ValueError(
            f"folds = {settings.n_folds}, but the sample holds {held} events per class; every "
            "class needs at least one event per fold"
        )
    sample = load_cvn_sample(
        settings.data_dir,
        settings.per_class,
        settings.pixels,
        full_resolution_fn=hand_features,
        progress=progress("reading events", len(stems)),
    )
    t_load = time.perf_counter() - t0
    if settings.num_threads is not None:
        torch.set_num_threads(settings.num_threads)
    if out is None:
        return _study(settings, sample, t_load, Path("."), log)
    with atomic_output(out, directory=True) as tmp:
        run = _study(settings, sample, t_load, tmp, log)
        _save(run, tmp)
    return run


def check_run_folder(out_dir: str | Path) -> Path:
    """Refuse, before any work, a run folder that cannot be written, or an existing folder that is
    not a CVN run: writing a run replaces the whole folder."""
    out = check_output(out_dir, directory=True, what="--out (run folder)")
    if out.is_dir() and any(out.iterdir()) and not (out / "settings.yaml").is_file():
        raise ValueError(
            f"cannot write {out}: it is a folder with other files, not a CVN run folder (no "
            "settings.yaml), and a run replaces the whole folder; choose a new --out"
        )
    return out


def _study(
    settings: CVNSettings,
    sample: CVNSample,
    t_load: float,
    directory: Path,
    log: Callable[[str], None] | None,
) -> CVNRun:
    """Tune (into ``directory``), cross-validate and train the ensemble on a loaded sample."""
    # the same folds as cross_validate's: fold 0's training events tune and train the ensemble
    tr0 = stratified_folds(sample.flavour, settings.n_folds, settings.seed)[0].train
    cnn_cfg = settings.cnn
    if settings.tune_trials > 0:
        from nulearn.detector.cvn.models.tuning import tune_cnn

        with epoch_log(label="tuning: "):
            cnn_cfg, _ = tune_cnn(
                sample.pixel_maps[tr0],
                sample.flavour[tr0],
                sample.interaction[tr0],
                settings.tune_trials,
                base=cnn_cfg,
                trainer=settings.trainer(),
                directory=directory,
                seed=settings.seed,
            )
        settings = replace(settings, cnn=cnn_cfg)
    t1 = time.perf_counter()
    res = cross_validate(
        sample,
        settings.n_folds,
        cnn_cfg,
        settings.trainer(),
        settings.augmentation,
        settings.baseline,
        seed=settings.seed,
        log=log,
    )
    ensemble = [res.models[0]]
    for m in range(settings.ensemble_members):
        label = f"ensemble member {m + 1}/{settings.ensemble_members}: "
        with epoch_log(label=label):
            ensemble.append(
                train_cnn(
                    sample.pixel_maps[tr0],
                    sample.flavour[tr0],
                    sample.interaction[tr0],
                    cnn_cfg,
                    settings.trainer(),
                    settings.augmentation,
                    seed=settings.seed + 1000 * (m + 1),
                )
            )
        if log is not None:
            log(f"{label}trained ({ensemble[-1].epochs_run} epochs)")
    t_train = time.perf_counter() - t1
    preds = sample.truth.copy()
    preds["fold"] = res.fold
    for c in range(4):
        preds[f"cnn_p{c}"] = res.cnn_proba[:, c]
        preds[f"cnn_int_p{c}"] = res.cnn_interaction_proba[:, c]
        preds[f"bdt_p{c}"] = res.baseline_proba[:, c]
    acc = res.fold_accuracy(sample.flavour)
    summary: dict[str, Any] = {
        "n_events": len(sample),
        "n_train_per_fold": len(tr0),
        "image_shape": list(sample.pixel_maps.shape[1:]),
        "load_seconds": round(t_load, 2),
        "train_seconds": round(t_train, 2),
        "cnn_fold_seconds": [round(s, 2) for s in res.train_seconds],
        "cnn_epochs": res.epochs,
        "cnn_best_epochs": [m.best_epoch for m in res.models],
        "cnn_fold_accuracy": [float(a) for a in acc["cnn"]],
        "baseline_fold_accuracy": [float(a) for a in acc["baseline"]],
    }
    return CVNRun(settings, sample.pixel_maps, preds, res.models, ensemble, summary)


def _save(run: CVNRun, out: Path) -> None:
    (out / "models").mkdir(parents=True, exist_ok=True)
    (out / "settings.yaml").write_text(run.settings.to_yaml())
    (out / "summary.yaml").write_text(yaml.safe_dump(run.summary, sort_keys=False))
    np.savez_compressed(out / "pixel_maps.npz", pixel_maps=run.pixel_maps)
    run.predictions.to_parquet(out / "predictions.parquet")
    for k, m in enumerate(run.models):
        torch.save(m.state_dict(), out / "models" / f"fold{k}.pt")
    for k, m in enumerate(run.ensemble[1:]):
        torch.save(m.state_dict(), out / "models" / f"ensemble{k}.pt")


def _load_model(path: Path, cfg: CVNConfig) -> MultiViewCNN:
    model = MultiViewCNN(cfg)
    state = load_weights(path)
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError) as err:
        reason = " ".join(str(err).split())[:200]
        raise ValueError(
            f"model file {path}: weights do not fit the network of settings.yaml ({reason})"
        ) from None
    for name, tensor in state.items():
        if (
            torch.is_tensor(tensor)
            and tensor.is_floating_point()
            and not torch.isfinite(tensor).all()
        ):
            raise ValueError(f"model file {path}: weights {name} are not finite; retrain the run")
    return model.eval()


def load_run(run_dir: str | Path) -> CVNRun:
    """Read a run folder written by :func:`run_study`; a missing, unreadable or inconsistent file
    is one error naming it."""
    d = Path(run_dir)
    if not (d / "settings.yaml").is_file():
        raise FileNotFoundError(
            f"{d} is not a CVN run folder (no settings.yaml); run `nulearn detector cvn train` first"
        )
    settings = CVNSettings.from_yaml(d / "settings.yaml")
    summary = read_yaml(d / "summary.yaml", what="run summary")
    maps = load_npz(d / "pixel_maps.npz", ("pixel_maps",), what="run pixel maps")["pixel_maps"]
    predictions = check_input_file(d / "predictions.parquet", what="run predictions")
    try:
        preds = pd.read_parquet(predictions)
    except Exception as err:  # pyarrow raises its own ArrowInvalid, OSError, ...
        raise ValueError(
            f"run predictions {predictions}: not a readable Parquet file ({err})"
        ) from None
    expected = [f"{k}_p{c}" for k in ("cnn", "cnn_int", "bdt") for c in range(4)]
    missing = [c for c in ("flavour", "fold", *expected) if c not in preds.columns]
    if missing:
        raise ValueError(f"run predictions {predictions}: lacks columns {missing}")
    if maps.dtype != np.uint8 or maps.ndim != 4 or len(maps) != len(preds):
        raise ValueError(
            f"run pixel maps {d / 'pixel_maps.npz'}: {maps.dtype} {maps.shape} for "
            f"{len(preds)} events in predictions.parquet; expected uint8 (n, 3, W, T)"
        )
    models = [
        _load_model(d / "models" / f"fold{k}.pt", settings.cnn) for k in range(settings.n_folds)
    ]
    extra = sorted(
        (d / "models").glob("ensemble*.pt"), key=lambda p: int(p.stem.removeprefix("ensemble"))
    )
    ensemble = [models[0], *(_load_model(p, settings.cnn) for p in extra)]
    return CVNRun(settings, maps, preds, models, ensemble, summary)
