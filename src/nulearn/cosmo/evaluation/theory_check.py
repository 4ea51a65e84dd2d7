"""Checks of the theory against independent references: our Limber C_ℓ against CAMB's own
source-window spectrum, and the measured band powers of generated maps against the theory
they were drawn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.cosmo.data.maps import MapSet, map_filter, noise_power
from nulearn.cosmo.theory.fourier import BandBinning, band_powers, ell_grid
from nulearn.cosmo.theory.lensing import camb_convergence_cl, limber_convergence_cl

__all__ = ["CHECK_ELL", "TheoryCheck", "map_power_ratio", "theory_check"]

#: Multipoles of the Limber-vs-CAMB comparison.
CHECK_ELL: tuple[int, ...] = (100, 300, 500, 1000, 2000, 3000, 5000)


@dataclass(frozen=True)
class TheoryCheck:
    """Limber against CAMB at M_ν = 0.1 eV, and generated maps against theory.

    Attributes:
        ell: multipoles, shape ``(n_ell,)``.
        limber: our Limber C_ℓ, shape ``(n_ell,)``.
        camb: CAMB's source-window C_ℓ, shape ``(n_ell,)``.
        maps_ratio: one row per (M_ν, band): ``M_nu, ell, measured/theory - 1``.
    """

    ell: NDArray[np.int64]
    limber: NDArray[np.float64]
    camb: NDArray[np.float64]
    maps_ratio: pd.DataFrame


def map_power_ratio(maps: MapSet, n_bins: int = 10) -> pd.DataFrame:
    """Mean band power of the maps of each of the first two M_ν values over the theory (signal
    plus shape noise, times the map filter), minus 1; empty without a spectrum table."""
    rows: list[dict[str, float]] = []
    if maps.spectra is None:
        return pd.DataFrame(rows, columns=["M_nu", "ell", "measured/theory - 1"])
    cfg = maps.config
    binning = BandBinning.logarithmic(cfg.n_pix, cfg.side_deg, n_bins, ell_max=cfg.ell_max)
    grid = ell_grid(cfg.n_pix, cfg.side_rad)
    for m in np.unique(maps.m_nu)[:2]:
        sel = maps.m_nu == m
        measured = band_powers(maps.maps[sel], binning).mean(axis=0)
        signal = maps.spectra.on_grid(grid, [m], maps.amplitude[sel].mean())[0]
        theory = binning.bin_average((signal + noise_power(cfg.n_gal)) * map_filter(cfg, grid) ** 2)
        for e, r in zip(binning.ell_centres(), measured / theory - 1, strict=True):
            rows.append({"M_nu": float(m), "ell": round(float(e)), "measured/theory - 1": float(r)})
    return pd.DataFrame(rows)


def theory_check(maps: MapSet) -> TheoryCheck:
    """Run both checks for the configuration of ``maps`` (CAMB runs: seconds to minutes)."""
    ell = np.asarray(CHECK_ELL)
    cosmo = maps.fiducial.with_(m_nu=0.1)
    z_source = maps.config.z_source
    return TheoryCheck(
        ell=ell,
        limber=limber_convergence_cl(cosmo, ell, z_source),
        camb=camb_convergence_cl(cosmo, ell, z_source),
        maps_ratio=map_power_ratio(maps),
    )
