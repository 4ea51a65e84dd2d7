"""Classifiers that read angular-moment features and predict an ELN(-XLN) crossing.

Every model is a scikit-learn estimator (``fit``, ``predict``, ``predict_proba``, ``get_params``),
so it drops into a ``Pipeline``, ``GridSearchCV`` or ``cross_val_score``. The configurations follow
arXiv:2303.05560 and arXiv:2310.03807 Sec. III:

- ``lr``: logistic regression on polynomial features of degree n (the papers' n = 2 or 9),
  standardized before and after the expansion so that lbfgs converges at any degree;
- ``knn``: k nearest neighbours, k = 3, distance weights, on the raw features;
- ``svm``: RBF kernel K = exp(-gamma |x - x'|^2) with gamma = 100 on the raw features
  (arXiv:2310.03807 Sec. III); exact (libsvm) up to ``exact_max_samples`` and a Nystroem kernel
  approximation plus a linear hinge-loss model beyond, so that a million samples trains in minutes;
- ``tree``: a fully grown decision tree;
- ``gbt``: LightGBM gradient-boosted trees on the features plus the ELN number and flux
  (:class:`ELNMomentFeatures`), with early stopping on an internal validation split;
- ``mlp``: the PyTorch MLP of :mod:`nulearn.flavor.models.mlp.classifier` with a small default configuration.

``build_model(name, degree=..., config=...)`` returns an unfitted estimator; ``config`` (a YAML
file or a mapping) overrides hyperparameters by their scikit-learn names, e.g. ``{"C": 10}`` for
``svm`` or ``{"logreg__C": 0.1}`` for ``lr``; for ``mlp`` it is an ``MLPConfig`` YAML file.
"""

from __future__ import annotations

import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted, validate_data

from nulearn.flavor.models.coordinates import (
    COORDINATES,
    G_RATIO_SOFTENING,
    PhysicalCoordinates,
    lepton_number_moments,
)
from nulearn.ml.calibration import TemperatureScaling, sigmoid

__all__ = ["BoostedTreesClassifier", "ELNMomentFeatures", "RBFSVMClassifier", "polynomial_logistic_regression"]


def polynomial_logistic_regression(
    degree: int = 2,
    C: float = 1.0,
    max_iter: int = 3000,
    random_state: int = 0,
    coordinates: str = "raw",
) -> Pipeline:
    """Logistic regression on standardized polynomial features (arXiv:2303.05560 Sec. III).

    The inputs are standardized, expanded to every monomial up to ``degree`` (no bias column;
    arXiv:2310.03807 footnote 3) and standardized again: without the second scaling, high-degree
    monomials of features in [0, 3] span many decades and lbfgs stalls.

    Args:
        degree: polynomial degree n >= 1.
        C: inverse L2 regularisation strength.
        max_iter: lbfgs iterations.
        random_state: seed (lbfgs is deterministic; kept for a uniform interface).
        coordinates: ``"raw"`` (the papers' features) or ``"physical"`` (log density ratios and
            flux-factor rapidities first, :class:`~nulearn.flavor.models.coordinates.PhysicalCoordinates`).

    Returns:
        An unfitted ``Pipeline`` with steps ``coords`` (physical coordinates only), ``scale``,
        ``poly``, ``standardize``, ``logreg``.
    """
    if int(degree) < 1:
        raise ValueError(f"polynomial degree = {degree} is not allowed; it must be an integer >= 1")
    if coordinates not in COORDINATES:
        raise ValueError(f"coordinates = {coordinates!r}; allowed: {', '.join(COORDINATES)}")
    # Raw pipelines keep the papers' four steps (and skl2onnx accepts no "passthrough" step).
    coords = [("coords", PhysicalCoordinates())] if coordinates == "physical" else []
    return Pipeline(
        [
            *coords,
            ("scale", StandardScaler()),
            ("poly", PolynomialFeatures(degree=int(degree), include_bias=False)),
            ("standardize", StandardScaler()),
            ("logreg", LogisticRegression(C=C, max_iter=max_iter, random_state=random_state)),
        ]
    )


