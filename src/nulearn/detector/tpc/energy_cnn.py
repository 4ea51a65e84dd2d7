"""CNN energy reconstruction from waveform images, with an ensemble for the uncertainty.

Delaquis et al. (EXO-200), JINST 13, P08023 (2018): a CNN reading the raw U-wire waveforms beats
the conventional charge reconstruction. Their lesson:
a network trained on sharp calibration peaks learns the peak values themselves, so its resolution
*on those peaks* looks better than it is; train on a spectrum that is flat in energy.
Two architectures: the physics-structured :class:`~nulearn.detector.tpc.networks.EnergyNet`
(output linear in the charge, so it cannot learn the line values) and the conventional
:class:`~nulearn.detector.tpc.networks.GenericEnergyNet` (conv trunk and MLP head, which can);
:func:`nulearn.detector.tpc.study.energy_study` shows the pitfall with the latter.

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
from torch.utils.data import DataLoader, TensorDataset

from nulearn.detector.tpc.config import TPCConfig
from nulearn.detector.tpc.dataset import IMAGE_POOL
from nulearn.detector.tpc.networks import EnergyNet, GenericEnergyNet
from nulearn.detector.tpc.response import response_tables
from nulearn.detector.tpc.training import SupervisedModule, WaveformEstimator
from nulearn.ml.training import fit, seed_everything

__all__ = [
    "ARCHITECTURES",
    "EnergyModule",
    "WaveformEnergyRegressor",
    "check_images",
    "image_template",
    "split_loaders",
]


ARCHITECTURES = ("structured", "generic")
"""Energy networks of :class:`WaveformEnergyRegressor`: ``"structured"``
(:class:`~nulearn.detector.tpc.networks.EnergyNet`) or ``"generic"``
(:class:`~nulearn.detector.tpc.networks.GenericEnergyNet`)."""


def image_template(config: TPCConfig, n_taps: int = 63, lead_bins: int = 2) -> NDArray[np.float64]:
    """Collection template on the image grid (2 us bins), starting ``lead_bins`` before arrival, shape (n_taps,)."""
    tables = response_tables(config)
    dt = IMAGE_POOL * config.sampling_period_us
    grid = tables.tau_min_us + np.arange(tables.step_shaped.size) * tables.tau_step_us
    # Average of the samples pooled into each bin.
    tau = (np.arange(n_taps) - lead_bins)[:, None] * dt + np.arange(IMAGE_POOL)[
        None, :
    ] * config.sampling_period_us
    return np.interp(tau, grid, tables.step_shaped.astype(np.float64)).mean(axis=1)


def check_images(images: Any, n_channels: int | None = None) -> NDArray[np.float32]:
    """Validate images of shape (n_events, n_channels, n_time) and return them as float32."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"images must have shape (n_events, n_channels, n_time); got {x.shape}")
    if n_channels is not None and x.shape[1] != n_channels:
        raise ValueError(f"images have {x.shape[1]} channels; the model was fitted on {n_channels}")
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x).reshape(x.shape[0], -1).all(axis=1))[0])
        raise ValueError(f"images contain non-finite values (first at event index {bad})")
    return x


def split_loaders(
    x: NDArray[np.float32], y: NDArray[np.float32], batch_size: int, val_fraction: float, seed: int
) -> tuple[DataLoader, DataLoader]:
    """Shuffled train/validation DataLoaders over (x, y)."""
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"need at least 4 events to train; got {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(max(1, round(val_fraction * n)), n - 1)
    tr, va = order[n_val:], order[:n_val]
    gen = torch.Generator().manual_seed(seed)

    def ds(i: NDArray[np.int64]) -> TensorDataset:
        return TensorDataset(torch.from_numpy(x[i]), torch.from_numpy(y[i]))

    return (
        DataLoader(ds(tr), batch_size=batch_size, shuffle=True, generator=gen),
        DataLoader(ds(va), batch_size=4 * batch_size),
    )


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
        architecture: ``"structured"`` (:class:`~nulearn.detector.tpc.networks.EnergyNet`, the
            charge sum with learned gating) or ``"generic"``
            (:class:`~nulearn.detector.tpc.networks.GenericEnergyNet`, a conv trunk with an MLP
            head, whose output starts at the mean training energy).

    The other (keyword-only) parameters are the training parameters of
    :class:`WaveformEstimator`; member i is seeded with ``seed + i``.
    """

    n_members: int = 3
    config: TPCConfig | None = None
    architecture: str = "structured"

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
        self.members_: list[EnergyModule] = []
        for i in range(self.n_members):
            train, val = split_loaders(x, target, self.batch_size, self.val_fraction, self.seed + i)
            seed_everything(self.seed + i)  # the initial weights, not only the batch order
            module = EnergyModule(
                self.width,
                self.learning_rate,
                self.max_epochs,
                template,
                kappa,
                self.architecture,
                float(target.mean()),
            )
            fit(module, train, val, self._trainer_config(self.seed + i, gradient_clip_val=5.0))
            module.eval()
            self.members_.append(module)
        return self

    def predict_members(self, X: Any, batch_size: int = 256) -> NDArray[np.float64]:
        """Energies in keV predicted by every member, shape (n_members, n_events)."""
        x = check_images(X, getattr(self, "n_channels_in_", None))
        out = np.empty((len(self.members_), x.shape[0]))
        with torch.no_grad():
            for m, module in enumerate(self.members_):
                for lo in range(0, x.shape[0], batch_size):
                    out[m, lo : lo + batch_size] = module(
                        torch.from_numpy(x[lo : lo + batch_size])
                    ).numpy()
        return 1000.0 * out

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Ensemble-mean energy in keV, shape (n_events,)."""
        return self.predict_members(X).mean(axis=0)

    def predict_with_uncertainty(self, X: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Ensemble mean and standard deviation of the energy in keV, each shape (n_events,)."""
        members = self.predict_members(X)
        return members.mean(axis=0), members.std(axis=0, ddof=1 if members.shape[0] > 1 else 0)
