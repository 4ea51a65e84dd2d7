"""Training the multi-view CNN and k-fold cross-validation of CNN and baseline on the same folds.

With 800 events a single split leaves too few test events for a stable comparison, so every
event is predicted once by models that never saw it (out-of-fold). Inside each training fold a
stratified validation split drives early stopping (:func:`nulearn.ml.training.fit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback
from sklearn.base import ClassifierMixin

from nulearn.detector.cvn.data.augmentation import AugmentationConfig
from nulearn.detector.cvn.data.pixel_maps import CVNSample, check_pixel_maps
from nulearn.detector.cvn.models.baseline import BaselineConfig, make_baseline
from nulearn.detector.cvn.models.network import CVNConfig, CVNLightningModule, MultiViewCNN
from nulearn.ml.estimator import TorchEstimator
from nulearn.ml.loaders import holdout_loaders
from nulearn.ml.progress import epoch_log
from nulearn.ml.splits import stratified_folds, stratified_holdout
from nulearn.ml.training import TrainerConfig, best_weights, train_module

__all__ = [
    "CVNClassifier",
    "CrossValidationResult",
    "cross_validate",
    "predict_proba",
    "train_cnn",
]


def train_cnn(
    pixel_maps: np.ndarray,
    flavour: np.ndarray,
    interaction: np.ndarray | None = None,
    config: CVNConfig | None = None,
    trainer: TrainerConfig | None = None,
    augmentation: AugmentationConfig | None = AugmentationConfig(),
    val_fraction: float = 0.15,
    seed: int = 0,
    callbacks: list[Callback] | None = None,
) -> MultiViewCNN:
    """Train a :class:`MultiViewCNN` with early stopping on a stratified validation split.

    Args:
        pixel_maps: ``uint8`` ``(n_events, 3, W, T)``.
        flavour: flavour labels ``(n_events,)``.
        interaction: interaction-type labels ``(n_events,)`` or ``None`` (flavour head only).
        config: architecture and optimiser.
        trainer: loop settings (epochs, patience, threads); its ``seed`` is replaced by ``seed``.
        augmentation: training-time augmentation (``None``: none).
        val_fraction: share of events held out for early stopping, in (0, 0.5].
        seed: seeds the split, the initialisation and the batches.
        callbacks: extra Lightning callbacks (e.g. Optuna pruning).

    Returns:
        The model with the weights of its best validation epoch, in eval mode; ``epochs_run``,
        ``best_epoch`` and ``best_val_loss`` record the run.
    """
    if not 0.0 < val_fraction <= 0.5:
        raise ValueError(f"val_fraction must be in (0, 0.5], got {val_fraction}")
    cfg = config or CVNConfig()
    tcfg = replace(
        trainer or TrainerConfig(max_epochs=30, patience=5, accelerator="cpu", devices=1),
        seed=seed,
    )
    flavour, inter = check_pixel_maps(pixel_maps, flavour, interaction)
    split = stratified_holdout(flavour, val_fraction, seed)
    loaders = holdout_loaders(
        (pixel_maps, flavour, inter), split, cfg.batch_size, seed, val_batch_size=256
    )
    module, trainer_run = train_module(
        lambda: CVNLightningModule(cfg, augmentation), *loaders, tcfg, callbacks
    )
    model = module.model.eval()
    restorer = best_weights(trainer_run)
    model.epochs_run = int(trainer_run.current_epoch)
    model.best_epoch = (
        -1 if restorer is None or restorer.best_epoch is None else restorer.best_epoch
    )
    model.best_val_loss = (
        float("inf") if restorer is None or restorer.best_score is None else restorer.best_score
    )
    return model


@torch.no_grad()
def predict_proba(
    model: MultiViewCNN, pixel_maps: np.ndarray, batch_size: int = 256, flip_average: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax outputs of both heads: ``(flavour (n, 4), interaction (n, 4))``, model in eval mode.

    With ``flip_average`` the probabilities are averaged over the event and its mirror image in
    drift time, the exact detector symmetry used in training (test-time augmentation).
    """
    model.eval()
    out_f, out_i = [], []
    for lo in range(0, len(pixel_maps), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(pixel_maps[lo : lo + batch_size]))
        views = [x, x.flip(3)] if flip_average else [x]
        pf = pi = None
        for xv in views:
            lf, li = model(xv)
            sf, si = torch.softmax(lf, 1), torch.softmax(li, 1)
            pf = sf if pf is None else pf + sf
            pi = si if pi is None else pi + si
        assert pf is not None and pi is not None
        out_f.append((pf / len(views)).numpy())
        out_i.append((pi / len(views)).numpy())
    return np.concatenate(out_f), np.concatenate(out_i)


