r"""The training domain of a model: where its predictions are interpolations, not guesses.

A classifier trained on flux factors up to 0.99 and density ratios up to 2.5 still returns a
number for a density ratio of 40, or of 1e30 after a unit mix-up; nothing in that number says it
is an extrapolation. :class:`TrainingDomain` records, at training time,

1. the per-feature range of the training features, widened by ``margin`` (2%) of its width on
   each side (the largest of n uniform draws falls short of the true bound by about 1/n of the
   width, so a new row drawn like the training rows would otherwise fall outside some range
   with probability ~2 d / n), and
2. a density score: the log-density of the most likely component of a diagonal Gaussian mixture
   fitted to the standardized training features (the mixture's log-density up to at most
   log K; a max of quadratic forms, so the generated C vectorizes it), with a threshold at its
   ``quantile`` (default 0.1%) over out-of-fold scores (two mixtures, each fitted on half of the
   rows, score the other half; the quantile of rows a mixture was fitted on would be biased
   high), the mixture itself then fitted on every row,

and calls a row *inside* when every feature lies in its range and the density score is at least
the threshold. By construction about ``quantile`` of rows drawn like the training data fall
outside on density alone, so a much larger outside fraction means the input is not what the model
was trained on. Everything is closed-form arithmetic, so the generated C, Fortran, ONNX and
TorchScript code evaluate the same check.

.. math:: s(x) = \max_k \Big[\log w_k - \tfrac12 \sum_j
          \Big(\log(2\pi v_{kj}) + \frac{(z_j - m_{kj})^2}{v_{kj}}\Big)\Big],
          \qquad z_j = (x_j - c_j) / s_j.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(0.0, 1.0, size=(4000, 2))
>>> dom = TrainingDomain.fit(X, ("a", "b"), seed=0)
>>> dom.inside(np.array([[0.5, 0.5], [3.0, 0.5], [1e30, 0.1]])).tolist()
[True, False, False]
>>> fresh = rng.uniform(0.0, 1.0, size=(20000, 2))  # drawn like the training rows
>>> float(1.0 - dom.inside(fresh).mean()) < 0.005
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DEFAULT_WARN_FRACTION", "DOMAIN_FLAG", "DomainReport", "TrainingDomain"]

FloatArray = NDArray[np.float64]

#: Flag of a valid row or cell outside the training domain, wherever flags are written
#: (1 crossing, 0 none, -1 invalid input, 2 outside: the probability is kept but is an
#: extrapolation).
DOMAIN_FLAG = 2

#: Warn when more than this fraction of rows lies outside the training domain (10x the density
#: threshold's own false-outside rate at the default quantile).
DEFAULT_WARN_FRACTION = 0.01


def _scores(gmm: Any, z: FloatArray) -> FloatArray:
    """Max-component log-density of standardized rows ``z`` under a fitted scikit-learn mixture."""
    var = gmm.covariances_
    log_norm = np.log(gmm.weights_) - 0.5 * np.log(2.0 * np.pi * var).sum(axis=1)
    quad = (((z[:, None, :] - gmm.means_[None]) ** 2) / var[None]).sum(axis=2)
    return np.asarray((log_norm[None, :] - 0.5 * quad).max(axis=1))


@dataclass(frozen=True)
class DomainReport:
    """Outcome of a domain check over a table.

    Attributes:
        inside: (n_rows,) bool, True where the row lies in the training domain.
        fraction_outside: share of rows outside, in [0, 1].
        first_outside: position of the first row outside (None if none).
        reason: why that row is outside, e.g. ``"alpha = 40.2 above the training maximum 2.5"``.
    """

    inside: NDArray[np.bool_]
    fraction_outside: float
    first_outside: int | None
    reason: str

    def warning(self, source: str, threshold: float = DEFAULT_WARN_FRACTION) -> str | None:
        """A one-line warning when more than ``threshold`` of rows are outside, else None."""
        if self.first_outside is None or self.fraction_outside <= threshold:
            return None
        return (
            f"{source}: {100 * self.fraction_outside:.2f}% of rows lie outside the model's training "
            f"domain (first: row {self.first_outside}, {self.reason}); their predictions are "
            "extrapolations"
        )


@dataclass(frozen=True)
class TrainingDomain:
    """Per-feature ranges plus a Gaussian-mixture density threshold (see the module docstring).

    Attributes:
        feature_names: features in model order.
        lower, upper: per-feature training range.
        center, scale: standardization of the density model, ``z = (x - center) / scale``.
        weights: mixture weights, (k,).
        means, variances: (k, d) component means and diagonal variances in standardized units.
        log_density_threshold: rows whose log-density is below this are outside.
        quantile: training share below the threshold (the expected false-outside rate).
    """

    feature_names: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    means: tuple[tuple[float, ...], ...]
    variances: tuple[tuple[float, ...], ...]
    log_density_threshold: float
    quantile: float

    @classmethod
    def fit(
        cls,
        X: ArrayLike,
        feature_names: Sequence[str],
        *,
        n_components: int = 8,
        quantile: float = 1e-3,
        seed: int = 0,
        max_rows: int = 200_000,
        margin: float = 0.02,
    ) -> TrainingDomain:
        """Fit the domain on training features ``X`` of shape (n_rows, n_features).

        The ranges use every row (widened by ``margin`` of their width). The threshold is the
        ``quantile`` of out-of-fold scores (two seeded halves, with at least 200 rows), the
        mixture is fitted on at most ``max_rows`` rows (a seeded subsample).
        """
        from sklearn.mixture import GaussianMixture

        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(feature_names) or x.shape[0] < 2:
            raise ValueError(
                f"training features have shape {x.shape}; expected (n_rows >= 2, {len(feature_names)})"
            )
        if not np.isfinite(x).all():
            raise ValueError("training features must be finite to define a training domain")
        if not 0.0 < quantile < 0.5:
            raise ValueError(f"quantile = {quantile}; must be in (0, 0.5)")
        center = x.mean(axis=0)
        scale = x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        z = (x - center) / scale
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(z))[: 2 * max_rows]
        k = max(1, min(n_components, len(order) // 40))

        def mixture(rows: NDArray[np.int64]) -> GaussianMixture:
            gmm = GaussianMixture(k, covariance_type="diag", random_state=seed, reg_covar=1e-6)
            return gmm.fit(z[rows[:max_rows]])

        gmm = mixture(order)
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = margin * (hi - lo)
        dom = cls(
            feature_names=tuple(str(f) for f in feature_names),
            lower=tuple(float(v) for v in lo - pad),
            upper=tuple(float(v) for v in hi + pad),
            center=tuple(float(v) for v in center),
            scale=tuple(float(v) for v in scale),
            weights=tuple(float(v) for v in gmm.weights_),
            means=tuple(tuple(float(v) for v in row) for row in gmm.means_),
            variances=tuple(tuple(float(v) for v in row) for row in gmm.covariances_),
            log_density_threshold=-math.inf,
            quantile=float(quantile),
        )
        if len(order) >= 200:
            halves = np.array_split(order, 2)
            scores = np.concatenate(
                [_scores(mixture(halves[1 - i]), z[halves[i]]) for i in range(2)]
            )
        else:
            scores = _scores(gmm, z)
        threshold = float(np.quantile(scores, quantile))
        return cls(**{**asdict(dom), "log_density_threshold": threshold})

    # -- evaluation --------------------------------------------------------------------------
    def _matrix(self, X: ArrayLike) -> FloatArray:
        x = np.asarray(X, dtype=np.float64)
        if x.ndim == 1:
            x = x[None, :]
        if x.shape[1] != len(self.feature_names):
            raise ValueError(
                f"domain check needs {len(self.feature_names)} features {list(self.feature_names)}, got {x.shape[1]}"
            )
        return x

    def log_density(self, X: ArrayLike) -> FloatArray:
        """Density score ``s(x)`` of each row (module docstring), shape (n_rows,); -inf if not finite."""
        x = self._matrix(X)
        z = (x - np.asarray(self.center)) / np.asarray(self.scale)
        means = np.asarray(self.means)
        var = np.asarray(self.variances)
        log_norm = np.log(np.asarray(self.weights)) - 0.5 * np.log(2.0 * np.pi * var).sum(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            quad = (((z[:, None, :] - means[None]) ** 2) / var[None]).sum(axis=2)
            out = (log_norm[None, :] - 0.5 * quad).max(axis=1)
        return np.where(np.isfinite(out), out, -np.inf)

    def in_range(self, X: ArrayLike) -> NDArray[np.bool_]:
        """True where every feature lies in its training range (NaN counts as outside)."""
        x = self._matrix(X)
        return np.all((x >= np.asarray(self.lower)) & (x <= np.asarray(self.upper)), axis=1)

    def inside(self, X: ArrayLike) -> NDArray[np.bool_]:
        """True where the row is in range and its density score reaches the threshold, (n_rows,)."""
        return self.in_range(X) & (self.log_density(X) >= self.log_density_threshold)

    def check(self, X: ArrayLike) -> DomainReport:
        """:class:`DomainReport` for the rows of ``X`` (row positions as in ``X``)."""
        x = self._matrix(X)
        inside = self.inside(x)
        outside = np.flatnonzero(~inside)
        if outside.size == 0:
            return DomainReport(inside, 0.0, None, "")
        i = int(outside[0])
        return DomainReport(inside, float(outside.size / len(x)), i, self.explain(x[i]))

    def explain(self, row: ArrayLike) -> str:
        """Why one row is outside: the first feature out of range, else the density score."""
        r = np.asarray(row, dtype=np.float64).reshape(-1)
        for name, value, lo, hi in zip(self.feature_names, r, self.lower, self.upper, strict=True):
            if not value >= lo:
                return f"{name} = {value:.6g} below the training minimum {lo:.6g}"
            if not value <= hi:
                return f"{name} = {value:.6g} above the training maximum {hi:.6g}"
        score = float(self.log_density(r[None, :])[0])
        return (
            f"every feature in range, but the feature combination is rarer than any "
            f"{100 * (1 - self.quantile):.1f}% of training rows (log-density {score:.3g} < "
            f"{self.log_density_threshold:.3g})"
        )

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data for a model card (lists of floats)."""
        out = asdict(self)
        out["feature_names"] = list(self.feature_names)
        out["means"] = [list(m) for m in self.means]
        out["variances"] = [list(v) for v in self.variances]
        for key in ("lower", "upper", "center", "scale", "weights"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingDomain:
        """Inverse of :meth:`to_dict`; a malformed record is one ValueError."""
        try:
            dom = cls(
                feature_names=tuple(str(f) for f in data["feature_names"]),
                lower=tuple(float(v) for v in data["lower"]),
                upper=tuple(float(v) for v in data["upper"]),
                center=tuple(float(v) for v in data["center"]),
                scale=tuple(float(v) for v in data["scale"]),
                weights=tuple(float(v) for v in data["weights"]),
                means=tuple(tuple(float(v) for v in m) for m in data["means"]),
                variances=tuple(tuple(float(v) for v in m) for m in data["variances"]),
                log_density_threshold=float(data["log_density_threshold"]),
                quantile=float(data["quantile"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed training domain record ({err})") from None
        d = len(dom.feature_names)
        k = len(dom.weights)
        shapes_ok = (
            all(len(t) == d for t in (dom.lower, dom.upper, dom.center, dom.scale))
            and len(dom.means) == k
            and len(dom.variances) == k
            and all(len(m) == d for m in dom.means + dom.variances)
        )
        if not shapes_ok or k == 0:
            raise ValueError("malformed training domain record (inconsistent shapes)")
        return dom
