r"""Domain-adversarial training (DANN) from labelled artificial to unlabelled realistic moments.

A feature extractor :math:`h = G_f(x)` feeds a label head :math:`G_y(h)` (crossing or not) and,
through a gradient-reversal layer, a domain head :math:`G_d(h)` (artificial or realistic).
Minimizing

.. math:: \mathcal{L} = \mathcal{L}_y(G_y(G_f(x_s)), y_s)
          + \lambda\,\mathcal{L}_d(G_d(R(G_f(x))), d)

with :math:`R` the identity forward and :math:`-1` times the gradient backward trains the domain
head to tell the domains apart while the extractor learns features it cannot separate
(Ganin et al. 2016, JMLR 17, 59; used by MINERvA for simulation-to-data transfer, Perdue et al.
2018, JINST 13, P11020). :math:`\lambda` ramps as :math:`2/(1+e^{-10p}) - 1` over training
progress :math:`p`.

:class:`DomainAdversarialClassifier` follows the scikit-learn semi-supervised convention: ``fit(X, y)``
with ``y = -1`` on the unlabelled (target-domain) rows. With ``adversarial=False`` the same network
is trained on the labelled rows alone: the plain baseline.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(400, 3)); y = (X[:, 0] > 0).astype(int); y[300:] = -1
>>> clf = DomainAdversarialClassifier(hidden=16, max_epochs=2, batch_size=64)
>>> clf.fit(X, y).predict_proba(X[:4]).shape
(4, 2)
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import ClassifierMixin
from torch import nn
from torch.nn import functional as F

from nulearn.ml.estimator import TorchEstimator
from nulearn.ml.loaders import holdout_loaders
from nulearn.ml.splits import Holdout, shuffled_holdout
from nulearn.ml.training import TrainerConfig

__all__ = ["DANNModule", "DomainAdversarialClassifier", "GradientReversal", "reverse_gradient"]


class GradientReversal(torch.autograd.Function):
    """Identity forward; multiplies the gradient by ``-scale`` backward (Ganin & Lempitsky 2015)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: float) -> torch.Tensor:  # type: ignore[override]
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.scale * grad, None