class CVNClassifier(ClassifierMixin, TorchEstimator):
    """scikit-learn estimator around :func:`train_cnn`: ``fit(pixel_maps, flavour)``.

    ``X`` is ``uint8`` ``(n_events, 3, W, T)`` (no standardization: the network reads 8-bit
    charge as ``x / 255``); ``y`` the flavour labels. Interaction-type labels, when known, go in
    ``fit(..., interaction=...)`` and train the second head.
    """

    torch_attributes = ("model_",)

    def __init__(
        self,
        config: CVNConfig | None = None,
        max_epochs: int = 30,
        patience: int = 5,
        augmentation: AugmentationConfig | None = AugmentationConfig(),
        val_fraction: float = 0.15,
        num_threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.config = config
        self.max_epochs = max_epochs
        self.patience = patience
        self.augmentation = augmentation
        self.val_fraction = val_fraction
        self.num_threads = num_threads
        self.seed = seed

    def fit(
        self, X: np.ndarray, y: np.ndarray, interaction: np.ndarray | None = None
    ) -> CVNClassifier:
        """Train; returns ``self``."""
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        trainer = TrainerConfig(
            max_epochs=self.max_epochs,
            patience=self.patience,
            accelerator="cpu",
            devices=1,
            num_threads=self.num_threads,
        )
        self.model_ = train_cnn(
            np.asarray(X),
            np.searchsorted(self.classes_, y),
            interaction,
            config=self.config,
            trainer=trainer,
            augmentation=self.augmentation,
            val_fraction=self.val_fraction,
            seed=self.seed,
        )
        return self

    def _rebuild(self, name: str) -> MultiViewCNN:
        return MultiViewCNN(self.config)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Flavour probabilities ``(n_events, n_classes)``."""
        self._check_fitted()
        return predict_proba(self.model_, np.asarray(X))[0][:, : len(self.classes_)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable flavour ``(n_events,)``."""
        return self.classes_[self.predict_proba(X).argmax(1)]


@dataclass
class CrossValidationResult:
    """Out-of-fold predictions of the CNN and the baseline on the same folds.

    Attributes:
        fold: fold index of each event ``(n_events,)``.
        cnn_proba: CNN flavour probabilities ``(n_events, 4)``.
        cnn_interaction_proba: CNN interaction-type probabilities ``(n_events, 4)``.
        baseline_proba: boosted-tree flavour probabilities ``(n_events, 4)``.
        models: the CNN of each fold (trained on the other folds).
        epochs: epochs run in each fold.
        train_seconds: CNN training wall time of each fold.
    """

    fold: np.ndarray
    cnn_proba: np.ndarray
    cnn_interaction_proba: np.ndarray
    baseline_proba: np.ndarray
    models: list[MultiViewCNN] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)

    def fold_accuracy(self, flavour: np.ndarray) -> dict[str, np.ndarray]:
        """Flavour accuracy of each model on each held-out fold, ``{"cnn": (k,), "baseline": (k,)}``."""
        k = int(self.fold.max()) + 1
        out = {}
        for name, p in (("cnn", self.cnn_proba), ("baseline", self.baseline_proba)):
            correct = p.argmax(1) == flavour
            out[name] = np.array([correct[self.fold == f].mean() for f in range(k)])
        return out


def cross_validate(
    sample: CVNSample,
    n_folds: int = 5,
    cnn_config: CVNConfig | None = None,
    trainer: TrainerConfig | None = None,
    augmentation: AugmentationConfig | None = AugmentationConfig(),
    baseline_config: BaselineConfig | None = None,
    baseline_features: np.ndarray | None = None,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> CrossValidationResult:
    """Stratified k-fold comparison of the CNN and the feature baseline.

    Args:
        sample: events; ``sample.extra`` holds the baseline features unless ``baseline_features`` is given.
        n_folds: number of folds (each event is tested once).
        cnn_config: CNN architecture and optimiser.
        trainer: loop settings for each fold's CNN.
        augmentation: CNN training augmentation.
        baseline_config: boosted-tree settings.
        baseline_features: ``(n_events, n_features)``; default ``sample.extra``.
        seed: seeds folds, splits and initialisations.
        log: receives one line per finished fold (its accuracies); the epochs of each fold's
            CNN go to :func:`nulearn.ml.progress.epoch_log`, labelled ``"fold f/k: "``.
    """
    import time

    feats = baseline_features if baseline_features is not None else sample.extra
    if feats is None:
        raise ValueError(
            "baseline features missing: load with full_resolution_fn=hand_features or pass them"
        )
    if len(feats) != len(sample):
        raise ValueError(f"baseline_features has {len(feats)} rows for {len(sample)} events")
    y = sample.flavour
    n = len(sample)
    fold = np.full(n, -1)
    cnn_p = np.zeros((n, 4))
    cnn_i = np.zeros((n, 4))
    base_p = np.zeros((n, 4))
    res = CrossValidationResult(fold, cnn_p, cnn_i, base_p)
    for f, split in enumerate(stratified_folds(y, n_folds, seed)):
        tr, te = split.train, split.val
        fold[te] = f
        t0 = time.perf_counter()
        label = f"fold {f + 1}/{n_folds}: "
        with epoch_log(label=label):
            model = train_cnn(
                sample.pixel_maps[tr],
                y[tr],
                sample.interaction[tr],
                config=cnn_config,
                trainer=trainer,
                augmentation=augmentation,
                seed=seed + f,
            )
        res.train_seconds.append(time.perf_counter() - t0)
        res.epochs.append(model.epochs_run)
        cnn_p[te], cnn_i[te] = predict_proba(model, sample.pixel_maps[te])
        res.models.append(model)
        bdt = make_baseline(baseline_config).fit(feats[tr], y[tr])
        proba = np.zeros((len(te), 4))
        proba[:, bdt.classes_] = bdt.predict_proba(feats[te])
        base_p[te] = proba
        if log is not None:
            cnn_acc = float((cnn_p[te].argmax(1) == y[te]).mean())
            bdt_acc = float((proba.argmax(1) == y[te]).mean())
            log(
                f"{label}CNN accuracy {cnn_acc:.3f} ({model.epochs_run} epochs, "
                f"{res.train_seconds[-1]:.0f} s), BDT accuracy {bdt_acc:.3f}"
            )
    return res
