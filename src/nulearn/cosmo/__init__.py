"""nulearn.cosmo: neutrino mass from weak-lensing convergence maps.

Data flows one way: :mod:`~nulearn.cosmo.theory` (CAMB HMcode-2020 P(k), Limber C_ℓ) →
:mod:`~nulearn.cosmo.maps` (Gaussian / lognormal maps with shape noise, HDF5) →
:mod:`~nulearn.cosmo.baselines` (optimal power-spectrum likelihood ratio, Fisher, peak counts) and
:mod:`~nulearn.cosmo.cnn` / :mod:`~nulearn.cosmo.regression` (PyTorch CNNs) →
:mod:`~nulearn.cosmo.evaluation`, :mod:`~nulearn.cosmo.saliency`, :mod:`~nulearn.cosmo.report`.
Heavy dependencies (CAMB, torch, captum) are imported by the modules that need them.
"""

from nulearn.cosmo.fourier import BandBinning, band_powers, ell_grid
from nulearn.cosmo.maps import (
    MapConfig,
    MapMaker,
    MapSet,
    SpectrumTable,
    load_maps,
    save_maps,
    simulate,
)
from nulearn.cosmo.theory import Cosmology, camb_convergence_cl, limber_convergence_cl, matter_power

__all__ = [
    "BandBinning",
    "Cosmology",
    "MapConfig",
    "MapMaker",
    "MapSet",
    "SpectrumTable",
    "band_powers",
    "camb_convergence_cl",
    "ell_grid",
    "limber_convergence_cl",
    "load_maps",
    "matter_power",
    "save_maps",
    "simulate",
]
