"""Holdout splits shared by every pillar: shuffled, stratified, and by group.

A split here is a pair of index arrays (:class:`Holdout`), so one function serves maps, images,
feature tables and tensors alike: index whatever holds the samples with ``train`` and ``val``.
Every split is a pure function of its seed.

* :func:`shuffled_holdout`: the first ``n_val`` entries of a seeded permutation are held out
  (early stopping of the networks, where the classes are balanced by construction);
* :func:`stratified_holdout`: scikit-learn's stratified shuffle split, which keeps the class
  fractions of an imbalanced sample in both parts;
* :func:`group_holdout`: whole groups (simulation profiles, snapshots, detector runs) go to one
  side only, so that correlated samples never straddle the split;
* :func:`stratified_folds`: k stratified folds, each sample held out exactly once (out-of-fold
  predictions on small samples).

>>> h = shuffled_holdout(10, holdout_count(10, 0.2), seed=0)
>>> len(h.train), len(h.val), sorted({*h.train, *h.val}) == list(range(10))
(8, 2, True)
>>> h = group_holdout(["a", "a", "b", "b", "c", "c"], train_fraction=0.5, seed=0)
>>> len(h.train) + len(h.val), len(h.train) % 2
(6, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Holdout",
    "group_holdout",
    "holdout_count",
    "shuffled_holdout",
    "stratified_folds",
    "stratified_holdout",
]


@dataclass(frozen=True)
class Holdout:
    """Indices of the training and the held-out samples.

    Attributes:
        train: training indices, shape ``(n_train,)``.
        val: held-out indices, shape ``(n_val,)``.
    """

    train: NDArray[np.int64]
    val: NDArray[np.int64]


def holdout_count(n_samples: int, fraction: float) -> int:
    """Number of held-out samples: ``round(fraction * n_samples)``, at least 1 and leaving at least
    one sample to train on.

    >>> holdout_count(100, 0.15), holdout_count(3, 0.01), holdout_count(4, 0.99)
    (15, 1, 3)
    """
    if n_samples < 2:
        raise ValueError(f"need at least 2 samples to hold some out, got {n_samples}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"held-out fraction = {fraction!r}; allowed range (0, 1)")
    return int(min(max(1, round(fraction * n_samples)), n_samples - 1))


def shuffled_holdout(n_samples: int, n_val: int, seed: int) -> Holdout:
    """Hold out the first ``n_val`` entries of the permutation of ``range(n_samples)`` drawn by
    ``numpy.random.default_rng(seed)``; the rest, in permuted order, train.

    Args:
        n_samples: number of samples.
        n_val: held-out samples, in [0, n_samples].
        seed: seed of the permutation.
    """
    if not 0 <= n_val <= n_samples:
        raise ValueError(f"n_val = {n_val} outside [0, {n_samples}]")
    order = np.random.default_rng(seed).permutation(n_samples)
    return Holdout(train=order[n_val:], val=order[:n_val])


def stratified_holdout(
    labels: ArrayLike, fraction: float, seed: int, *, stratify: bool | None = None
) -> Holdout:
    """scikit-learn's ``train_test_split`` of ``range(n)`` with the class fractions of ``labels``
    kept on both sides.

    Args:
        labels: class labels, shape ``(n,)``.
        fraction: share held out, in (0, 1).
        seed: ``random_state`` of the split.
        stratify: ``True`` always stratifies (a class with one sample raises scikit-learn's
            error), ``False`` never does, ``None`` stratifies when every present class has at
            least two samples and the held-out part can hold one of each.

    >>> h = stratified_holdout([0] * 8 + [1] * 2, 0.5, seed=0)
    >>> sorted(np.asarray([0] * 8 + [1] * 2)[h.val].tolist())
    [0, 0, 0, 0, 1]
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(labels).reshape(-1)
    if stratify is None:
        _, counts = np.unique(y, return_counts=True)
        stratify = bool(
            counts.size and counts.min() >= 2 and round(fraction * y.size) >= counts.size
        )
    train, val = train_test_split(
        np.arange(y.size), test_size=fraction, random_state=seed, stratify=y if stratify else None
    )
    return Holdout(train=np.asarray(train, np.int64), val=np.asarray(val, np.int64))


def group_holdout(groups: ArrayLike, train_fraction: float, seed: int) -> Holdout:
    """Split samples by group: ``round(train_fraction * n_groups)`` groups (at least one, and at
    least one left over) drawn with ``numpy.random.default_rng(seed)`` train, the others are held
    out; a group is never on both sides.

    Args:
        groups: group id of every sample, shape ``(n,)`` (e.g. the simulation profile).
        train_fraction: share of the groups that train, in (0, 1).
        seed: seed of the draw.

    Returns:
        Indices in sample order on each side.
    """
    g = np.asarray(groups).reshape(-1)
    ids = np.unique(g)
    if ids.size < 2:
        raise ValueError(f"need >= 2 groups to split by group, got {ids.size}")
    n_train = int(np.clip(round(train_fraction * ids.size), 1, ids.size - 1))
    train_ids = np.random.default_rng(seed).permutation(ids)[:n_train]
    in_train = np.isin(g, train_ids)
    return Holdout(train=np.flatnonzero(in_train), val=np.flatnonzero(~in_train))


def stratified_folds(labels: ArrayLike, n_folds: int, seed: int) -> list[Holdout]:
    """scikit-learn's shuffled ``StratifiedKFold``: ``n_folds`` holdouts whose held-out parts
    partition the samples, each keeping the class fractions of ``labels`` ``(n,)``.

    Examples:
        >>> [len(h.val) for h in stratified_folds([0, 1] * 6, 3, seed=0)]
        [4, 4, 4]
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels).reshape(-1)
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [
        Holdout(train=np.asarray(tr, np.int64), val=np.asarray(va, np.int64))
        for tr, va in folds.split(np.zeros(y.size), y)
    ]