class RBFSVMClassifier(ClassifierMixin, BaseEstimator):
    """Support-vector machine with an RBF kernel, exact or kernel-approximated by training size.

    Up to ``exact_max_samples`` training samples this is libsvm's ``SVC`` (O(n^2) memory and
    time). Beyond, the kernel is replaced by a Nystroem feature map with ``n_components``
    landmarks (Williams & Seeger 2001) and a linear hinge-loss model trained by SGD over chunks,
    which approximates the same maximum-margin classifier in O(n n_components) time.

    Probabilities come from a zero-offset Platt scaling p = sigmoid(d / T) of the decision
    function d, with T fitted on training decision values (:class:`~nulearn.ml.calibration.
    TemperatureScaling`). It keeps ``predict == (p >= 0.5)`` and the ranking of d (hence every
    ROC/PR curve); the probabilities themselves are somewhat over-confident, as training-set
    decision values are.

    Args:
        gamma: RBF kernel width parameter, in inverse squared feature units (papers: 100).
        C: soft-margin penalty.
        exact_max_samples: largest training set solved exactly.
        n_components: Nystroem landmarks for larger sets.
        n_epochs: SGD passes over the data in the approximate mode.
        chunk_size: samples per Nystroem transform / SGD step block.
        cache_size: libsvm kernel cache in MB.
        random_state: seed for landmarks, shuffling and SGD.
    """

    def __init__(
        self,
        gamma: float = 100.0,
        C: float = 1.0,
        exact_max_samples: int = 50_000,
        n_components: int = 600,
        n_epochs: int = 8,
        chunk_size: int = 50_000,
        cache_size: float = 500.0,
        random_state: int = 0,
    ) -> None:
        self.gamma = gamma
        self.C = C
        self.exact_max_samples = exact_max_samples
        self.n_components = n_components
        self.n_epochs = n_epochs
        self.chunk_size = chunk_size
        self.cache_size = cache_size
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike) -> RBFSVMClassifier:
        """Fit on features (n_samples, n_features) and binary labels (n_samples,)."""
        Xa, ya = validate_data(self, X, y, dtype=np.float64)
        X_arr: NDArray[np.float64] = np.asarray(Xa, dtype=np.float64)
        self.classes_, y_idx = np.unique(ya, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError(
                f"RBFSVMClassifier is binary; y has {self.classes_.size} classes {self.classes_.tolist()}"
            )
        n = X_arr.shape[0]
        rng = np.random.default_rng(self.random_state)
        if n <= self.exact_max_samples:
            self.mode_ = "exact"
            self.svc_ = SVC(kernel="rbf", gamma=self.gamma, C=self.C, cache_size=self.cache_size)
            self.svc_.fit(X_arr, y_idx)
            calib = rng.choice(n, size=min(n, 20_000), replace=False)
        else:
            self.mode_ = "nystroem"
            landmarks = rng.choice(
                n, size=min(n, max(self.n_components * 20, 20_000)), replace=False
            )
            self.feature_map_ = Nystroem(
                kernel="rbf",
                gamma=self.gamma,
                n_components=self.n_components,
                random_state=self.random_state,
            ).fit(X_arr[landmarks])
            # SVC minimises C sum(hinge) + |w|^2 / 2; SGD minimises mean(hinge) + alpha |w|^2 / 2.
            self.linear_ = SGDClassifier(
                loss="hinge", alpha=1.0 / (self.C * n), average=True, random_state=self.random_state
            )
            # Keep the feature-mapped data in float32 when it fits in ~2 GB, else recompute per epoch.
            cache = n * self.n_components * 4 <= 2 * 1024**3
            blocks = [
                np.arange(i, min(i + self.chunk_size, n)) for i in range(0, n, self.chunk_size)
            ]
            mapped = [self._map(X_arr[b]) for b in blocks] if cache else None
            for _ in range(self.n_epochs):
                for j in rng.permutation(len(blocks)):
                    Z = mapped[j] if mapped is not None else self._map(X_arr[blocks[j]])
                    self.linear_.partial_fit(Z, y_idx[blocks[j]], classes=np.array([0, 1]))
            calib = rng.choice(n, size=min(n, 20_000), replace=False)
        d = self.decision_function(X_arr[calib])
        self.calibrator_ = TemperatureScaling().fit(sigmoid(d), y_idx[calib])
        return self

    def _map(self, X: NDArray[np.float64]) -> NDArray[np.float32]:
        return np.asarray(self.feature_map_.transform(X), dtype=np.float32)

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Signed distance-like score, shape (n_samples,); positive means ``classes_[1]``."""
        check_is_fitted(self, "mode_")
        Xv: NDArray[np.float64] = np.asarray(validate_data(self, X, dtype=np.float64, reset=False))
        if self.mode_ == "exact":
            return np.asarray(self.svc_.decision_function(Xv), dtype=np.float64)
        out = np.empty(Xv.shape[0], dtype=np.float64)
        for i in range(0, Xv.shape[0], self.chunk_size):
            out[i : i + self.chunk_size] = self.linear_.decision_function(
                self._map(Xv[i : i + self.chunk_size])
            )
        return out

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Class probabilities, shape (n_samples, 2)."""
        p1 = self.calibrator_.transform(sigmoid(self.decision_function(X)))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Labels, shape (n_samples,): ``classes_[1]`` where the decision function is >= 0."""
        return np.asarray(self.classes_[(self.decision_function(X) >= 0).astype(np.intp)])


class ELNMomentFeatures(TransformerMixin, BaseEstimator):
    """Append the angular moments of the lepton-number distribution G(mu), optionally a closure's G.

    For features in canonical order (:data:`~nulearn.flavor.physics.species.ELN_FEATURES`, 3 columns, or
    :data:`~nulearn.flavor.physics.species.XLN_FEATURES`, 7 columns), with G = (f_nue - f_nux) -
    (f_nuebar - f_nuxbar) (arXiv:2310.03807 Eq. 1) and densities relative to n_nue, the zeroth and
    first moments are closure-free sums of the inputs:

        g0 = I_0(G) / n_nue = 1 - alpha - alpha_x + alpha_xbar,
        g1 = I_1(G) / n_nue = F_nue - alpha F_nuebar - alpha_x F_nux + alpha_xbar F_nuxbar

    (x terms absent for ELN). A crossing needs G to take both signs, which the sign and ratio of
    g0 and g1 hint at; axis-aligned trees cannot form these products themselves. Output columns:
    the inputs, g0, g1, g1 / (|g0| + 0.01), log(alpha).

    With ``closure`` (e.g. ``"maxent"``) it also appends G(mu_k) / sum_s f_s(mu_k) at ``n_points``
    evenly spaced mu_k in [-1, 1], each species reconstructed under that closure
    (:mod:`nulearn.flavor.physics.families`). These are physics-informed features: on data labelled by
    that closure they nearly decide the label (for the ELN maxent case the signs at mu = +-1 do),
    so a model reading them measures how far the *other* closures' labels can be learned.

    Args:
        closure: family name for the reconstructed-G features, or ``None`` (closure-free).
        n_points: number of mu_k (>= 2).
    """

    def __init__(self, closure: str | None = None, n_points: int = 5) -> None:
        self.closure = closure
        self.n_points = n_points

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> ELNMomentFeatures:
        """Check the width (3 or 7 features) and the closure name; nothing is learned."""
        Xa = np.asarray(validate_data(self, X, dtype=np.float64))
        if Xa.shape[1] not in (3, 7):
            raise ValueError(
                f"ELNMomentFeatures needs 3 (ELN) or 7 (ELN-XLN) feature columns, got {Xa.shape[1]}"
            )
        if self.closure is not None:
            from nulearn.flavor.physics.families import get_family

            get_family(self.closure)
            if self.n_points < 2:
                raise ValueError(f"n_points = {self.n_points} is too small; it must be >= 2")
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Features (n_samples, 3 or 7) -> (n_samples, n_features + 4 [+ n_points])."""
        check_is_fitted(self, "n_features_in_")
        Xa: NDArray[np.float64] = np.asarray(validate_data(self, X, dtype=np.float64, reset=False))
        ones = np.ones(Xa.shape[0])
        g0, g1 = lepton_number_moments(Xa)
        if Xa.shape[1] == 3:
            alpha, f_e, f_eb = Xa.T
            species = [(ones, f_e, 1.0), (alpha, f_eb, -1.0)]
        else:
            alpha, a_x, a_xb, f_e, f_eb, f_x, f_xb = Xa.T
            species = [(ones, f_e, 1.0), (alpha, f_eb, -1.0), (a_x, f_x, -1.0), (a_xb, f_xb, 1.0)]
        log_alpha = np.log(np.maximum(alpha, 1e-300))
        cols = [Xa, g0, g1, g1 / (np.abs(g0) + G_RATIO_SOFTENING), log_alpha]
        if self.closure is not None:
            from nulearn.flavor.physics.families import get_family

            fam = get_family(self.closure)
            mu = np.linspace(-1.0, 1.0, self.n_points)
            f = [fam.distribution(n, np.minimum(flux, 0.999), mu) for n, flux, _ in species]
            g = sum(sign * fs for (_, _, sign), fs in zip(species, f, strict=True))
            cols.append(np.asarray(g) / np.maximum(sum(f), 1e-300))
        return np.column_stack(cols)


class BoostedTreesClassifier(ClassifierMixin, BaseEstimator):
    """LightGBM gradient-boosted trees with early stopping on an internal validation split.

    ``validation_fraction`` of the training data (stratified) is held out to choose the number of
    boosting rounds (stop after ``early_stopping_rounds`` without a lower log-loss); the test set
    is never seen. With ``moment_features`` the inputs pass through :class:`ELNMomentFeatures`.

    Args:
        learning_rate, num_leaves, min_child_samples, subsample: LightGBM tree parameters.
        max_rounds: upper bound on boosting rounds.
        early_stopping_rounds: patience in rounds.
        validation_fraction: held-out share of the training data, in (0, 1).
        moment_features: append the ELN moments g0, g1 (needs canonical 3 or 7 feature columns).
        closure_features: also append G(mu) reconstructed under this closure (e.g. ``"maxent"``;
            implies ``moment_features``); see :class:`ELNMomentFeatures`.
        n_jobs: LightGBM threads (1 is deterministic and avoids oversubscription).
        random_state: seed.
    """

    def __init__(
        self,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        max_rounds: int = 3000,
        early_stopping_rounds: int = 100,
        validation_fraction: float = 0.1,
        moment_features: bool = True,
        closure_features: str | None = None,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.moment_features = moment_features
        self.closure_features = closure_features
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _inputs(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.features_.transform(X) if self._uses_features() else X

    def _uses_features(self) -> bool:
        return bool(self.moment_features or self.closure_features)

    def fit(self, X: ArrayLike, y: ArrayLike) -> BoostedTreesClassifier:
        """Fit on features (n_samples, n_features) and binary labels (n_samples,)."""
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction = {self.validation_fraction} is outside the allowed range (0, 1)"
            )
        Xa, ya = validate_data(self, X, y, dtype=np.float64)
        X_arr: NDArray[np.float64] = np.asarray(Xa, dtype=np.float64)
        self.classes_, y_idx = np.unique(ya, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError(
                f"BoostedTreesClassifier is binary; y has {self.classes_.size} classes"
            )
        if self._uses_features():
            self.features_ = ELNMomentFeatures(closure=self.closure_features).fit(X_arr)
        Z = self._inputs(X_arr)
        strat = y_idx if np.bincount(y_idx).min() >= 2 else None
        Z_tr, Z_val, y_tr, y_val = train_test_split(
            Z,
            y_idx,
            test_size=self.validation_fraction,
            random_state=self.random_state,
            stratify=strat,
        )
        self.booster_ = lgb.LGBMClassifier(
            n_estimators=self.max_rounds,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1.0 else 0,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            deterministic=True,
            verbose=-1,
        )
        with warnings.catch_warnings():
            # LightGBM >= 4.6 prefers eval_X/eval_y; eval_set works on every 4.x we support.
            warnings.filterwarnings("ignore", message=".*eval_set.*", category=Warning)
            self.booster_.fit(
                Z_tr,
                y_tr,
                eval_set=[(Z_val, y_val)],
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
        self.n_rounds_ = int(self.booster_.best_iteration_ or self.max_rounds)
        return self

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Class probabilities, shape (n_samples, 2)."""
        check_is_fitted(self, "booster_")
        Xv: NDArray[np.float64] = np.asarray(validate_data(self, X, dtype=np.float64, reset=False))
        return np.asarray(self.booster_.predict_proba(self._inputs(Xv)), dtype=np.float64)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Labels, shape (n_samples,): ``classes_[1]`` where P >= 0.5."""
        return np.asarray(self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(np.intp)])


