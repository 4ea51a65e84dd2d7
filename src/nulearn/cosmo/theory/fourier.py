"""Flat-sky Fourier conventions shared by map making and power-spectrum estimation.

A square map of side L (radians) with N×N pixels of side Δ = L/N is treated as periodic.
With κ̃(ℓ) = Δ² · FFT[κ] the continuous-transform convention gives ⟨|κ̃(ℓ)|²⟩ = A C_ℓ (A = L²),
so the unbiased single-mode estimate is Ĉ(ℓ) = Δ² |FFT[κ]|² / N². Real-FFT half planes are used
throughout; columns 1 … N/2−1 stand for two modes (ℓ and −ℓ), columns 0 and N/2 for one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray

__all__ = ["BandBinning", "band_powers", "ell_grid", "mode_weights"]


def ell_grid(n_pix: int, side_rad: float) -> NDArray[np.float64]:
    """|ℓ| of each real-FFT mode, shape ``(n_pix, n_pix // 2 + 1)``; ℓ_fund = 2π / side."""
    if n_pix < 4 or n_pix % 2:
        raise ValueError(f"n_pix = {n_pix} must be even and >= 4")
    if side_rad <= 0:
        raise ValueError(f"side_rad = {side_rad} must be > 0")
    ly = 2.0 * np.pi * np.fft.fftfreq(n_pix, d=side_rad / n_pix)
    lx = 2.0 * np.pi * np.fft.rfftfreq(n_pix, d=side_rad / n_pix)
    return np.asarray(np.hypot(ly[:, None], lx[None, :]), dtype=np.float64)


def mode_weights(n_pix: int) -> NDArray[np.float64]:
    """How many full-plane modes each real-FFT mode stands for (2, or 1 on columns 0 and N/2)."""
    w = np.full((n_pix, n_pix // 2 + 1), 2.0)
    w[:, 0] = 1.0
    w[:, -1] = 1.0
    return w


@dataclass(frozen=True)
class BandBinning:
    """Annular ℓ bins on a map grid.

    Attributes:
        n_pix: pixels per side.
        side_deg: map side in degrees.
        ell_edges: bin edges in ℓ, shape ``(n_bins + 1,)``, increasing.
    """

    n_pix: int
    side_deg: float
    ell_edges: tuple[float, ...]

    @classmethod
    def logarithmic(
        cls,
        n_pix: int,
        side_deg: float,
        n_bins: int = 20,
        ell_min: float | None = None,
        ell_max: float | None = None,
    ) -> BandBinning:
        """Log-spaced bins from the fundamental mode (or ``ell_min``) to ``ell_max`` (default: Nyquist).

        Bins that would hold no grid mode (at low ℓ) are merged into their upper neighbour, so
        there may be fewer than ``n_bins``.
        """
        side = np.deg2rad(side_deg)
        lo = ell_min if ell_min is not None else 2.0 * np.pi / side * 0.999
        hi = ell_max if ell_max is not None else np.pi * n_pix / side
        if not 0 < lo < hi:
            raise ValueError(f"need 0 < ell_min ({lo}) < ell_max ({hi})")
        edges = np.geomspace(lo, hi, n_bins + 1)
        ell = ell_grid(n_pix, side).ravel()
        counts = np.histogram(ell, bins=edges)[0]
        keep = (
            [edges[0]]
            + [e for e, c in zip(edges[1:-1], counts[:-1], strict=True) if c > 0]
            + [edges[-1]]
        )
        if counts[-1] == 0 and len(keep) > 2:
            keep.pop(-2)
        return cls(n_pix, side_deg, tuple(float(e) for e in keep))

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.ell_edges) - 1

    def _index(self) -> NDArray[np.int64]:
        ell = ell_grid(self.n_pix, np.deg2rad(self.side_deg))
        idx = np.digitize(ell, np.asarray(self.ell_edges)) - 1
        idx[(idx < 0) | (idx >= self.n_bins)] = self.n_bins  # overflow bin, dropped
        return np.asarray(idx, dtype=np.int64)

    def mode_counts(self) -> NDArray[np.float64]:
        """Independent complex modes per bin (half the full-plane count), shape ``(n_bins,)``."""
        counts = np.bincount(
            self._index().ravel(),
            weights=mode_weights(self.n_pix).ravel(),
            minlength=self.n_bins + 1,
        )
        return np.asarray(counts[: self.n_bins] / 2.0, dtype=np.float64)

    def ell_centres(self) -> NDArray[np.float64]:
        """Mode-weighted mean ℓ of each bin, shape ``(n_bins,)``."""
        return self.bin_average(ell_grid(self.n_pix, np.deg2rad(self.side_deg)))

    def bin_average(self, field: ArrayLike) -> NDArray[np.float64]:
        """Mode-weighted bin average of a quantity on the real-FFT grid.

        Args:
            field: shape ``(..., n_pix, n_pix // 2 + 1)``.

        Returns:
            shape ``(..., n_bins)``.
        """
        arr = np.asarray(field, dtype=np.float64)
        idx = self._index().ravel()
        w = mode_weights(self.n_pix).ravel()
        flat = arr.reshape(-1, idx.size)
        # one sparse matrix product instead of a Python loop over maps
        onehot = np.zeros((idx.size, self.n_bins + 1))
        onehot[np.arange(idx.size), idx] = w
        sums = flat @ onehot
        norm = onehot.sum(axis=0)
        out = sums[:, : self.n_bins] / np.where(
            norm[: self.n_bins] > 0, norm[: self.n_bins], np.nan
        )
        return np.asarray(out.reshape(*arr.shape[:-2], self.n_bins), dtype=np.float64)


def band_powers(maps: ArrayLike, binning: BandBinning, workers: int = -1) -> NDArray[np.float64]:
    """Band-power estimates Ĉ_b (dimensionless, like C_ℓ) of square maps.

    Args:
        maps: convergence maps, shape ``(n_maps, n_pix, n_pix)`` or ``(n_pix, n_pix)``.
        binning: the ℓ bins (its ``n_pix`` and ``side_deg`` must match the maps).
        workers: FFT threads (−1: all cores).

    Returns:
        Ĉ_b, shape ``(n_maps, n_bins)`` (or ``(n_bins,)`` for one map).
    """
    arr = np.asarray(maps)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2] or arr.shape[1] != binning.n_pix:
        raise ValueError(
            f"maps must have shape (n, {binning.n_pix}, {binning.n_pix}), got {np.shape(maps)}"
        )
    n = binning.n_pix
    delta = np.deg2rad(binning.side_deg) / n
    fk = scipy.fft.rfft2(arr.astype(np.float64, copy=False), workers=workers)
    power = (fk.real**2 + fk.imag**2) * (delta**2 / n**2)
    out = binning.bin_average(power)
    return out[0] if single else out
