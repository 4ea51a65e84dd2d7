"""The Bayes ceiling: the best score any classifier can reach on a family-mixed dataset.

A classifier sees only the moment features x (density ratios and flux factors). When a dataset
mixes angular families, the same x is labelled by the maximum-entropy closure in some samples and
by the Gaussian one in others, and the two can disagree on whether G(mu) crosses zero. The
features carry no information about the family (the samplers draw x independently of it), so
with family fractions w_k the label of x is Bernoulli with

    P(crossing | x) = sum_k w_k y_k(x),

y_k(x) in {0, 1} being the analytic label under family k (:func:`nulearn.flavor.data.labelling.
label_moments`). The Bayes-optimal classifier predicts the more probable label, so the best
expected accuracy is mean(max(P, 1 - P)) = 1 - D min(w) for two families, D being the fraction
of samples on which the families disagree. The best expected F1 of the crossing class follows
from thresholding P (the F1-optimal rule thresholds the posterior; Lipton et al. 2014,
arXiv:1402.1892), computed from expected counts. This is the "label noise" that
arXiv:2303.05560 Sec. IV and arXiv:2310.03807 Sec. III C name as the main source of error.

On single-family data P is 0 or 1 and the ceiling is 100%.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BayesCeiling",
    "bayes_ceiling",
    "best_expected_accuracy",
    "best_expected_f1",
    "crossing_posterior",
    "family_labels",
    "subsampled_posterior",
]

#: Families whose labels are compared, in the order used for columns and weights.
CEILING_FAMILIES: tuple[str, ...] = ("maxent", "gaussian")


def family_labels(
    features: pd.DataFrame, families: Sequence[str] = CEILING_FAMILIES, n_mu: int | None = None
) -> pd.DataFrame:
    """The analytic crossing label of every sample under each family.

    Args:
        features: the ELN or ELN-XLN feature columns, shape (n_samples, 3 or 7).
        families: family names understood by :func:`nulearn.flavor.data.labelling.label_moments`.
        n_mu: angular grid size (``None``: the labeller's default).

    Returns:
        DataFrame with one int8 column ``crossing_<family>`` per family: 1 crossing, 0 none,
        -1 where the moments are not representable (never counted as a label).
    """
    from nulearn.flavor.data.labelling import label_moments
    from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES, species_for_features

    cols = XLN_FEATURES if len(species_for_features(features.columns)) == 4 else ELN_FEATURES
    table = features.loc[:, list(cols)]
    out = {}
    for fam in families:
        lab = (
            label_moments(table, family=fam)
            if n_mu is None
            else label_moments(table, family=fam, n_mu=n_mu)
        )
        out[f"crossing_{fam}"] = lab["crossing"].to_numpy(dtype=np.int8)
    return pd.DataFrame(out, index=features.index)


def crossing_posterior(labels: ArrayLike, weights: ArrayLike) -> NDArray[np.float64]:
    """P(crossing | moments) = sum_k w_k y_k for labels (n_samples, n_families) and weights (n_families,).

    Samples where some family's label is -1 (not representable) take the weighted mean over the
    families that do label them.
    """
    y = np.asarray(labels)
    w = np.asarray(weights, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != w.size:
        raise ValueError(
            f"labels must have shape (n_samples, {w.size}) to match the weights, got {y.shape}"
        )
    if (w < 0).any() or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"family weights {w.tolist()} must be non-negative and sum to 1")
    valid = y >= 0
    wv = valid * w
    norm = wv.sum(axis=1)
    if (norm == 0).any():
        i = int(np.flatnonzero(norm == 0)[0])
        raise ValueError(f"sample {i} has no valid label under any family with non-zero weight")
    return (wv * np.clip(y, 0, 1)).sum(axis=1) / norm


def best_expected_accuracy(posterior: ArrayLike) -> float:
    """mean(max(P, 1 - P)): the Bayes-optimal accuracy for posteriors P, shape (n_samples,)."""
    p = np.asarray(posterior, dtype=np.float64)
    return float(np.mean(np.maximum(p, 1.0 - p)))


def best_expected_f1(posterior: ArrayLike, positive: bool = True) -> float:
    """Best expected F1 of one class over all thresholds on the posterior.

    With the samples sorted by decreasing P, predicting the top m positive gives expected
    TP = sum of the top-m P, FP = m - TP, FN = sum(P) - TP; F1 = 2 TP / (2 TP + FP + FN). The
    maximum over m is taken at group boundaries of equal P (ties are predicted together).

    Args:
        posterior: P(crossing | x), shape (n_samples,).
        positive: score the crossing class (True) or the no-crossing class (False, using 1 - P).
    """
    p = np.asarray(posterior, dtype=np.float64)
    if not positive:
        p = 1.0 - p
    total = p.sum()
    if total == 0:
        return 0.0
    p_desc = np.sort(p)[::-1]
    # Only cut between distinct posterior values: the Bayes rule cannot split identical x-groups.
    cut = np.flatnonzero(np.diff(p_desc) != 0) + 1
    m = np.concatenate([cut, [p_desc.size]])
    tp = np.cumsum(p_desc)[m - 1]
    f1 = 2 * tp / (m + total)
    return float(f1.max())


@dataclass(frozen=True)
class BayesCeiling:
    """Best achievable scores on one dataset.

    Attributes:
        n_samples: samples the ceiling was computed on.
        family_fractions: mix weights w_k of the families in the dataset.
        disagreement: fraction of samples whose label differs between the families at the same moments.
        accuracy: best expected accuracy.
        f1_crossing: best expected F1 of the crossing class.
        f1_no_crossing: best expected F1 of the no-crossing class.
    """

    n_samples: int
    family_fractions: dict[str, float] = field(default_factory=dict)
    disagreement: float = 0.0
    accuracy: float = 1.0
    f1_crossing: float = 1.0
    f1_no_crossing: float = 1.0

    def to_dict(self) -> dict[str, object]:
        """Plain dict for model cards and tables."""
        return asdict(self)

    def describe(self) -> str:
        """One line for printing beside a score."""
        mix = ", ".join(f"{k} {v:.0%}" for k, v in self.family_fractions.items())
        return (
            f"Bayes ceiling: accuracy {self.accuracy:.2%}, F1(crossing) {self.f1_crossing:.2%} "
            f"(family labels disagree on {self.disagreement:.2%} of {self.n_samples} samples; mix: {mix})"
        )


def bayes_ceiling(
    frame: pd.DataFrame,
    *,
    family_column: str = "family",
    weights: Mapping[str, float] | None = None,
    n_mu: int | None = None,
    subsampled: bool = False,
    label: str = "crossing",
) -> BayesCeiling:
    """Best achievable accuracy and F1 for a labelled dataset with a family mix.

    Args:
        frame: feature columns (ELN or ELN-XLN) and, unless ``weights`` is given, a
            ``family_column`` naming each sample's family; shape (n_samples, ...).
        family_column: column holding ``"maxent"``/``"gaussian"``.
        weights: family fractions to assume instead of the column's empirical ones.
        n_mu: angular grid for relabelling (``None``: the labeller's default).
        subsampled: the rows were subsampled by class to a set unstable fraction
            (``generate(..., unstable_fraction=...)``); the posterior is prior-shifted to the
            observed ``label`` fraction (:func:`subsampled_posterior`).
        label: label column, used when ``subsampled``.

    Returns:
        The :class:`BayesCeiling`; with a single family it is 100% without relabelling.
    """
    n = len(frame)
    if n == 0:
        raise ValueError("cannot compute a Bayes ceiling of an empty dataset (n_samples = 0)")
    if weights is None:
        if family_column not in frame.columns:
            raise ValueError(
                f"dataset has no {family_column!r} column; pass the family weights explicitly"
            )
        counts = frame[family_column].astype(str).value_counts(normalize=True)
        unknown = sorted(set(counts.index) - set(CEILING_FAMILIES))
        if unknown:
            raise ValueError(
                f"family column holds {unknown}; allowed families: {list(CEILING_FAMILIES)}"
            )
        w = {fam: float(counts.get(fam, 0.0)) for fam in CEILING_FAMILIES}
    else:
        w = {fam: float(weights.get(fam, 0.0)) for fam in CEILING_FAMILIES}
        if abs(sum(w.values()) - 1.0) > 1e-9 or min(w.values()) < 0:
            raise ValueError(
                f"family weights {w} must be non-negative, over {list(CEILING_FAMILIES)}, and sum to 1"
            )
    present = {k: v for k, v in w.items() if v > 0}
    if len(present) == 1:
        return BayesCeiling(n_samples=n, family_fractions=present)
    labels = family_labels(frame, CEILING_FAMILIES, n_mu=n_mu).to_numpy()
    both = (labels >= 0).all(axis=1)
    disagreement = float(np.mean(labels[both, 0] != labels[both, 1])) if both.any() else 0.0
    post = crossing_posterior(labels, [w[f] for f in CEILING_FAMILIES])
    if subsampled:
        # Rows were thinned by class (unstable_fraction): the label odds at fixed moments shifted.
        post = subsampled_posterior(post, float(frame[label].mean()))
    return BayesCeiling(
        n_samples=n,
        family_fractions=w,
        disagreement=disagreement,
        accuracy=best_expected_accuracy(post),
        f1_crossing=best_expected_f1(post, positive=True),
        f1_no_crossing=best_expected_f1(post, positive=False),
    )


def subsampled_posterior(
    natural_posterior: ArrayLike, crossing_fraction: float
) -> NDArray[np.float64]:
    """Posterior after class-dependent subsampling (``generate(..., unstable_fraction=f)``).

    Keeping crossing rows with probability a and stable rows with probability b shifts the
    posterior to r p / (r p + 1 - p), r = a / b (a prior shift, as for class weights; Elkan 2001).
    r follows from requiring the mean shifted posterior to equal the observed crossing fraction.

    Args:
        natural_posterior: P(crossing | x) before subsampling, shape (n_samples,).
        crossing_fraction: fraction of crossing rows in the subsampled set, in (0, 1).
    """
    from scipy.optimize import brentq

    p = np.asarray(natural_posterior, dtype=np.float64)
    if not 0.0 < crossing_fraction < 1.0:
        raise ValueError(f"crossing_fraction must be in (0, 1); got {crossing_fraction}")

    def shifted(r: float) -> NDArray[np.float64]:
        return r * p / (r * p + 1.0 - p)

    lo, hi = shifted(1e-9).mean(), shifted(1e9).mean()
    if not lo <= crossing_fraction <= hi:
        raise ValueError(
            f"crossing fraction {crossing_fraction} is not reachable by a prior shift of these posteriors "
            f"(range {lo:.4g}..{hi:.4g})"
        )
    r = float(brentq(lambda r: float(shifted(r).mean()) - crossing_fraction, 1e-9, 1e9))
    return shifted(r)
