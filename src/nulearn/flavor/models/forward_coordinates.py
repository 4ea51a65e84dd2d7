r"""Forward-peak coordinates: the moments of free-streaming neutrinos in the variables that carry them.

Beyond the neutrinospheres every species streams outwards, and at radius ``r`` a neutrino that
left the decoupling region at impact parameter ``b`` travels at ``mu = sqrt(1 - b^2 / r^2)``.
The moments then measure the *image* of the decoupling region, not the angle:

.. math:: 1 - \mu^2 = b^2 / r^2, \qquad 1 - F = \langle 1 - \mu\rangle \approx
          \frac{\langle b^2\rangle}{2 r^2},

so ``F`` differences of 1e-4 between species decide whether nuebar (decoupling deeper, a narrower,
brighter cone) outshine nue along the line of sight. In ``F`` itself these cells are crammed
against 1; in ``log(1 - F)`` they spread out, and ratios that do not change with radius along the
free-streaming part of a ray appear as differences of logs:

* ``log(1 - F_nue) - log(1 - F_nuebar)``: log of the ratio of the two images' mean squared sizes;
* ``log alpha + log(1 - F_nue) - log(1 - F_nuebar)``: log of the ratio of the nuebar to nue
  brightness per solid angle, for uniformly bright spheres (a sharp cone of solid angle
  ``2 pi (1 - mu_c)`` holding ``n`` has brightness ``n / (1 - mu_c)`` and ``1 - F = (1 - mu_c)/2``);
* with ``I_2`` and ``I_3`` (``I_n / I_0``), ``log(1 - I_n) - log(1 - F)``: a shape index of the
  image (for a thin uniform cone it tends to ``log n``), independent of its size.

:class:`ForwardPeakCoordinates` maps canonical ELN features (``alpha, F_nue, F_nuebar``),
optionally followed by ``I2_nue, I2_nuebar[, I3_nue, I3_nuebar]``, to those coordinates plus the
raw features and the lepton-number moments ``g0, g1`` (:func:`nulearn.flavor.models.coordinates.
lepton_number_moments`). Axis-aligned trees are invariant under monotone maps of one feature but
not under these differences, which they cannot form themselves; polynomial models need the logs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from nulearn.flavor.models.coordinates import lepton_number_moments
from nulearn.flavor.physics.species import ELN_FEATURES
from nulearn.flavor.physics.validity import validate_features

__all__ = [
    "ONE_MINUS_FLOOR",
    "ForwardPeakCoordinates",
    "bright_sphere_crossing",
    "forward_peak_coordinates",
]

#: Floor of ``1 - F`` and ``1 - I_n`` inside the logarithms (a delta function has 1 - F = 0).
ONE_MINUS_FLOOR = 1e-12

_WIDTHS = {3: 0, 5: 1, 7: 2}  # canonical ELN columns + 0, 1 or 2 higher moments per species


def forward_peak_coordinates(X: ArrayLike) -> NDArray[np.float64]:
    """ELN features (+ higher moments) ``(n, 3 | 5 | 7)`` -> forward-peak coordinates.

    Args:
        X: columns ``alpha, F_nue, F_nuebar`` (alpha > 0, flux factors in [0, 1)), optionally
            followed by ``I2_nue, I2_nuebar`` and then ``I3_nue, I3_nuebar`` (``I_n / I_0``, in
            [-1, 1]).

    Returns:
        ``(n, 9 + 2 k)`` for k higher moments per species: ``alpha, F_nue, F_nuebar, log alpha,
        log(1 - F_nue), log(1 - F_nuebar), log(1 - F_nue) - log(1 - F_nuebar),
        log alpha + log(1 - F_nue) - log(1 - F_nuebar), g1``, then per higher moment n and
        species s ``log(1 - I_n,s) - log(1 - F_s)``.

    Raises:
        ValueError: for another width, alpha <= 0, a flux factor outside [0, 1) or a higher
            moment outside [-1, 1]; the message names the column and the first offending row.
    """
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] not in _WIDTHS:
        raise ValueError(
            f"need ELN features (n, 3), + I2 (n, 5) or + I2, I3 (n, 7); got shape {Xa.shape}"
        )
    validate_features(pd.DataFrame(Xa[:, :3], columns=list(ELN_FEATURES)), ELN_FEATURES)
    higher = Xa[:, 3:]
    bad = ~(np.abs(higher) <= 1)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"higher moment (column {col + 3}) in row {row} is {higher[row, col]!r}; "
            "it must be in [-1, 1]"
        )
    alpha, f_e, f_eb = Xa[:, 0], Xa[:, 1], Xa[:, 2]
    log_alpha = np.log(alpha)
    l_e = np.log(np.maximum(1.0 - f_e, ONE_MINUS_FLOOR))
    l_eb = np.log(np.maximum(1.0 - f_eb, ONE_MINUS_FLOOR))
    _, g1 = lepton_number_moments(Xa[:, :3])
    cols = [alpha, f_e, f_eb, log_alpha, l_e, l_eb, l_e - l_eb, log_alpha + l_e - l_eb, g1]
    for k in range(_WIDTHS[Xa.shape[1]]):
        for j, l_s in enumerate((l_e, l_eb)):
            moment = Xa[:, 3 + 2 * k + j]
            cols.append(np.log(np.maximum(1.0 - moment, ONE_MINUS_FLOOR)) - l_s)
    return np.column_stack(cols)


class ForwardPeakCoordinates(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """scikit-learn transformer of :func:`forward_peak_coordinates` (stateless)."""

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> ForwardPeakCoordinates:
        """Check the width (3, 5 or 7 columns); nothing is learned."""
        Xa = np.asarray(validate_data(self, X, dtype=np.float64))
        if Xa.shape[1] not in _WIDTHS:
            raise ValueError(f"need 3, 5 or 7 feature columns, got {Xa.shape[1]}")
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Features ``(n, 3 | 5 | 7)`` -> ``(n, 9 | 11 | 13)``."""
        check_is_fitted(self, "n_features_in_")
        Xa = np.asarray(validate_data(self, X, dtype=np.float64, reset=False))
        return forward_peak_coordinates(Xa)


def bright_sphere_crossing(X: ArrayLike) -> NDArray[np.bool_]:
    """ELN crossing if each species were a uniformly bright sphere seen from outside (no halo).

    A sphere of angular radius ``theta_c`` fills ``mu > mu_c = cos theta_c`` with constant
    brightness, so ``1 - F = (1 - mu_c) / 2`` and the brightness is ``n / (1 - mu_c)``. Outside
    both cones G = 0; between them G has the sign of the wider species; inside the narrower one it
    has the sign of the brighter. So G changes sign exactly when the wider cone is the dimmer one.
    This is the closure of the cone picture of the leading question (a forward cone set by the
    decoupling radius); on transport-solved cells it scores no better than predicting "no
    crossing" beyond 100 km (see the study), which is why no such family was added.

    Args:
        X: ELN features ``(n, 3)``: alpha > 0, F_nue and F_nuebar in [0, 1).

    Returns:
        ``(n,)`` bool.
    """
    Z = forward_peak_coordinates(X)
    wider_nue = Z[:, 6]  # log((1 - F_nue) / (1 - F_nuebar)) > 0: the nue cone is wider
    nuebar_brighter = Z[:, 7]  # log of the nuebar / nue brightness ratio
    return np.asarray(
        ((wider_nue > 0) & (nuebar_brighter > 0)) | ((wider_nue < 0) & (nuebar_brighter < 0))
    )
