"""M_ν from a single map, with an uncertainty: heteroscedastic Gaussian NLL and deep ensembles.

The network (:class:`~nulearn.cosmo.models.network.MapCNN` with two outputs) predicts a mean μ and a
log-variance s and is trained on −ln N(M_ν | μ, e^s) (Nix & Weigend 1994); an ensemble of such
networks (Lakshminarayanan, Pritzel & Blundell 2017) combines as a Gaussian mixture with mean
⟨μ⟩ and variance ⟨e^s⟩ + Var(μ). The coverage of the stated central intervals is measured by
:func:`interval_coverage` and the error compared with the Fisher bound
(:func:`nulearn.cosmo.baselines.fisher_forecast`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import RegressorMixin
from torch.nn import functional as F

from nulearn.cosmo.models.classifier import (
    check_finite_maps,
    check_finite_weights,
    model_file_errors,
    read_model_file,
)
from nulearn.cosmo.models.network import LensingCNNConfig, MapModuleBase, map_inputs, map_loaders
from nulearn.ml.estimator import TorchEstimator, predict_batches
from nulearn.ml.progress import epoch_log
from nulearn.ml.splits import shuffled_holdout
from nulearn.ml.training import TrainerConfig
from nulearn.ml.uncertainty import gaussian_mixture

__all__ = ["CNNRegressor", "MapRegressorModule", "gaussian_nll"]

_M_CENTRE, _M_SCALE = 0.15, 0.1  # eV: targets are standardised to O(1) inside the network


def gaussian_nll(mean: torch.Tensor, log_var: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean Gaussian negative log-likelihood ½[s + (y − μ)² e^{−s}] (constant dropped)."""
    return 0.5 * (log_var + (target - mean) ** 2 * torch.exp(-log_var)).mean()


class MapRegressorModule(MapModuleBase):
    """Predicts (μ, ln σ²) of standardised M_ν; Gaussian NLL loss; exponential LR schedule."""

    def __init__(self, config: LensingCNNConfig) -> None:
        super().__init__(config, n_outputs=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(μ, ln σ²) in standardised units, shape ``(batch, 2)``; ln σ² clamped to [−10, 5]."""
        out = self.net(x)
        return torch.stack([out[:, 0], out[:, 1].clamp(-10.0, 5.0)], dim=1)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        out = self(x)
        target = (y - _M_CENTRE) / _M_SCALE
        loss = gaussian_nll(out[:, 0], out[:, 1], target)
        rmse = torch.sqrt(F.mse_loss(out[:, 0], target)) * _M_SCALE
        self._log_epoch(stage, x.shape[0], loss=loss, rmse_ev=rmse)
        return loss


class CNNRegressor(RegressorMixin, TorchEstimator):
    """scikit-learn regressor of M_ν (eV) from maps ``(n, n_pix, n_pix)``, with an uncertainty
    (a :class:`~nulearn.ml.estimator.TorchEstimator` with the global standardization of the maps).

    Args:
        config: architecture and optimiser settings.
        trainer: training-loop settings.
        n_members: ensemble size (1: a single Gaussian-NLL network).
        validation_fraction: share of the maps held out for early stopping.
    """

    standardization = "global"
    torch_attributes = ("members_",)

    def __init__(
        self,
        config: LensingCNNConfig | None = None,
        trainer: TrainerConfig | None = None,
        n_members: int = 1,
        validation_fraction: float = 0.2,
    ) -> None:
        self.config = config
        self.trainer = trainer
        self.n_members = n_members
        self.validation_fraction = validation_fraction

    def fit(self, X: ArrayLike, y: ArrayLike) -> CNNRegressor:
        """Train on maps ``X`` (n, n_pix, n_pix) and M_ν ``y`` (n,) in eV."""
        maps = np.asarray(X, dtype=np.float32)
        target = np.asarray(y, dtype=np.float32)
        if maps.ndim != 3 or target.shape != (maps.shape[0],):
            raise ValueError(
                f"X must be (n, n_pix, n_pix) and y (n,), got {maps.shape} and {target.shape}"
            )
        if self.n_members < 1:
            raise ValueError(f"n_members = {self.n_members} must be >= 1")
        check_finite_maps(maps)
        if not np.isfinite(target).all():
            i = int(np.argmax(~np.isfinite(target)))
            raise ValueError(f"y[{i}] = {target[i]}; M_ν targets must be finite")
        cfg = self.config or LensingCNNConfig()
        tcfg = self.trainer or TrainerConfig(accelerator="cpu", max_epochs=20)
        n_val = max(1, round(self.validation_fraction * maps.shape[0]))
        split = shuffled_holdout(maps.shape[0], n_val, tcfg.seed)
        self._fit_standardization(maps[split.train])
        self.members_: list[MapRegressorModule] = []
        for k in range(self.n_members):
            # ensemble diversity: initialisation and batch order
            member = replace(tcfg, seed=tcfg.seed + k)
            loaders = map_loaders(maps, target, split, self.scale_, cfg.batch_size, member.seed)
            label = f"member {k + 1}/{self.n_members}: " if self.n_members > 1 else ""
            with epoch_log(label=label):
                module, _ = self._train(lambda: MapRegressorModule(cfg), *loaders, member)
            self.members_.append(module)
        return self

    def predict_with_std(self, X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Predicted M_ν and its 1σ uncertainty in eV, each shape ``(n,)`` (mixture over members)."""
        self._check_fitted()
        outs = np.stack(
            [
                predict_batches(m, X, 256, lambda x: map_inputs(self._standardize(x)))
                for m in self.members_
            ]
        )  # (k, n, 2)
        mu = outs[..., 0] * _M_SCALE + _M_CENTRE
        var = np.exp(outs[..., 1]) * _M_SCALE**2
        return gaussian_mixture(mu, var)

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Predicted M_ν in eV, shape ``(n,)``."""
        return self.predict_with_std(X)[0]

    def _rebuild(self, name: str) -> MapRegressorModule:
        return MapRegressorModule(self.config or LensingCNNConfig())

    def save(self, path: str | Path) -> None:
        """Save every member's weights, the input scale and the configuration (plain data)."""
        self._check_fitted()
        cfg = self.config or LensingCNNConfig()
        torch.save(
            {
                "kind": "regressor",
                "config": cfg.to_dict(),
                "scale": self.scale_,
                "members": [m.state_dict() for m in self.members_],
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path) -> CNNRegressor:
        """Inverse of :meth:`save`; never runs code from the file (weights-only loading).

        Raises:
            ValueError: naming the file: not a regressor file, weights that do not fit the
                recorded network or are not finite.
        """
        blob = read_model_file(path, "regressor", ("config", "scale", "members"))
        with model_file_errors(path, "regressor"):
            cfg = LensingCNNConfig.from_dict(blob["config"])
            obj = cls(config=cfg, n_members=len(blob["members"]))
            obj.mean_, obj.scale_ = 0.0, float(blob["scale"])
            obj.members_ = []
            for state in blob["members"]:
                module = MapRegressorModule(cfg)
                module.load_state_dict(state)
                obj.members_.append(module.eval())
        if not obj.members_:
            raise ValueError(f"model file {path}: an M_nu regressor without members")
        check_finite_weights(path, list(blob["members"]), obj.scale_)
        return obj
