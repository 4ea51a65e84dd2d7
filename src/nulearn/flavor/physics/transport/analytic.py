"""Closed-form solutions used to validate the transport solver."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["homogeneous_sphere"]


def homogeneous_sphere(
    radius: ArrayLike, mu: ArrayLike, sphere_radius: float, opacity: float, equilibrium: float
) -> NDArray[np.float64]:
    """Pure-absorption homogeneous sphere: psi(r, mu) = psi_eq (1 - exp(-kappa L(r, mu))).

    ``L = r mu + sqrt(R^2 - r^2 (1 - mu^2))`` is the path back to the surface along -direction
    (Mihalas & Mihalas, *Foundations of Radiation Hydrodynamics*, §6.3; Smit et al. 1997 test).

    Args:
        radius: r (km), shape (n_r,), each <= sphere_radius.
        mu: direction cosines, shape (n_mu,).
        sphere_radius: R (km).
        opacity: kappa_a (km^-1).
        equilibrium: psi_eq (fm^-3).

    Returns:
        psi, shape (n_r, n_mu).
    """
    r = np.asarray(radius, dtype=np.float64)[:, None]
    m = np.asarray(mu, dtype=np.float64)[None, :]
    if np.any(r > sphere_radius * (1 + 1e-12)):
        raise ValueError(f"radius must be <= sphere_radius={sphere_radius}")
    length = r * m + np.sqrt(np.clip(sphere_radius**2 - r**2 * (1 - m**2), 0.0, None))
    return np.asarray(equilibrium * -np.expm1(-opacity * length))
