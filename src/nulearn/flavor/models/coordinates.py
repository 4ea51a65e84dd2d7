"""Physical coordinates for moment features: log density ratios and flux-factor rapidities.

The papers' features (density ratios ``alpha = n_nuebar / n_nue``, ..., and flux factors ``F_s``)
are the natural inputs of a simulation code but poor coordinates for a classifier with few
degrees of freedom:

- a density ratio acts multiplicatively: the lepton-number distribution
  ``G(mu) = f_nue(mu) - alpha f_nuebar(mu)`` changes sign where
  ``log alpha = log f_nue(mu) - log f_nuebar(mu)``, so the crossing boundary is far simpler in
  ``log alpha`` than in ``alpha`` (which the schemes sample over two decades);
- a flux factor saturates at 1, where the angular distributions become forward-peaked and their
  shape parameters diverge (the maximum-entropy ``Z`` grows like ``1 / (1 - F)``); the rapidity
  ``artanh F = 0.5 log((1 + F) / (1 - F))`` is the logarithm of the forward-to-backward
  asymmetry and stretches that region the way the distributions do.

Closure-free moments of the lepton-number distribution complete the picture. With
``G = (f_nue - f_nux) - (f_nuebar - f_nuxbar)`` (arXiv:2310.03807 Eq. 1; no x terms for ELN) and
densities relative to ``n_nue``, its zeroth and first moments are sums of products of the inputs,

    g0 = I_0(G) / n_nue = 1 - alpha - alpha_x + alpha_xbar,
    g1 = I_1(G) / n_nue = F_nue - alpha F_nuebar - alpha_x F_nux + alpha_xbar F_nuxbar,

and a crossing needs G to take both signs, which the sign and ratio of g0 and g1 hint at
(a G of one sign has |g1| <= |g0|).

:class:`PhysicalCoordinates` maps the canonical features ``[ratios (r), F (m)]`` (r, m = 1, 2 for
ELN; 3, 4 for ELN-XLN) to ``[log ratios (r), artanh F (m), F (m), g0, g1, g1 / (|g0| + 0.01)]``
(the flux factors kept as well, since near isotropy the boundary is polynomial in F). A degree-2
polynomial logistic regression in these coordinates comes within about 1 point of the Bayes
ceiling on the ELN schemes, where the same model on the raw features stays 5-8 points below it
(see ``nulearn flavor reproduce``). The map is closed-form arithmetic, so every deployment target
(C, Fortran, ONNX, TorchScript) reproduces it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from nulearn.flavor.physics.species import (
    ELN_FEATURES,
    ELN_SIGN,
    ELN_SPECIES,
    SPECIES,
    XLN_FEATURES,
)
from nulearn.flavor.physics.validity import validate_features

__all__ = [
    "COORDINATES",
    "G_RATIO_SOFTENING",
    "LEPTON_TERMS",
    "PhysicalCoordinates",
    "default_ratio_columns",
    "lepton_number_moments",
    "physical_coordinates",
]

#: Softening of ``g1 / (|g0| + G_RATIO_SOFTENING)``: g0 passes through 0 where the lepton numbers
#: cancel, and the ratio must stay finite there.
G_RATIO_SOFTENING = 0.01

#: Names accepted wherever a model takes ``coordinates``.
COORDINATES: tuple[str, ...] = ("raw", "physical")


def default_ratio_columns(n_features: int) -> int:
    """Leading density-ratio columns of a canonical feature table: 1 of 3 (ELN), 3 of 7 (ELN-XLN)."""
    if n_features == 3:
        return 1
    if n_features == 7:
        return 3
    raise ValueError(
        f"cannot tell density ratios from flux factors in {n_features} feature columns; "
        "pass ratio_columns (canonical tables have 3 = ELN or 7 = ELN-XLN columns)"
    )


_LeptonTerms = tuple[tuple[tuple[float, int], ...], tuple[tuple[float, int, int], ...]]


def _lepton_terms(species: tuple[str, ...]) -> _LeptonTerms:
    """g0 and g1 terms of canonical features ``[ratios of species[1:], F of species]``.

    The weight of each species is its sign in G (:data:`~nulearn.flavor.physics.species.ELN_SIGN`);
    nue is the reference density, so it enters g0 as the constant 1 and g1 as its bare flux factor.
    """
    r = len(species) - 1  # density-ratio columns; flux factors follow at r, r + 1, ...
    g0 = tuple((ELN_SIGN[s], i) for i, s in enumerate(species[1:]))
    g1 = (
        (ELN_SIGN[species[0]], r, -1),
        *((ELN_SIGN[s], i, r + 1 + i) for i, s in enumerate(species[1:])),
    )
    return g0, g1


#: The moments as sums over the canonical features x, keyed by the number of ratio columns
#: (1: ELN, 3: ELN-XLN): ``g0 = 1 + sum s x_i`` over ``(s, i)`` and
#: ``g1 = sum s x_a [x_b]`` over ``(s, a, b)`` (``b = -1``: a single factor), summed left to right.
#: The one definition that the deployment targets (C, Fortran, ONNX, TorchScript) translate:
#: ELN ``g0 = 1 - alpha``, ``g1 = F_nue - alpha F_nuebar``; ELN-XLN as in the module docstring.
LEPTON_TERMS: dict[int, _LeptonTerms] = {
    len(ELN_SPECIES) - 1: _lepton_terms(ELN_SPECIES),
    len(SPECIES) - 1: _lepton_terms(SPECIES),
}


def lepton_number_moments(X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(g0, g1)``, each ``(n,)``: zeroth and first moments of G over n_nue (module docstring).

    Args:
        X: canonical features ``(n, 3)`` (alpha, F_nue, F_nuebar) or ``(n, 7)`` (alpha, alpha_x,
            alpha_xbar, F_nue, F_nuebar, F_nux, F_nuxbar).
    """
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] not in (3, 7):
        raise ValueError(f"need canonical features of shape (n, 3) or (n, 7), got {Xa.shape}")
    g0_terms, g1_terms = LEPTON_TERMS[default_ratio_columns(Xa.shape[1])]
    g0 = np.ones(Xa.shape[0])
    for sign, i in g0_terms:
        g0 = g0 + sign * Xa[:, i]
    g1 = np.zeros(Xa.shape[0])
    for sign, i, j in g1_terms:
        g1 = g1 + sign * (Xa[:, i] if j < 0 else Xa[:, i] * Xa[:, j])
    return g0, g1


