"""A deployable model as a flat list of array operations (the common input of every code generator).

A :class:`DeployPlan` says, for one trained classifier, how to go from raw moments of one cell
to its probability of an ELN crossing and its flag:

1. features from raw moments (:mod:`nulearn.flavor.deploy.raw_moments`; 1D or 3D moments) and
   the validity check;
2. ``stages``: :class:`Coordinates` (the physical coordinates of
   :mod:`nulearn.flavor.models.coordinates`: log density ratios, flux-factor rapidities, flux factors
   and the lepton-number moments g0, g1), :class:`~nulearn.flavor.deploy.moment_features.MomentFeatures`
   (the lepton-number and maximum-entropy closure features of the boosted trees),
   :class:`Standardize` (``(x - mean) / scale``), :class:`Polynomial` (monomials
   ``prod_i x_i^p_i`` in scikit-learn's ``PolynomialFeatures.powers_`` order),
   :class:`RBFKernel` (``exp(-gamma |x - c_j|^2)`` for centres ``c_j``: support vectors or Nystroem
   landmarks), :class:`RoundToFloat32`, :class:`Dense` (``W x + b``, optional ReLU) and
   :class:`~nulearn.flavor.deploy.trees.TreeEnsemble` (a sum of decision trees), ending in one
   output ``z``;
3. the calibrator: ``sigmoid(z)``, temperature ``sigmoid(z / T)``, Platt ``sigmoid(a z + b)``,
   an isotonic map of ``sigmoid(z)`` (piecewise linear with clipping), or ``identity`` (``z``
   is the probability itself, as the leaf class fractions of a decision tree);
4. ``flag = 1`` if ``p > threshold`` (``>=`` when ``threshold_inclusive``), else ``0``;
   invalid cells get ``p = NaN`` and ``flag = -1``;
5. optionally (``domain``, a :class:`FeatureDomain`), valid cells whose features leave the
   training domain keep their probability and get ``domain.flag`` instead of 0/1.

:func:`evaluate_plan` runs a plan in NumPy; the C and Fortran generators emit the same
operations.  Plans are built from fitted models by :mod:`nulearn.flavor.deploy.extract`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.moment_features import MomentFeatures, moment_features
from nulearn.flavor.deploy.raw_moments import features_from_raw, raw_moment_names
from nulearn.flavor.deploy.trees import TreeEnsemble, tree_ensemble_output
from nulearn.ml.domain import DOMAIN_FLAG

__all__ = [
    "DOMAIN_FLAG",
    "INVALID_FLAG",
    "Calibration",
    "Coordinates",
    "Dense",
    "DeployPlan",
    "FeatureDomain",
    "MomentFeatures",
    "Polynomial",
    "RBFKernel",
    "RoundToFloat32",
    "Stage",
    "Standardize",
    "TreeEnsemble",
    "evaluate_plan",
    "run_stages",
    "sigmoid",
]

#: flag written for cells whose moments fail the validity check (never a 0/1 label)
INVALID_FLAG = -1


@dataclass(frozen=True)
class Coordinates:
    """Physical coordinates (:func:`nulearn.flavor.models.coordinates.physical_coordinates`).

    With ``r = ratio_columns`` leading density ratios of ``n_in = k`` inputs ``x``::

        [log x_0 .. log x_{r-1}, artanh x_r .. artanh x_{k-1}, x_r .. x_{k-1}]
        (+ [g0, g1, g1 / (|g0| + softening)] when lepton-number terms are given)

    where ``g0 = 1 +- x_i +- ...`` (``g0_terms``: ``(sign, i)``) and ``g1 = +- x_a [x_b] +- ...``
    (``g1_terms``: ``(sign, a, b)``, ``b = -1`` for a single factor), both summed left to right
    as :func:`nulearn.flavor.models.coordinates.lepton_number_moments` writes them.
    """

    ratio_columns: int
    n_in: int
    g0_terms: tuple[tuple[float, int], ...] = ()
    g1_terms: tuple[tuple[float, int, int], ...] = ()
    softening: float = 0.01

    def __post_init__(self) -> None:
        if not 0 <= self.ratio_columns <= self.n_in:
            raise ValueError(
                f"ratio_columns = {self.ratio_columns} must lie in [0, n_in = {self.n_in}]"
            )
        if bool(self.g0_terms) != bool(self.g1_terms):
            raise ValueError("lepton-number terms need both g0_terms and g1_terms")

    @property
    def lepton_terms(self) -> bool:
        """Whether g0, g1 and their softened ratio are appended."""
        return bool(self.g0_terms)

    @property
    def n_out(self) -> int:
        return 2 * self.n_in - self.ratio_columns + (3 if self.lepton_terms else 0)


@dataclass(frozen=True)
class Standardize:
    """``x -> (x - mean) / scale`` elementwise; arrays of shape ``(n_in,)``."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    @property
    def n_out(self) -> int:
        return int(self.mean.size)