def reverse_gradient(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Apply :class:`GradientReversal` with strength ``scale`` (>= 0)."""
    out: torch.Tensor = GradientReversal.apply(x, scale)  # type: ignore[no-untyped-call]
    return out


class DANNModule(L.LightningModule):
    """Extractor, label head and domain head; unlabelled target rows are drawn per step.

    Args:
        n_features: input width.
        hidden: width of the extractor's two hidden layers.
        target: standardized target-domain features, shape (n_target, n_features); empty for the
            plain (non-adversarial) model.
        adversarial: add the reversed domain loss.
        domain_weight: maximum lambda.
        learning_rate: Adam step size.
        total_steps: expected optimizer steps (for the lambda ramp).
    """

    def __init__(
        self,
        n_features: int,
        hidden: int,
        target: torch.Tensor,
        adversarial: bool,
        domain_weight: float,
        learning_rate: float,
        total_steps: int,
    ) -> None:
        super().__init__()
        self.extractor = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.label_head = nn.Linear(hidden, 1)
        self.domain_head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.target = target
        self.adversarial = adversarial and target.shape[0] > 0
        self.domain_weight = domain_weight
        self.learning_rate = learning_rate
        self.total_steps = max(total_steps, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logit of P(crossing), shape (batch,)."""
        out: torch.Tensor = self.label_head(self.extractor(x)).squeeze(-1)
        return out

    def _lambda(self) -> float:
        progress = min(self.global_step / self.total_steps, 1.0)
        return self.domain_weight * (2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0)

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        h = self.extractor(x)
        loss = F.binary_cross_entropy_with_logits(self.label_head(h).squeeze(-1), y)
        if self.adversarial:
            idx = torch.randint(0, self.target.shape[0], (x.shape[0],))
            h_all = torch.cat([h, self.extractor(self.target[idx])])
            domain = torch.cat([torch.zeros(x.shape[0]), torch.ones(x.shape[0])])
            logits = self.domain_head(reverse_gradient(h_all, self._lambda())).squeeze(-1)
            loss = loss + F.binary_cross_entropy_with_logits(logits, domain)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", F.binary_cross_entropy_with_logits(self(x), y), prog_bar=False)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.learning_rate)


class DomainAdversarialClassifier(ClassifierMixin, TorchEstimator):
    """Scikit-learn wrapper of :class:`DANNModule` (``y = -1`` marks unlabelled target rows); a
    :class:`~nulearn.ml.estimator.TorchEstimator` standardizing each feature over all rows, both
    domains (so the target domain's scales shape the inputs the extractor sees).

    Args:
        adversarial: train with the reversed domain loss (False: plain network on labelled rows).
        hidden: hidden width.
        domain_weight: maximum lambda of the domain loss.
        learning_rate: Adam step size.
        batch_size: labelled rows per step (as many target rows are drawn).
        max_epochs, patience: early stopping on the labelled validation loss.
        val_fraction: labelled rows held out for early stopping.
        num_threads: torch CPU threads.
        random_state: seed.
    """

    standardization = "per-feature"
    torch_attributes = ("module_",)

    def __init__(
        self,
        adversarial: bool = True,
        hidden: int = 64,
        domain_weight: float = 1.0,
        learning_rate: float = 2e-3,
        batch_size: int = 512,
        max_epochs: int = 30,
        patience: int = 5,
        val_fraction: float = 0.1,
        num_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        self.adversarial = adversarial
        self.hidden = hidden
        self.domain_weight = domain_weight
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.num_threads = num_threads
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike) -> DomainAdversarialClassifier:
        """Fit on features (n, n_features) and labels (n,) in {0, 1, -1} (-1: unlabelled target)."""
        X_arr = np.asarray(X, dtype=np.float64)
        y_arr = np.asarray(y).astype(np.int64)
        if X_arr.ndim != 2 or X_arr.shape[0] != y_arr.shape[0]:
            raise ValueError(
                f"X must be (n, n_features) matching y (n,); got {X_arr.shape}, {y_arr.shape}"
            )
        bad = ~np.isin(y_arr, (-1, 0, 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"labels must be 0, 1 or -1 (unlabelled); index {i} has {y_arr[i]}")
        labelled = y_arr >= 0
        if labelled.sum() < 10:
            raise ValueError(f"need >= 10 labelled rows, got {int(labelled.sum())}")
        torch.set_num_threads(self.num_threads)
        self._fit_standardization(X_arr)
        Z = self._standardize(X_arr)
        rows = np.flatnonzero(labelled)
        split = shuffled_holdout(
            rows.size, max(1, int(self.val_fraction * rows.size)), self.random_state
        )
        train_loader, val_loader = holdout_loaders(
            (Z, y_arr.astype(np.float32)),
            Holdout(train=rows[split.train], val=rows[split.val]),
            self.batch_size,
            self.random_state,
            val_batch_size=8192,
        )
        self.n_features_in_ = X_arr.shape[1]
        target = (
            torch.from_numpy(Z[~labelled]) if self.adversarial else torch.zeros((0, Z.shape[1]))
        )
        config = TrainerConfig(
            max_epochs=self.max_epochs,
            patience=self.patience,
            accelerator="cpu",
            devices=1,
            seed=self.random_state,
            num_threads=self.num_threads,
        )
        self.module_, _ = self._train(
            lambda: self._module(target, total_steps=self.max_epochs * len(train_loader)),
            train_loader,
            val_loader,
            config,
        )
        self.classes_ = np.array([0, 1])
        return self

    def _module(self, target: torch.Tensor, total_steps: int) -> DANNModule:
        return DANNModule(
            self.n_features_in_,
            self.hidden,
            target,
            self.adversarial,
            self.domain_weight,
            self.learning_rate,
            total_steps=total_steps,
        )

    def _rebuild(self, name: str) -> DANNModule:
        # the target rows only matter to training; a rebuilt network predicts without them
        return self._module(torch.zeros((0, self.n_features_in_)), total_steps=1)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Class probabilities, shape (n, 2)."""
        self._check_fitted()
        Z = torch.from_numpy(self._standardize(np.asarray(X, dtype=np.float64)))
        self.module_.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.module_(Z)).numpy().astype(np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """0/1 predictions at probability 0.5, shape (n,)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)
