"""Liquid-xenon TPC charge readout (EXO-200-like): simulation, reconstruction, CNNs, WGAN-GP.

Physics first (:mod:`~nulearn.detector.tpc.config`, :mod:`~nulearn.detector.tpc.deposits`,
:mod:`~nulearn.detector.tpc.response`, :mod:`~nulearn.detector.tpc.simulator`), then the
conventional reconstruction, the data sets, the networks and the studies.
"""

from nulearn.detector.tpc.config import Q_BB_KEV, TL208_GAMMA_KEV, TPCConfig
from nulearn.detector.tpc.deposits import (
    Deposits,
    double_beta_events,
    gamma_events,
    uniform_energy_events,
    uniform_gamma_events,
)
from nulearn.detector.tpc.reconstruction import Reconstruction, energy_resolution, reconstruct
from nulearn.detector.tpc.simulator import channel_gains, electronics_noise, simulate

__all__ = [
    "Q_BB_KEV",
    "TL208_GAMMA_KEV",
    "Deposits",
    "Reconstruction",
    "TPCConfig",
    "channel_gains",
    "double_beta_events",
    "electronics_noise",
    "energy_resolution",
    "gamma_events",
    "reconstruct",
    "simulate",
    "uniform_energy_events",
    "uniform_gamma_events",
]