@dataclass(frozen=True)
class Polynomial:
    """Monomials ``t_j = prod_i x_i ** powers[j, i]``; ``powers`` of shape ``(n_out, n_in)``."""

    powers: NDArray[np.int64]

    @property
    def n_out(self) -> int:
        return int(self.powers.shape[0])


@dataclass(frozen=True)
class Dense:
    """``y = W x + b`` (then ReLU if ``relu``); ``weight (n_out, n_in)``, ``bias (n_out,)``."""

    weight: NDArray[np.float64]
    bias: NDArray[np.float64]
    relu: bool = False

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True)
class RBFKernel:
    """``k_j = exp(-gamma * sum_i (x_i - c_ji)^2)`` for centres ``c`` of shape ``(n_out, n_in)``."""

    centers: NDArray[np.float64]
    gamma: float

    @property
    def n_out(self) -> int:
        return int(self.centers.shape[0])


@dataclass(frozen=True)
class RoundToFloat32:
    """Round every value to the nearest float32 (where the Python model stores a float32 array)."""

    width: int

    @property
    def n_out(self) -> int:
        return self.width


Stage = (
    Coordinates
    | MomentFeatures
    | Standardize
    | Polynomial
    | RBFKernel
    | RoundToFloat32
    | Dense
    | TreeEnsemble
)


