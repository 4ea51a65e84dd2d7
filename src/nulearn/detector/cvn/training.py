"""Training the multi-view CNN and k-fold cross-validation of CNN and baseline on the same folds.

With 800 events a single split leaves too few test events for a stable comparison, so every
event is predicted once by models that never saw it (out-of-fold). Inside each training fold a
stratified validation split drives early stopping (:func:`nulearn.ml.training.fit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold, train_test_split
from torch.utils.data import DataLoader

from nulearn.detector.cvn.baseline import BaselineConfig, make_baseline
from nulearn.detector.cvn.cnn import CNNConfig, CVNLightningModule, MultiViewCNN
from nulearn.detector.cvn.data import AugmentationConfig, CVNDataset, CVNSample
from nulearn.ml.training import TrainerConfig, fit, seed_everything

__all__ = [
    "CVNClassifier",
    "CrossValidationResult",
    "cross_validate",
    "predict_proba",
    "train_cnn",
]


class _BestWeights(Callback):
    """Keep a copy of the weights of the epoch with the lowest ``monitor`` (in memory, no disk)."""

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        self.best = float("inf")
        self.epoch = -1
        self.state: dict[str, torch.Tensor] | None = None

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if value is not None and float(value) < self.best:
            self.best = float(value)
            self.epoch = int(trainer.current_epoch)
            self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}


def train_cnn(
    pixel_maps: np.ndarray,
    flavour: np.ndarray,
    interaction: np.ndarray | None = None,
    config: CNNConfig | None = None,
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
        The model with the weights of its best validation epoch, in eval mode.
    """
    if not 0.0 < val_fraction <= 0.5:
        raise ValueError(f"val_fraction must be in (0, 0.5], got {val_fraction}")
    cfg = config or CNNConfig()
    tcfg = trainer or TrainerConfig(max_epochs=30, patience=5, accelerator="cpu", devices=1)
    n = len(flavour)
    inter = np.full(n, -1) if interaction is None else np.asarray(interaction)
    idx = np.arange(n)
    counts = np.bincount(flavour)
    stratify = (
        flavour
        if counts[counts > 0].min() >= 2 and round(val_fraction * n) >= len(counts[counts > 0])
        else None
    )
    tr, va = train_test_split(idx, test_size=val_fraction, random_state=seed, stratify=stratify)
    gen = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(
        CVNDataset(pixel_maps[tr], flavour[tr], inter[tr]),
        batch_size=cfg.batch_size,
        shuffle=True,
        generator=gen,
    )
    val_loader = DataLoader(CVNDataset(pixel_maps[va], flavour[va], inter[va]), batch_size=256)
    seed_everything(seed)  # the initial weights, not only the batch order
    module = CVNLightningModule(cfg, augmentation)
    tcfg_seeded = TrainerConfig(**{**tcfg.to_dict(), "seed": seed})
    best = _BestWeights(tcfg.monitor)
    trainer_run = fit(
        module, train_loader, val_loader, tcfg_seeded, callbacks=[best, *(callbacks or [])]
    )
    if best.state is not None:
        # fit() restores the best epoch only through an on-disk checkpoint; keep it in memory instead.
        module.load_state_dict(best.state)
    model = module.model.eval()
    model.epochs_run = int(trainer_run.current_epoch)
    model.best_epoch = best.epoch
    model.best_val_loss = best.best
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


class CVNClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn estimator around :func:`train_cnn`: ``fit(pixel_maps, flavour)``.

    ``X`` is ``uint8`` ``(n_events, 3, W, T)``; ``y`` the flavour labels. Interaction-type labels,
    when known, go in ``fit(..., interaction=...)`` and train the second head.
    """

    def __init__(
        self,
        config: CNNConfig | None = None,
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

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Flavour probabilities ``(n_events, n_classes)``."""
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
    cnn_config: CNNConfig | None = None,
    trainer: TrainerConfig | None = None,
    augmentation: AugmentationConfig | None = AugmentationConfig(),
    baseline_config: BaselineConfig | None = None,
    baseline_features: np.ndarray | None = None,
    seed: int = 0,
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
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for f, (tr, te) in enumerate(skf.split(np.zeros(n), y)):
        fold[te] = f
        t0 = time.perf_counter()
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
    return res