def physical_coordinates(X: ArrayLike) -> NDArray[np.float64]:
    """Canonical features ``(n, r + m)`` -> ``(n, r + 2 m + 3)`` physical coordinates.

    Output columns: ``log`` of the r density ratios, ``artanh`` of the m flux factors, the m flux
    factors, g0, g1 and ``g1 / (|g0| + 0.01)`` (module docstring).

    Args:
        X: canonical features ``(n, 3)`` (ELN) or ``(n, 7)`` (ELN-XLN): density ratios (> 0,
            dimensionless) first, then flux factors in [0, 1).

    Raises:
        ValueError: for another width, a non-positive or non-finite ratio, or a flux factor
            outside [0, 1); the message names the feature and the first offending row
            (:func:`nulearn.flavor.physics.validity.validate_features`).
    """
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2:
        raise ValueError(f"need a 2-D feature array, got shape {Xa.shape}")
    r = default_ratio_columns(Xa.shape[1])
    names = ELN_FEATURES if r == 1 else XLN_FEATURES
    validate_features(pd.DataFrame(Xa, columns=list(names), copy=False), names)
    ratios, flux = Xa[:, :r], Xa[:, r:]
    g0, g1 = lepton_number_moments(Xa)
    return np.column_stack(
        [np.log(ratios), np.arctanh(flux), flux, g0, g1, g1 / (np.abs(g0) + G_RATIO_SOFTENING)]
    )


class PhysicalCoordinates(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """scikit-learn transformer of :func:`physical_coordinates` (stateless; ``fit`` checks width).

    Attributes (after ``fit``):
        ratio_columns_: leading density-ratio columns (1 for ELN, 3 for ELN-XLN).
    """

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> PhysicalCoordinates:
        """Record the width (3 or 7 canonical features); nothing is learned."""
        Xa = np.asarray(validate_data(self, X, dtype=np.float64))
        self.ratio_columns_ = default_ratio_columns(Xa.shape[1])
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Features ``(n, r + m)`` -> ``(n, r + 2 m + 3)``."""
        check_is_fitted(self, "ratio_columns_")
        Xa = np.asarray(validate_data(self, X, dtype=np.float64, reset=False))
        return physical_coordinates(Xa)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> NDArray[np.str_]:
        """``log(alpha), ..., artanh(F_nue), ..., F_nue, ..., g0, g1, g1/(|g0|+0.01)``."""
        check_is_fitted(self, "ratio_columns_")
        names = (
            [f"x{i}" for i in range(self.n_features_in_)]
            if input_features is None
            else [str(n) for n in np.asarray(input_features).ravel()]
        )
        r = self.ratio_columns_
        out = [f"log({n})" for n in names[:r]] + [f"artanh({n})" for n in names[r:]] + names[r:]
        out += ["g0", "g1", f"g1/(|g0|+{G_RATIO_SOFTENING})"]
        return np.asarray(out, dtype=object)
