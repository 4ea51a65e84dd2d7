"""nulearn.cosmo: neutrino mass from weak-lensing convergence maps.

Arranged by role, imports flowing one way: :mod:`~nulearn.cosmo.theory` (CAMB HMcode-2020 P(k),
Limber C_ℓ, the flat-sky Fourier grid) → :mod:`~nulearn.cosmo.data` (Gaussian / lognormal maps
with shape noise, HDF5, streams of fresh maps) → :mod:`~nulearn.cosmo.models` (the optimal
power-spectrum likelihood ratio, Fisher forecast and peak counts; the map CNN as classifier and
M_ν regressor) → :mod:`~nulearn.cosmo.evaluation` (CNN against the baselines, coverage,
saliency, theory checks) → :mod:`~nulearn.cosmo.study` (the steps the ``nulearn cosmo``
commands run, and the report).

The names below are imported on first use: ``import nulearn.cosmo`` imports neither CAMB nor
torch nor captum.
"""

from __future__ import annotations

from nulearn._lazy import lazy_attributes

_MODULES: dict[str, tuple[str, ...]] = {
    "theory.power": ("Cosmology", "matter_power"),
    "theory.lensing": (
        "camb_convergence_cl",
        "limber_convergence_cl",
        "tomographic_convergence_cl",
    ),
    "theory.fourier": ("BandBinning", "band_powers", "ell_grid"),
    "data.maps": (
        "MapConfig",
        "MapMaker",
        "MapSet",
        "SpectrumTable",
        "simulate_maps",
    ),
    "data.files": ("load_maps", "save_maps"),
    "data.streaming": ("StreamingMaps",),
    "models.baselines": ("PowerSpectrumLikelihoodRatio", "fisher_forecast", "peak_counts"),
    "models.network": ("LensingCNNConfig", "MapCNN"),
    "models.classifier": ("CNNClassifier",),
    "models.regressor": ("CNNRegressor",),
    "models.tuning": ("tune_classifier",),
    "evaluation.comparison": ("compare_paired", "run_baselines", "verdict"),
    "evaluation.regression": ("interval_coverage",),
    "evaluation.saliency": ("density_split",),
    "evaluation.theory_check": ("theory_check",),
}

#: The curated public names, each imported from its module on first use.
__all__ = sorted(name for names in _MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: f"{__name__}.{mod}" for mod, names in _MODULES.items() for name in names}
)
