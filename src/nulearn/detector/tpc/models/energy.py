"""CNN energy reconstruction from waveform images, with an ensemble for the uncertainty.

Delaquis et al. (EXO-200), JINST 13, P08023 (2018): a CNN reading the raw U-wire waveforms beats
the conventional charge reconstruction. Their lesson:
a network trained on sharp calibration peaks learns the peak values themselves, so its resolution
*on those peaks* looks better than it is; train on a spectrum that is flat in energy.
Two architectures: the physics-structured :class:`~nulearn.detector.tpc.models.networks.EnergyNet`
(output linear in the charge, so it cannot learn the line values) and the conventional
:class:`~nulearn.detector.tpc.models.networks.GenericEnergyNet` (conv trunk and MLP head, which can);
:func:`nulearn.detector.tpc.study.run.energy_study` shows the pitfall with the latter.

:class:`WaveformEnergyRegressor` follows the scikit-learn regressor contract; training goes
through :func:`nulearn.ml.training.fit`. The ensemble spread (members with different seeds and
validation splits; Lakshminarayanan et al., NeurIPS 2017) is the uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.base import RegressorMixin

from nulearn.detector.tpc.data.dataset import image_template
from nulearn.detector.tpc.models.networks import EnergyNet, GenericEnergyNet
from nulearn.detector.tpc.models.training import (
    SupervisedModule,
    WaveformEstimator,
    check_images,
    image_loaders,
)
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.ml.estimator import predict_batches
from nulearn.ml.progress import epoch_log

__all__ = ["ARCHITECTURES", "EnergyModule", "WaveformEnergyRegressor"]


ARCHITECTURES = ("structured", "generic")
"""Energy networks of :class:`WaveformEnergyRegressor`: ``"structured"``
(:class:`~nulearn.detector.tpc.models.networks.EnergyNet`) or ``"generic"``
(:class:`~nulearn.detector.tpc.models.networks.GenericEnergyNet`)."""


class EnergyModule(SupervisedModule):
    """Lightning wrapper: mean squared error on the energy in MeV.

    ``architecture`` picks the network (one of :data:`ARCHITECTURES`); ``template`` and ``kappa``
    initialise the structured one, ``offset_mev`` the output of the generic one.
    """

    def __init__(
        self,
        width: int = 8,
        learning_rate: float = 2e-3,
        max_epochs: int = 10,
        template: list[float] | None = None,
        kappa: float = 0.0,
        architecture: str = "structured",
        offset_mev: float = 2.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net: torch.nn.Module
        if architecture == "structured":
            tmpl = None if template is None else torch.tensor(template, dtype=torch.float32)
            self.net = EnergyNet(width, tmpl, kappa=kappa)
        elif architecture == "generic":
            self.net = GenericEnergyNet(width, offset_mev=offset_mev)
        else:
            raise ValueError(f"architecture = {architecture!r} unknown; allowed: {ARCHITECTURES}")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Energy in MeV, shape (batch,)."""
        return self.net(images)

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return torch.mean((self.net(x) - y) ** 2)


@dataclass(eq=False, repr=False, kw_only=True)
class WaveformEnergyRegressor(RegressorMixin, WaveformEstimator):
    """Ensemble of CNNs regressing deposited energy (keV) from waveform images.

    Args:
        n_members: ensemble size (the spread of members is the uncertainty).
        config: detector whose collection template initialises the structured network's filter.
        architecture: ``"structured"`` (:class:`~nulearn.detector.tpc.models.networks.EnergyNet`, the
            charge sum with learned gating) or ``"generic"``
            (:class:`~nulearn.detector.tpc.models.networks.GenericEnergyNet`, a conv trunk with an MLP
            head, whose output starts at the mean training energy).

    The other (keyword-only) parameters are the training parameters of
    :class:`WaveformEstimator`; member i is seeded with ``seed + i``.
    """

    n_members: int = 3
    config: TPCConfig | None = None
    architecture: str = "structured"

    torch_attributes = ("members_",)

    def fit(self, X: Any, y: Any) -> WaveformEnergyRegressor:
        """Train the ensemble on images X (n_events, n_channels, n_time) and energies y (keV)."""
        if self.n_members < 1:
            raise ValueError(f"n_members = {self.n_members} must be >= 1")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture = {self.architecture!r} unknown; allowed: {ARCHITECTURES}"
            )
        x = check_images(X)
        target = np.asarray(y, dtype=np.float32) / 1000.0
        if target.shape != (x.shape[0],):
            raise ValueError(
                f"y must have shape ({x.shape[0]},) (energies in keV); got {target.shape}"
            )
        self.n_channels_in_ = x.shape[1]
        cfg = self.config or TPCConfig()
        template = image_template(cfg).tolist()
        # Attachment over the image window (256 us) at the calibrated electron lifetime.
        kappa = 256.0 * cfg.sampling_period_us / cfg.electron_lifetime_us
        offset = float(target.mean())
        self.members_: list[EnergyModule] = []
        for i in range(self.n_members):
            loaders = image_loaders(x, target, self.batch_size, self.val_fraction, self.seed + i)
            label = f"member {i + 1}/{self.n_members}: " if self.n_members > 1 else ""
            with epoch_log(label=label):
                module, _ = self._train(
                    lambda: self._module(template, kappa, offset),
                    *loaders,
                    self._trainer_config(self.seed + i, gradient_clip_val=5.0),
                )
            self.members_.append(module)
        return self

    def _module(
        self, template: list[float] | None = None, kappa: float = 0.0, offset_mev: float = 2.0
    ) -> EnergyModule:
        return EnergyModule(
            self.width,
            self.learning_rate,
            self.max_epochs,
            template,
            kappa,
            self.architecture,
            offset_mev,
        )

    def _rebuild(self, name: str) -> EnergyModule:
        # every initial value (template, lifetime, offset) is a parameter in the state dict
        return self._module()

    def predict_members(self, X: Any, batch_size: int = 256) -> NDArray[np.float64]:
        """Energies in keV predicted by every member, shape (n_members, n_events)."""
        self._check_fitted()
        x = check_images(X, getattr(self, "n_channels_in_", None))
        out = np.stack([predict_batches(m, x, batch_size) for m in self.members_])
        return 1000.0 * out.reshape(len(self.members_), x.shape[0])

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Ensemble-mean energy in keV, shape (n_events,)."""
        return self.predict_members(X).mean(axis=0)

    def predict_with_uncertainty(self, X: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Ensemble mean and standard deviation of the energy in keV, each shape (n_events,)."""
        members = self.predict_members(X)
        return members.mean(axis=0), members.std(axis=0, ddof=1 if members.shape[0] > 1 else 0)
