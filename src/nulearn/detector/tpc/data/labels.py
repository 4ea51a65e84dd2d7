"""Labels of single-site events for the conditional waveform generator, and where a label puts the
charge in a network image.

A label is (x position / half width, drift distance / drift length, energy / 3 MeV), each O(1)
(:func:`event_labels`). :class:`LabelGeometry` maps a label to its channel, arrival time and
expected charge on the image grid of :mod:`nulearn.detector.tpc.data.dataset`, from the
detector constants alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.tpc.data.dataset import (
    IMAGE_POOL,
    IMAGE_SCALE_ELECTRONS,
    IMAGE_WINDOW_SAMPLES,
)
from nulearn.detector.tpc.physics.config import TPCConfig

__all__ = ["N_LABELS", "LabelGeometry", "event_labels"]

N_LABELS = 3
"""Label components: x position, drift distance, energy."""


def event_labels(
    centroid_mm: NDArray[np.floating],
    drift_mm: NDArray[np.floating],
    energy_kev: NDArray[np.floating],
    config: TPCConfig,
) -> NDArray[np.float32]:
    """Normalised labels (x / half width, drift / drift length, E / 3 MeV), shape (n_events, 3)."""
    return np.stack(
        [
            np.asarray(centroid_mm)[:, 0] / config.half_width_mm,
            np.asarray(drift_mm) / config.drift_length_mm,
            np.asarray(energy_kev) / 3000.0,
        ],
        axis=1,
    ).astype(np.float32)


@dataclass(frozen=True)
class LabelGeometry:
    """Where and how large a single-site cluster appears in the image, from its label.

    The detector constants an experiment knows without any waveform: wire pitch (channel from
    x), drift and gap velocities and the trigger time (arrival from the drift distance),
    electrons per keV and the electron lifetime (collected charge from energy). The generator
    places its cluster here and learns only corrections, the response shapes and the
    fluctuations; the comparison with the simulator measures residuals from the same place.

    Attributes:
        channels_per_side: U channels per drift region.
        start_bins: image bin of the interaction time t0, plus the V-U gap drift time.
        bins_per_drift: image bins per unit of the drift label (drift length / velocity).
        charge_per_energy: collected charge, 1000 e, per unit of the energy label (3 MeV).
        lifetime_bins: electron lifetime in image bins.
    """

    channels_per_side: int
    start_bins: float
    bins_per_drift: float
    charge_per_energy: float
    lifetime_bins: float

    @classmethod
    def from_config(cls, config: TPCConfig) -> LabelGeometry:
        """The geometry of the detector ``config`` on the network image grid."""
        bin_us = IMAGE_POOL * config.sampling_period_us
        t0_us = -IMAGE_WINDOW_SAMPLES[0] * config.sampling_period_us  # trigger, from window start
        return cls(
            channels_per_side=config.channels_per_side,
            start_bins=(t0_us + config.gap_mm / config.gap_velocity_mm_per_us) / bin_us,
            bins_per_drift=config.drift_length_mm / config.drift_velocity_mm_per_us / bin_us,
            charge_per_energy=3000.0 * config.electrons_per_kev / IMAGE_SCALE_ELECTRONS,
            lifetime_bins=config.electron_lifetime_us / bin_us,
        )

    def channel(self, labels: Any, side: Any) -> Any:
        """Fractional channel of the label's x in drift region ``side`` (0 or 1), shape (n,);
        numpy arrays or torch tensors, labels of shape (n, 3)."""
        return (side + 0.5 * (labels[:, 0] + 1.0)) * self.channels_per_side - 0.5

    def arrival_bin(self, labels: Any) -> Any:
        """Fractional image bin at which the label's charge reaches the U plane, shape (n,)."""
        return self.start_bins + labels[:, 1] * self.bins_per_drift

    def charge(self, labels: Any) -> Any:
        """Expected collected charge in 1000 e (energy label times attachment survival), (n,)."""
        # e ** (-t / tau) written as a float power, so that numpy arrays and torch tensors work.
        survival = np.exp(-1.0) ** (labels[:, 1] * self.bins_per_drift / self.lifetime_bins)
        return labels[:, 2] * self.charge_per_energy * survival
