"""Flat-sky convergence maps: Gaussian and lognormal fields, shape noise, smoothing, HDF5 storage.

Gaussian maps colour real-space white noise in Fourier space (two real FFTs per map, batched).
Lognormal maps follow Hilbert, Hartlap & Schneider (2011, A&A 536, A85) and Xavier et al. (2016,
MNRAS 459, 3693): κ = λ [exp(g − σ_g²/2) − 1] with a Gaussian g whose correlation is
ξ_g = ln(1 + ξ_κ / λ²), so that κ has exactly the target two-point function on the periodic grid.
The shift λ is the empty-beam convergence |κ_empty|(Ω_m, z_s), the *same* for every M_ν at fixed Ω_m
(see :func:`nulearn.cosmo.theory.lensing.empty_beam_convergence`).

Shape noise: each pixel averages n_gal A_pix galaxies with intrinsic ellipticity σ_e per component,
so σ_κ,pix = σ_e / sqrt(n_gal A_pix) and the noise power is N_ℓ = σ_e² / n_gal (n_gal per steradian).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline

from nulearn.cosmo.theory.fourier import ell_grid, mode_weights
from nulearn.cosmo.theory.lensing import amplitude_spectra, empty_beam_convergence
from nulearn.cosmo.theory.power import Cosmology
from nulearn.ml.config import YAMLConfig
from nulearn.ml.io import atomic_output, load_npz

__all__ = [
    "ARCMIN2_PER_SR",
    "MapConfig",
    "MapMaker",
    "MapSet",
    "SpectrumTable",
    "gaussian_field_cl",
    "interpolate_nodes",
    "map_filter",
    "noise_power",
    "simulate_maps",
]

ARCMIN2_PER_SR = (180.0 * 60.0 / np.pi) ** 2
"""Square arcminutes per steradian."""


@dataclass(frozen=True)
class MapConfig(YAMLConfig):
    """How maps are made (everything except the cosmology); round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        n_pix: pixels per side (even).
        side_deg: side of the square patch in degrees.
        field: ``"gaussian"`` or ``"lognormal"``.
        z_source: source redshift.
        n_gal: galaxies per arcmin²; ``None`` for noiseless maps.
        sigma_e: intrinsic ellipticity dispersion per component.
        smoothing_arcmin: Gaussian smoothing standard deviation in arcmin (``None``: none).
        ell_max: zero all modes above this ℓ (``None``: keep all up to Nyquist).
        amplitude_jitter: fractional standard deviation of A_s inside each class.
        lognormal_shift: λ; ``None`` computes |κ_empty| from the fiducial cosmology.
    """

    n_pix: int = 256
    side_deg: float = 3.5
    field: Literal["gaussian", "lognormal"] = "gaussian"
    z_source: float = 1.0
    n_gal: float | None = 30.0
    sigma_e: float = 0.26
    smoothing_arcmin: float | None = None
    ell_max: float | None = None
    amplitude_jitter: float = 0.015
    lognormal_shift: float | None = None

    yaml_sort_keys = True

    def __post_init__(self) -> None:
        if self.n_pix < 8 or self.n_pix % 2:
            raise ValueError(f"n_pix = {self.n_pix} must be even and >= 8")
        if not 0 < self.side_deg <= 20:
            raise ValueError(f"side_deg = {self.side_deg} outside the allowed range (0, 20]")
        if self.field not in ("gaussian", "lognormal"):
            raise ValueError(f"field = {self.field!r}; allowed: 'gaussian', 'lognormal'")
        if self.n_gal is not None and self.n_gal <= 0:
            raise ValueError(f"n_gal = {self.n_gal} must be > 0 (or None for no noise)")
        if not 0 <= self.amplitude_jitter < 0.2:
            raise ValueError(f"amplitude_jitter = {self.amplitude_jitter} outside [0, 0.2)")
        if self.lognormal_shift is not None and self.lognormal_shift <= 0:
            raise ValueError(f"lognormal_shift = {self.lognormal_shift} must be > 0")

    @property
    def side_rad(self) -> float:
        """Side in radians."""
        return float(np.deg2rad(self.side_deg))

    @property
    def pixel_rad(self) -> float:
        """Pixel side Δ in radians."""
        return self.side_rad / self.n_pix


def noise_power(n_gal: float | None, sigma_e: float = 0.26) -> float:
    """Shape-noise power N_ℓ = σ_e² / n_gal (dimensionless; n_gal given per arcmin²)."""
    if n_gal is None:
        return 0.0
    return sigma_e**2 / (n_gal * ARCMIN2_PER_SR)


@dataclass(frozen=True)
class SpectrumTable:
    """C_ℓ tabulated over M_ν nodes and A_s factors, interpolated in ln C.

    M_ν: cubic spline over nodes (linear for two nodes); A_s: exact quadratic in ln(A_s / A_s,fid)
    through three factors, which captures the nonlinear (HMcode) amplitude response.

    Attributes:
        ell: multipoles, shape ``(n_ell,)``, increasing, log-interpolated.
        m_nu: M_ν nodes in eV, shape ``(n_m,)``.
        amplitude_factors: A_s / A_s,fid nodes, shape ``(3,)``.
        cl: C_ℓ, shape ``(n_m, 3, n_ell)``, finite and > 0 (interpolated in ln C).
        lognormal_shift: λ = |κ_empty| for these spectra.
        z_source: source redshift the spectra were computed for (``None``: not recorded).

    Raises:
        ValueError: a table that cannot be interpolated: nodes not strictly increasing (two equal
            M_ν nodes divide by zero), C_ℓ not finite and positive, shapes that disagree.
    """

    ell: NDArray[np.float64]
    m_nu: NDArray[np.float64]
    amplitude_factors: NDArray[np.float64]
    cl: NDArray[np.float64]
    lognormal_shift: float = 0.06
    z_source: float | None = None

    def __post_init__(self) -> None:
        for name, positive in (("ell", True), ("m_nu", False), ("amplitude_factors", True)):
            nodes = np.asarray(getattr(self, name), dtype=np.float64)
            if nodes.ndim != 1 or nodes.size == 0:
                raise ValueError(f"spectrum table: {name} must be a non-empty 1-D array")
            bad = ~np.isfinite(nodes) | ((nodes <= 0) if positive else (nodes < 0))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"spectrum table: {name}[{i}] = {nodes[i]}; must be finite and "
                    f"{'> 0' if positive else '>= 0'}"
                )
            steps = np.diff(nodes) <= 0
            if steps.any():
                i = int(np.argmax(steps)) + 1
                raise ValueError(
                    f"spectrum table: {name}[{i}] = {nodes[i]} after {nodes[i - 1]}; nodes must be "
                    "strictly increasing (two equal M_ν nodes make no interpolation)"
                )
        if np.asarray(self.amplitude_factors).size != 3:
            raise ValueError("spectrum table: amplitude_factors must hold 3 A_s nodes")
        shape = (np.size(self.m_nu), 3, np.size(self.ell))
        cl = np.asarray(self.cl)
        if cl.shape != shape:
            raise ValueError(f"spectrum table: cl has shape {cl.shape}, expected {shape}")
        bad = ~np.isfinite(cl) | (cl <= 0)
        if bad.any():
            m, a, i = (int(k) for k in np.argwhere(bad)[0])
            raise ValueError(
                f"spectrum table: cl[{m}, {a}, {i}] = {cl[m, a, i]} (M_ν = {self.m_nu[m]} eV, "
                f"ℓ = {self.ell[i]:.4g}); C_ℓ must be finite and > 0"
            )
        if not (np.isfinite(self.lognormal_shift) and self.lognormal_shift > 0):
            raise ValueError(
                f"spectrum table: lognormal_shift = {self.lognormal_shift}; must be > 0"
            )

    def check_covers(
        self, m_nu: ArrayLike, z_source: float, source: str = "spectrum table"
    ) -> None:
        """Refuse masses outside the tabulated M_ν nodes, or a table made for another source
        redshift (when it records one), in one line naming ``source``."""
        m = np.atleast_1d(np.asarray(m_nu, dtype=np.float64))
        lo, hi = float(self.m_nu.min()), float(self.m_nu.max())
        outside = (m < lo - 1e-12) | (m > hi + 1e-12)
        if outside.any():
            raise ValueError(
                f"{source}: tabulates M_ν in [{lo:g}, {hi:g}] eV, not M_ν = "
                f"{m[np.argmax(outside)]:g} eV; remove the file to recompute it with CAMB"
            )
        if self.z_source is not None and abs(self.z_source - z_source) > 1e-9:
            raise ValueError(
                f"{source}: computed for z_source = {self.z_source:g}, not {z_source:g}; remove "
                "the file to recompute it with CAMB"
            )

    @classmethod
    def from_theory(
        cls,
        fiducial: Cosmology,
        m_nu: ArrayLike = (0.0, 0.1),
        z_source: float = 1.0,
        ell: ArrayLike | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> SpectrumTable:
        """Compute the table with CAMB (cached on disk): 3 × len(m_nu) matter-power runs."""
        ell_arr = np.geomspace(1.0, 1e5, 400) if ell is None else np.asarray(ell, dtype=np.float64)
        nodes = np.asarray(m_nu, dtype=np.float64)
        factors = (0.95, 1.0, 1.05)
        rows = []
        for m in nodes:
            if progress is not None:
                progress(f"CAMB spectra for M_nu = {m:.3f} eV")
            rows.append(
                amplitude_spectra(fiducial.with_(m_nu=float(m)), ell_arr, z_source, factors)
            )
        shift = abs(empty_beam_convergence(fiducial, z_source))
        return cls(ell_arr, nodes, np.asarray(factors), np.stack(rows), shift, float(z_source))

    def log_cl(self, m_nu: ArrayLike, amplitude: ArrayLike) -> NDArray[np.float64]:
        """ln C_ℓ for each (M_ν, A_s / A_s,fid) pair, shape ``(n, n_ell)``."""
        return interpolate_nodes(
            self.m_nu, self.amplitude_factors, np.log(self.cl), m_nu, amplitude
        )

    def on_grid(
        self, ell_2d: NDArray[np.float64], m_nu: ArrayLike, amplitude: ArrayLike
    ) -> NDArray[np.float64]:
        """C_ℓ evaluated on a 2-D |ℓ| grid, shape ``(n, *ell_2d.shape)`` (zero at ℓ = 0)."""
        lncl = self.log_cl(m_nu, amplitude)
        lnell = np.log(np.clip(ell_2d, self.ell[0], self.ell[-1])).ravel()
        grid = np.log(self.ell)
        idx = np.clip(np.searchsorted(grid, lnell) - 1, 0, grid.size - 2)
        w = (lnell - grid[idx]) / (grid[idx + 1] - grid[idx])
        out = np.exp(lncl[:, idx] * (1 - w) + lncl[:, idx + 1] * w).reshape(
            lncl.shape[0], *ell_2d.shape
        )
        out[:, ell_2d == 0] = 0.0
        return out

    def save(self, path: str | Path) -> None:
        """Write to ``.npz`` (through a temporary file renamed into place)."""
        arrays: dict[str, Any] = {
            "ell": self.ell,
            "m_nu": self.m_nu,
            "amplitude_factors": self.amplitude_factors,
            "cl": self.cl,
            "lognormal_shift": self.lognormal_shift,
        }
        if self.z_source is not None:
            arrays["z_source"] = self.z_source
        with atomic_output(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> SpectrumTable:
        """Read a table written by :meth:`save`; a missing, truncated or foreign file, or a table
        that cannot be interpolated, is one ValueError naming the file."""
        keys = ("ell", "m_nu", "amplitude_factors", "cl", "lognormal_shift")
        f = load_npz(path, keys, what="spectrum table")
        try:
            z = float(f["z_source"]) if "z_source" in f else None
            return cls(
                np.asarray(f["ell"], dtype=np.float64),
                np.asarray(f["m_nu"], dtype=np.float64),
                np.asarray(f["amplitude_factors"], dtype=np.float64),
                np.asarray(f["cl"], dtype=np.float64),
                float(f["lognormal_shift"]),
                z,
            )
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: {str(err).removeprefix('spectrum table: ')}") from None


def interpolate_nodes(
    m_nodes: NDArray[np.float64],
    amplitude_factors: NDArray[np.float64],
    values: NDArray[Any],
    m_nu: ArrayLike,
    amplitude: ArrayLike,
) -> NDArray[Any]:
    """Interpolate ``values`` tabulated on (M_ν node, A_s factor) to each (M_ν, A_s) pair.

    Cubic spline in M_ν (linear for two nodes), Lagrange quadratic through the three ln A_s nodes.

    Args:
        m_nodes: M_ν nodes in eV, shape ``(n_m,)``.
        amplitude_factors: A_s / A_s,fid nodes, shape ``(3,)``.
        values: tabulated values, shape ``(n_m, 3, ...)``.
        m_nu: shape ``(n,)``, inside the node range.
        amplitude: shape ``(n,)`` (or broadcastable).

    Returns:
        shape ``(n, ...)``, dtype of ``values``.
    """
    m = np.atleast_1d(np.asarray(m_nu, dtype=np.float64))
    a = np.broadcast_to(np.atleast_1d(np.asarray(amplitude, dtype=np.float64)), m.shape)
    lo, hi = m_nodes.min(), m_nodes.max()
    outside = (m < lo - 1e-12) | (m > hi + 1e-12)
    if np.any(outside):
        bad = int(np.argmax(outside))
        raise ValueError(f"m_nu[{bad}] = {m[bad]} outside the tabulated range [{lo}, {hi}]")
    if np.any(a <= 0):
        raise ValueError("amplitude must be > 0")
    tail = (1,) * (values.ndim - 2)
    if m_nodes.size == 1:
        at_m = np.broadcast_to(values[0], (m.size, *values.shape[1:]))
    elif m_nodes.size == 2:
        t = (
            ((m - m_nodes[0]) / (m_nodes[1] - m_nodes[0]))
            .astype(values.dtype)
            .reshape(-1, 1, *tail)
        )
        at_m = values[0][None] + t * (values[1] - values[0])[None]
    else:
        at_m = CubicSpline(m_nodes, values, axis=0)(m).astype(values.dtype)
    x = np.log(amplitude_factors)
    xa = np.log(a)
    lag = [
        (xa - x[1]) * (xa - x[2]) / ((x[0] - x[1]) * (x[0] - x[2])),
        (xa - x[0]) * (xa - x[2]) / ((x[1] - x[0]) * (x[1] - x[2])),
        (xa - x[0]) * (xa - x[1]) / ((x[2] - x[0]) * (x[2] - x[1])),
    ]
    out = sum(lag[i].astype(values.dtype).reshape(-1, *tail) * at_m[:, i] for i in range(3))
    return np.asarray(out)


def gaussian_field_cl(
    cl_grid: NDArray[np.float64], shift: float, pixel_rad: float, workers: int = -1
) -> NDArray[np.float64]:
    """Power of the Gaussian field g behind a lognormal κ with shift λ, on the real-FFT grid.

    ξ_κ = IFFT[C] / Δ² on the periodic grid, ξ_g = ln(1 + ξ_κ / λ²), C_g = Δ² FFT[ξ_g];
    the rare negative C_g (non-realisable modes) are set to zero.

    Args:
        cl_grid: C_ℓ on the real-FFT grid, shape ``(..., n, n // 2 + 1)``.
        shift: λ > 0.
        pixel_rad: pixel side Δ in radians.
        workers: FFT threads.

    Returns:
        C_g, same shape as ``cl_grid``.
    """
    n = cl_grid.shape[-2]
    xi = scipy.fft.irfft2(cl_grid, s=(n, n), workers=workers) / pixel_rad**2
    xi_g = np.log1p(xi / shift**2)
    cg = scipy.fft.rfft2(xi_g, workers=workers).real * pixel_rad**2
    return np.asarray(np.clip(cg, 0.0, None), dtype=np.float64)


def map_filter(config: MapConfig, ell: NDArray[np.float64]) -> NDArray[np.float64]:
    """Smoothing × ℓ_max window on a |ℓ| grid (same shape as ``ell``)."""
    filt = np.ones_like(ell)
    if config.smoothing_arcmin is not None:
        sigma = np.deg2rad(config.smoothing_arcmin / 60.0)
        filt *= np.exp(-0.5 * (ell * sigma) ** 2)
    if config.ell_max is not None:
        filt *= ell <= config.ell_max
    return filt


class MapMaker:
    """Generates batches of maps for one table and configuration (vectorised over the batch).

    The per-mode log power (C_ℓ + N for Gaussian maps, C_g of the underlying Gaussian field for
    lognormal ones) is precomputed on every (M_ν node, A_s node) and interpolated per map, so a
    lognormal map costs the same handful of FFTs as a Gaussian one.

    Args:
        table: C_ℓ table.
        config: map settings.
        workers: FFT threads (−1: all cores).
    """

    def __init__(self, table: SpectrumTable, config: MapConfig, workers: int = -1) -> None:
        self.table = table
        self.config = config
        self.workers = workers
        n = config.n_pix
        self.ell = ell_grid(n, config.side_rad)
        self.filter = map_filter(config, self.ell).astype(np.float32)
        self.noise = noise_power(config.n_gal, config.sigma_e)
        self.shift = config.lognormal_shift or table.lognormal_shift
        n_m, n_a = table.cl.shape[:2]
        cl = table.on_grid(
            self.ell, np.repeat(table.m_nu, n_a), np.tile(table.amplitude_factors, n_m)
        )  # (n_m * 3, n, n//2+1)
        if config.field == "gaussian":
            power = cl + self.noise
        else:
            power = gaussian_field_cl(cl, self.shift, config.pixel_rad, workers)
        power[:, 0, 0] = 0.0
        self._log_power = (
            np.log(np.maximum(power, 1e-300)).astype(np.float32).reshape(n_m, n_a, n, n // 2 + 1)
        )

    def power(self, m_nu: ArrayLike, amplitude: ArrayLike) -> NDArray[np.float32]:
        """Per-mode power to colour white noise with, shape ``(n, n_pix, n_pix // 2 + 1)``."""
        logp = interpolate_nodes(
            self.table.m_nu, self.table.amplitude_factors, self._log_power, m_nu, amplitude
        )
        out = np.exp(logp)
        out[:, 0, 0] = 0.0
        return np.asarray(out, dtype=np.float32)

    def __call__(
        self, m_nu: ArrayLike, amplitude: ArrayLike, rng: np.random.Generator
    ) -> NDArray[np.float32]:
        """κ maps for each (M_ν, A_s / A_s,fid), shape ``(n, n_pix, n_pix)``, float32."""
        cfg = self.config
        n_pix = cfg.n_pix
        delta = np.float32(cfg.pixel_rad)
        power = self.power(m_nu, amplitude)
        white = rng.standard_normal((power.shape[0], n_pix, n_pix), dtype=np.float32)
        fk = scipy.fft.rfft2(white, workers=self.workers)
        if cfg.field == "gaussian":
            # signal and noise are independent Gaussians: one field with power (C + N) · filter²
            fk *= np.sqrt(power) * (self.filter / delta)
            return np.asarray(
                scipy.fft.irfft2(fk, s=(n_pix, n_pix), workers=self.workers), dtype=np.float32
            )
        fk *= np.sqrt(power) / delta
        g = scipy.fft.irfft2(fk, s=(n_pix, n_pix), workers=self.workers)
        # σ_g² = ξ_g(0) from the spectrum (not the map), so ⟨κ⟩ = 0 in expectation
        var_g = (power * mode_weights(n_pix).astype(np.float32)).sum(axis=(1, 2)) / (
            n_pix**2 * delta**2
        )
        kappa = np.float32(self.shift) * np.expm1(g - 0.5 * var_g[:, None, None])
        if self.noise > 0:
            sigma_pix = np.float32(np.sqrt(self.noise) / delta)
            kappa += rng.standard_normal(kappa.shape, dtype=np.float32) * sigma_pix
        if cfg.smoothing_arcmin is not None or cfg.ell_max is not None:
            fk = scipy.fft.rfft2(kappa, workers=self.workers) * self.filter
            kappa = scipy.fft.irfft2(fk, s=(n_pix, n_pix), workers=self.workers)
        return np.asarray(kappa, dtype=np.float32)


@dataclass
class MapSet:
    """Maps with their labels and the cosmology each was drawn from.

    Attributes:
        maps: κ maps, shape ``(n, n_pix, n_pix)``, float32.
        m_nu: M_ν of each map in eV, shape ``(n,)``.
        amplitude: A_s / A_s,fid of each map, shape ``(n,)``.
        config: map settings.
        fiducial: fiducial cosmology (A_s,fid; M_ν per map is in ``m_nu``).
        labels: class labels, shape ``(n,)`` (1 = massive), or −1 for regression sets.
        spectra: the C_ℓ table the maps were drawn from (stored with them).
    """

    maps: NDArray[np.float32]
    m_nu: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    config: MapConfig
    fiducial: Cosmology
    labels: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    spectra: SpectrumTable | None = None

    def __len__(self) -> int:
        return int(self.maps.shape[0])

    def subset(self, index: ArrayLike) -> MapSet:
        """The maps at ``index``."""
        idx = np.asarray(index)
        return replace(
            self,
            maps=self.maps[idx],
            m_nu=self.m_nu[idx],
            amplitude=self.amplitude[idx],
            labels=self.labels[idx],
        )


def simulate_maps(
    table: SpectrumTable,
    config: MapConfig,
    m_nu: ArrayLike,
    seed: int = 0,
    fiducial: Cosmology | None = None,
    labels: ArrayLike | None = None,
    batch_size: int | None = None,
    workers: int = -1,
    progress: Callable[[int], None] | None = None,
) -> MapSet:
    """Simulate one map per entry of ``m_nu`` with A_s jittered by ``config.amplitude_jitter``.

    Reproducible given ``seed`` and ``batch_size`` (each batch has its own spawned generator).

    Args:
        table: C_ℓ table covering all ``m_nu``.
        config: map settings.
        m_nu: M_ν of each map in eV, shape ``(n,)``.
        seed: random seed.
        fiducial: fiducial cosmology recorded with the maps.
        labels: class labels, shape ``(n,)``; default −1 (unlabelled).
        batch_size: maps per vectorised batch (default: about 2²¹ pixels per batch).
        workers: FFT threads.
        progress: called with the number of maps finished after each batch.

    Returns:
        The map set.
    """
    m = np.asarray(m_nu, dtype=np.float64)
    root = np.random.default_rng(seed)
    amplitude = 1.0 + config.amplitude_jitter * root.standard_normal(m.size)
    amplitude = np.clip(amplitude, 0.9, 1.1)
    maps = np.empty((m.size, config.n_pix, config.n_pix), dtype=np.float32)
    if batch_size is None:
        batch_size = max(1, 2**21 // config.n_pix**2)
    maker = MapMaker(table, config, workers)
    seeds = np.random.SeedSequence(seed).spawn((m.size + batch_size - 1) // batch_size)
    for b, ss in enumerate(seeds):
        sl = slice(b * batch_size, min((b + 1) * batch_size, m.size))
        maps[sl] = maker(m[sl], amplitude[sl], np.random.default_rng(ss))
        if progress is not None:
            progress(sl.stop - sl.start)
    bad = ~np.isfinite(maps).all(axis=(1, 2))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"simulated map {i} (M_ν = {m[i]} eV, A_s factor {amplitude[i]:.4f}) is not finite; "
            "the C_ℓ table cannot make maps for these parameters"
        )
    lab = (
        np.full(m.size, -1, dtype=np.int64)
        if labels is None
        else np.asarray(labels, dtype=np.int64)
    )
    return MapSet(maps, m, amplitude, config, fiducial or Cosmology(), lab, table)
