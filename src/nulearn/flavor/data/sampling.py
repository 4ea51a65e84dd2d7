"""Sampling schemes for artificial moment data, as in the crossing-detection literature.

All flux factors are capped by one rule, :data:`FLUX_FACTOR_CAP`: ``F = min(F, 0.999)``, applied to
every draw before any other quantity is derived from it. The published generators cap at 1, where
the inversion has no solution and their root finders fail silently; ours never produces F >= 1.

Schemes (densities relative to n_nue; U(a, b) uniform):

``original`` (arXiv:2303.05560)
    alpha = n_nuebar/n_nue ~ U(0.03, 2.5); F_nue, F_nuebar ~ U(0, 1).
``hierarchical`` (arXiv:2310.03807, "improved artificial")
    as original, but F_nue ~ U(0.6 F_nuebar, F_nuebar).
``xln`` (arXiv:2310.03807 Sec. III C), seven features
    c ~ U(-0.4, 0.4); F_nux ~ U(0, 1); F_nuxbar = F_nux (1 + c);
    F_nuebar ~ U(0.6 m, m) with m = min(F_nux, F_nuxbar); F_nue ~ U(0.6 F_nuebar, F_nuebar);
    alpha ~ U(0.01, 2.5); alpha_x ~ U(0.01, 3); alpha_xbar = alpha_x (1 + c).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.physics.species import feature_names

__all__ = ["FLUX_FACTOR_CAP", "SCHEMES", "SCHEME_RANGES", "sample_features"]

SCHEMES: tuple[str, ...] = ("original", "hierarchical", "xln")
#: Largest flux factor any scheme produces (the cap rule: F = min(F, FLUX_FACTOR_CAP)).
FLUX_FACTOR_CAP = 0.999

#: Human-readable ranges, also shown in the README and reports.
SCHEME_RANGES: dict[str, dict[str, str]] = {
    "original": {"alpha": "U(0.03, 2.5)", "F_nue": "U(0, 1)", "F_nuebar": "U(0, 1)"},
    "hierarchical": {
        "alpha": "U(0.03, 2.5)",
        "F_nuebar": "U(0, 1)",
        "F_nue": "U(0.6 F_nuebar, F_nuebar)",
    },
    "xln": {
        "c": "U(-0.4, 0.4)",
        "F_nux": "U(0, 1)",
        "F_nuxbar": "F_nux (1 + c)",
        "F_nuebar": "U(0.6 min(F_nux, F_nuxbar), min(F_nux, F_nuxbar))",
        "F_nue": "U(0.6 F_nuebar, F_nuebar)",
        "alpha": "U(0.01, 2.5)",
        "alpha_x": "U(0.01, 3)",
        "alpha_xbar": "alpha_x (1 + c)",
    },
}


def _cap(flux: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.minimum(flux, FLUX_FACTOR_CAP)


def sample_features(
    scheme: str, n: int, rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    """Draw ``n`` feature vectors of ``scheme``.

    Args:
        scheme: ``"original"``, ``"hierarchical"`` or ``"xln"``.
        n: number of samples.
        rng: NumPy generator (the caller owns seeding).

    Returns:
        feature name -> (n,) array, in :func:`nulearn.flavor.physics.species.feature_names` order.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    if scheme == "original":
        alpha = rng.uniform(0.03, 2.5, n)
        f_nue = _cap(rng.uniform(0.0, 1.0, n))
        f_nuebar = _cap(rng.uniform(0.0, 1.0, n))
        out = {"alpha": alpha, "F_nue": f_nue, "F_nuebar": f_nuebar}
    elif scheme == "hierarchical":
        alpha = rng.uniform(0.03, 2.5, n)
        f_nuebar = _cap(rng.uniform(0.0, 1.0, n))
        f_nue = _cap(f_nuebar * rng.uniform(0.6, 1.0, n))
        out = {"alpha": alpha, "F_nue": f_nue, "F_nuebar": f_nuebar}
    elif scheme == "xln":
        c = rng.uniform(-0.4, 0.4, n)
        f_nux = _cap(rng.uniform(0.0, 1.0, n))
        f_nuxbar = _cap(f_nux * (1.0 + c))
        m = np.minimum(f_nux, f_nuxbar)
        f_nuebar = m * rng.uniform(0.6, 1.0, n)
        f_nue = f_nuebar * rng.uniform(0.6, 1.0, n)
        alpha = rng.uniform(0.01, 2.5, n)
        alpha_x = rng.uniform(0.01, 3.0, n)
        out = {
            "alpha": alpha,
            "alpha_x": alpha_x,
            "alpha_xbar": alpha_x * (1.0 + c),
            "F_nue": f_nue,
            "F_nuebar": f_nuebar,
            "F_nux": f_nux,
            "F_nuxbar": f_nuxbar,
        }
    else:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    return {k: out[k] for k in feature_names(scheme)}
