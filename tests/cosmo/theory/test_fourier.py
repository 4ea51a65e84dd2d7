"""Flat-sky Fourier conventions: ℓ grid, mode counting, band powers of known fields."""

from __future__ import annotations

import numpy as np
import pytest

from nulearn.cosmo.theory.fourier import BandBinning, band_powers, ell_grid, mode_weights


def test_ell_grid_fundamental_and_nyquist() -> None:
    side = np.deg2rad(2.0)
    ell = ell_grid(16, side)
    assert ell.shape == (16, 9)
    assert ell[0, 1] == pytest.approx(2 * np.pi / side)
    assert ell[0, -1] == pytest.approx(np.pi * 16 / side)
    with pytest.raises(ValueError, match="n_pix"):
        ell_grid(15, side)


def test_mode_weights_count_the_full_plane() -> None:
    assert mode_weights(32).sum() == 32 * 32


def test_plane_wave_power_lands_in_its_bin_with_parseval_normalisation() -> None:
    n, side_deg = 32, 2.0
    side = np.deg2rad(side_deg)
    x = np.arange(n) * side / n
    amp = 0.01
    kappa = amp * np.cos(2 * np.pi * 3 * x / side)[None, :] * np.ones((n, 1))  # ℓ = 3 ℓ_fund
    binning = BandBinning(
        n, side_deg, (0.5 * 2 * np.pi / side, 2.5 * 2 * np.pi / side, 3.5 * 2 * np.pi / side)
    )
    p = band_powers(kappa, binning)
    assert p[0] == pytest.approx(0.0, abs=1e-20)
    # Parseval: Σ_modes C(ℓ) / A = pixel variance amp²/2, spread over the bin's modes
    counts_full = 2 * binning.mode_counts()
    assert p[1] * counts_full[1] / side**2 == pytest.approx(amp**2 / 2, rel=1e-10)


def test_logarithmic_binning_has_no_empty_bins() -> None:
    b = BandBinning.logarithmic(64, 3.5, 40)
    assert np.all(b.mode_counts() > 0)
    assert b.n_bins <= 40
    with pytest.raises(ValueError, match="shape"):
        band_powers(np.zeros((2, 32, 32)), b)