@dataclass(frozen=True)
class FeatureDomain:
    """Training domain of the model features (:class:`nulearn.ml.domain.TrainingDomain`).

    Inside means ``lower <= x <= upper`` per feature and, when a density model is present, a
    density score of the standardized features ``z = (x - center) / scale`` of at least
    ``log_density_threshold``: the log-density of the most likely component of a diagonal
    Gaussian mixture,

    .. math:: s(x) = \\max_k \\Big[c_k - \\tfrac12 \\sum_j (z_j - m_{kj})^2 / v_{kj}\\Big],
              \\quad c_k = \\log w_k - \\tfrac12 \\sum_j \\log(2\\pi v_{kj}).

    A valid cell outside it keeps its probability and gets ``flag`` (a value other than -1, 0
    and 1; :data:`DOMAIN_FLAG` when built from a model card), so that a code can tell an
    extrapolation from a prediction.

    Attributes:
        lower, upper: per-feature bounds, ``(n_features,)``.
        flag: the flag of a valid cell outside the domain.
        center, scale: standardization of the density model, ``(n_features,)`` (empty: no density).
        log_norm: ``c_k``, ``(n_components,)``.
        means, inv_variances: ``m_kj`` and ``1 / v_kj``, ``(n_components, n_features)``.
        log_density_threshold: the density threshold.
    """

    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    flag: int
    center: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    scale: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    log_norm: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    means: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    inv_variances: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    log_density_threshold: float = -np.inf

    def __post_init__(self) -> None:
        if self.flag in (INVALID_FLAG, 0, 1) or not -128 <= self.flag <= 127:
            raise ValueError(f"domain flag {self.flag} must be an int8 other than -1, 0 and 1")
        if self.lower.shape != self.upper.shape:
            raise ValueError("domain bounds differ in shape")
        if self.has_density and not (
            self.center.shape == self.scale.shape == self.lower.shape
            and self.means.shape
            == self.inv_variances.shape
            == (self.log_norm.size, self.lower.size)
        ):
            raise ValueError("domain density model has inconsistent shapes")

    @property
    def has_density(self) -> bool:
        """Whether the domain has a density model besides the per-feature bounds."""
        return self.log_norm.size > 0

    @classmethod
    def from_training(cls, domain: Any, flag: int) -> FeatureDomain:
        """From a :class:`nulearn.ml.domain.TrainingDomain` (per-feature ranges and density)."""
        var = np.asarray(domain.variances, dtype=np.float64)
        log_norm = np.log(np.asarray(domain.weights)) - 0.5 * np.log(2.0 * np.pi * var).sum(axis=1)
        return cls(
            lower=np.asarray(domain.lower, dtype=np.float64),
            upper=np.asarray(domain.upper, dtype=np.float64),
            flag=flag,
            center=np.asarray(domain.center, dtype=np.float64),
            scale=np.asarray(domain.scale, dtype=np.float64),
            log_norm=log_norm,
            means=np.asarray(domain.means, dtype=np.float64),
            inv_variances=1.0 / var,
            log_density_threshold=float(domain.log_density_threshold),
        )

    def log_density(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Density score ``s(x)`` of each row of ``x (n, n_features)``, shape ``(n,)``."""
        z = (x - self.center) / self.scale
        quad = (((z[:, None, :] - self.means[None]) ** 2) * self.inv_variances[None]).sum(axis=2)
        return (self.log_norm[None, :] - 0.5 * quad).max(axis=1)

    def contains(self, x: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether each row of ``x (n, n_features)`` lies inside, shape ``(n,)``."""
        inside = np.all((x >= self.lower) & (x <= self.upper), axis=1)
        if self.has_density and inside.any():
            inside[inside] = self.log_density(x[inside]) >= self.log_density_threshold
        return inside


@dataclass(frozen=True)
class Calibration:
    """Map from the raw logit ``z`` to a calibrated probability.

    ``kind``: ``"none"`` (``sigmoid(z)``), ``"temperature"`` (``sigmoid(z / temperature)``,
    Guo et al. 2017), ``"platt"`` (``sigmoid(a z + b)``) or ``"isotonic"`` (piecewise-linear
    interpolation of ``sigmoid(z)`` through the knots ``(x, y)``, clipped at the ends, as
    scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``). For temperature and Platt
    scaling the logit is first clipped to ``[logit_min, logit_max]``.
    """

    kind: Literal["none", "temperature", "platt", "isotonic", "identity"] = "none"
    temperature: float = 1.0
    a: float = 1.0
    b: float = 0.0
    x: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    y: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    logit_min: float = -np.inf
    logit_max: float = np.inf

    def apply(self, logit: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probability for logits of shape ``(n,)``."""
        if self.kind == "none":
            return sigmoid(logit)
        if self.kind == "temperature":
            return sigmoid(np.clip(logit, self.logit_min, self.logit_max) / self.temperature)
        if self.kind == "platt":
            return sigmoid(self.a * np.clip(logit, self.logit_min, self.logit_max) + self.b)
        if self.kind == "identity":
            return np.asarray(logit, dtype=np.float64)
        return np.interp(sigmoid(logit), self.x, self.y)


def sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic function ``1 / (1 + exp(-z))``, overflow-free."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64))))


@dataclass(frozen=True)
class DeployPlan:
    """Everything a generated kernel needs, in plain arrays (see the module docstring).

    Attributes:
        name: C identifier used for the generated function (``nulearn_<name>``).
        kind: ``"poly_lr"``, ``"mlp"``, ``"gbt"``, ``"svm"``, ``"tree"`` (documentation only;
            the stages say it all).
        scheme: training scheme (``original``, ``hierarchical``, ``xln``).
        feature_names: model features in the model's order.
        stages: operations from features to one logit.
        calibration: logit -> probability.
        threshold: operating point on the calibrated probability.
        threshold_inclusive: ``p >= threshold`` instead of ``p > threshold``.
        card_hash: hash of the model card the plan came from (provenance).
        domain: training domain of the features, or ``None`` (no check).
    """

    name: str
    kind: str
    scheme: str
    feature_names: tuple[str, ...]
    stages: tuple[Stage, ...]
    calibration: Calibration = field(default_factory=Calibration)
    threshold: float = 0.5
    threshold_inclusive: bool = False
    card_hash: str = ""
    domain: FeatureDomain | None = None

    @property
    def raw_names(self) -> tuple[str, ...]:
        """Raw moment inputs of the generated function, in argument order."""
        return raw_moment_names(self.feature_names)

    @property
    def n_multiply_adds(self) -> int:
        """Multiply-adds (tree ensembles: node visits, mean over leaves) per cell in the stages
        (a cost figure for in-situ use)."""
        total = 0
        for stage in self.stages:
            if isinstance(stage, Dense):
                total += stage.weight.size
            elif isinstance(stage, Polynomial):
                total += int(stage.powers.sum())
            elif isinstance(stage, RBFKernel):
                total += 2 * stage.centers.size
            elif isinstance(stage, TreeEnsemble):
                depths = stage.depths()
                total += round(float(depths.mean()) * stage.n_trees) if depths.size else 0
            else:
                total += stage.n_out
        return total

    def digest(self) -> str:
        """Stable hash of every number in the plan (names generated code and kernel caches)."""
        h = hashlib.sha256()
        head = {
            "name": self.name,
            "feature_names": self.feature_names,
            "calibration": self.calibration.kind,
            "threshold": float(self.threshold).hex(),
            "inclusive": self.threshold_inclusive,
        }
        h.update(json.dumps(head, sort_keys=True).encode())
        for stage in self.stages:
            h.update(type(stage).__name__.encode())
            for value in vars(stage).values():
                h.update(np.ascontiguousarray(value).tobytes())
        cal = self.calibration
        for value in (cal.temperature, cal.a, cal.b, cal.x, cal.y, cal.logit_min, cal.logit_max):
            h.update(np.ascontiguousarray(value, dtype=np.float64).tobytes())
        if self.domain is not None:
            for value in vars(self.domain).values():
                h.update(np.ascontiguousarray(value).tobytes())
        return h.hexdigest()[:16]


def _coordinates(stage: Coordinates, x: NDArray[np.float64]) -> NDArray[np.float64]:
    r = stage.ratio_columns
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cols = [np.log(x[:, :r]), np.arctanh(x[:, r:]), x[:, r:]]
        if stage.lepton_terms:
            g0 = np.ones(x.shape[0])
            for sign, i in stage.g0_terms:
                g0 = g0 + x[:, i] if sign > 0 else g0 - x[:, i]
            g1 = np.zeros(x.shape[0])
            for sign, a, b in stage.g1_terms:
                term = x[:, a] if b < 0 else x[:, a] * x[:, b]
                g1 = g1 + term if sign > 0 else g1 - term
            cols.append(np.stack([g0, g1, g1 / (np.abs(g0) + stage.softening)], axis=1))
        return np.concatenate(cols, axis=1)


def run_stages(stages: tuple[Stage, ...], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Run plan stages in NumPy on features ``(n, n_features)``; returns ``(n, n_out)``."""
    h = x
    for stage in stages:
        if isinstance(stage, Coordinates):
            h = _coordinates(stage, h)
        elif isinstance(stage, Standardize):
            h = (h - stage.mean) / stage.scale
        elif isinstance(stage, Polynomial):
            h = np.stack(
                [np.prod(h ** row[None, :], axis=1) for row in stage.powers.astype(np.float64)],
                axis=1,
            )
        elif isinstance(stage, MomentFeatures):
            h = moment_features(stage, h)
        elif isinstance(stage, RBFKernel):
            d2 = np.zeros((h.shape[0], stage.n_out))
            for i in range(h.shape[1]):  # sum of squared differences, feature by feature
                diff = h[:, i : i + 1] - stage.centers[None, :, i]
                d2 = d2 + diff * diff
            h = np.exp(-stage.gamma * d2)
        elif isinstance(stage, RoundToFloat32):
            h = h.astype(np.float32).astype(np.float64)
        elif isinstance(stage, TreeEnsemble):
            h = tree_ensemble_output(stage, h)[:, None]
        else:
            h = h @ stage.weight.T + stage.bias
            if stage.relu:
                h = np.maximum(h, 0.0)
    return h


def evaluate_plan(
    plan: DeployPlan, moments: Mapping[str, NDArray[np.floating]]
) -> tuple[NDArray[np.float64], NDArray[np.int8], NDArray[np.bool_]]:
    """Run a plan in NumPy on raw moments of shape ``(n_cells,)`` (1D or 3D, see ``plan.raw_names``).

    Returns:
        ``(p_crossing, flag, valid)`` of shape ``(n_cells,)``: calibrated probability (NaN for
        invalid cells), flag in {-1, 0, 1} (or ``plan.domain.flag``), validity mask.
    """
    x, valid = features_from_raw(moments, plan.feature_names)
    p = np.full(x.shape[0], np.nan)
    if valid.any():
        z = run_stages(plan.stages, x[valid])
        p[valid] = plan.calibration.apply(z[:, 0])
    flag = np.full(x.shape[0], INVALID_FLAG, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        above = p >= plan.threshold if plan.threshold_inclusive else p > plan.threshold
    flag[valid] = above[valid].astype(np.int8)
    if plan.domain is not None:
        outside = valid.copy()
        outside[valid] = ~plan.domain.contains(x[valid])
        flag[outside] = plan.domain.flag
    return p, flag, valid
