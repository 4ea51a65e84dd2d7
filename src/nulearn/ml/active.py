"""Active learning for regression with an expensive oracle: bootstrap-ensemble acquisition.

When every label costs a simulation, the labels should go where the model is least sure. The loop
(:func:`learning_curve`):

1. label an initial random design from a candidate pool;
2. fit a surrogate, a :class:`BootstrapEnsemble` (members fitted on bootstrap resamples of the
   labelled rows; their spread estimates the epistemic uncertainty, Efron 1979; Breiman 1996);
3. score the surrogate on a fixed held-out set (never used for fitting or selection);
4. pick ``batch`` unlabelled candidates where the members disagree (``"active"``: the ensemble
   variance summed over the targets, each scaled by its variance over the labelled rows, "query
   by committee", Seung et al. 1992; Krogh & Vedelsby 1995; drawn with probability proportional
   to it, power acquisition, Kirsch et al. 2023, arXiv:2106.12059, because the top ``batch``
   scores pile into one region: ``"greedy"`` takes them and loses to random selection on the
   test problem of ``tests/ml/test_active.py``), or ``batch`` candidates at random (``"random"``,
   the control with the same initial design, budget and seeds); label them with one call of the
   oracle (which may run them in parallel), and go back to 2 until the budget is spent.

The oracle is any function from pool indices to target rows, so the same loop serves every
pillar; :func:`compare_strategies` runs both strategies over several seeds.

>>> rng = np.random.default_rng(0)
>>> pool = rng.uniform(-1, 1, (400, 2))
>>> oracle = lambda idx: np.c_[np.sin(3 * pool[idx, 0]) * (pool[idx, 1] > 0)]
>>> test = rng.uniform(-1, 1, (200, 2))
>>> truth = np.c_[np.sin(3 * test[:, 0]) * (test[:, 1] > 0)]
>>> curve = learning_curve(pool, oracle, test, truth, initial=20, batch=20, budget=60, seed=0)
>>> curve["n_labels"].tolist()
[20, 40, 60]
>>> bool(curve["error"].iloc[-1] < curve["error"].iloc[0])
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.ml.progress import Progress, no_progress

__all__ = ["STRATEGIES", "BootstrapEnsemble", "compare_strategies", "learning_curve", "select"]

FloatArray = NDArray[np.float64]
#: Selection strategies of :func:`select`.
STRATEGIES: tuple[str, ...] = ("active", "random", "greedy")
#: The oracle: pool indices (k,) -> targets (k, n_targets).
Oracle = Callable[[NDArray[np.int64]], ArrayLike]


def _default_member(seed: int) -> Any:
    from sklearn.ensemble import ExtraTreesRegressor

    # small randomized trees: cheap to refit every round, multi-output, and their bootstrap
    # spread follows the data density (wide where few labels are)
    return ExtraTreesRegressor(n_estimators=25, min_samples_leaf=2, random_state=seed, n_jobs=1)


class BootstrapEnsemble:
    """Members of one regressor family, each fitted on a bootstrap resample of the rows.

    Args:
        n_members: ensemble size (>= 2).
        make_member: ``seed -> unfitted regressor`` with scikit-learn's ``fit``/``predict``
            (multi-output); default: 25 extremely randomized trees.
        seed: seed of the resamples and members.

    >>> x = np.linspace(0, 1, 50)[:, None]
    >>> ens = BootstrapEnsemble(4, seed=0).fit(x, np.c_[x[:, 0] ** 2])
    >>> mean, var = ens.predict(np.array([[0.5], [3.0]]))
    >>> mean.shape, var.shape, bool(abs(mean[0, 0] - 0.25) < 0.05)
    ((2, 1), (2, 1), True)
    """

    def __init__(
        self,
        n_members: int = 8,
        make_member: Callable[[int], Any] | None = None,
        seed: int = 0,
    ) -> None:
        if n_members < 2:
            raise ValueError(f"n_members = {n_members}; an ensemble needs at least 2")
        self.n_members = n_members
        self.make_member = make_member or _default_member
        self.seed = seed
        self.members: list[Any] = []

    def fit(self, x: ArrayLike, y: ArrayLike) -> BootstrapEnsemble:
        """Fit every member on a bootstrap resample; x (n, d), y (n, n_targets)."""
        xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        rng = np.random.default_rng(self.seed)
        target = ya[:, 0] if ya.ndim == 2 and ya.shape[1] == 1 else ya  # sklearn wants 1-D then
        self.members = []
        for m in range(self.n_members):
            rows = rng.integers(0, len(xa), len(xa))
            self.members.append(self.make_member(self.seed * 1000 + m).fit(xa[rows], target[rows]))
        return self

    def predict(self, x: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(mean, variance) over the members, each of shape (n, n_targets)."""
        if not self.members:
            raise RuntimeError("BootstrapEnsemble.predict before fit")
        xa = np.asarray(x, dtype=np.float64)
        stack = np.stack([np.asarray(m.predict(xa)).reshape(len(xa), -1) for m in self.members])
        return stack.mean(axis=0), stack.var(axis=0, ddof=1)


def select(
    strategy: str,
    variance: FloatArray | None,
    available: NDArray[np.bool_],
    k: int,
    rng: np.random.Generator,
    scale: FloatArray | None = None,
) -> NDArray[np.int64]:
    """Indices of the next ``k`` candidates to label.

    Args:
        strategy: ``"active"`` (drawn with probability proportional to the summed variance,
            power acquisition, Kirsch et al. 2023, TMLR, arXiv:2106.12059), ``"greedy"`` (the
            ``k`` largest summed variances) or ``"random"``.
        variance: ensemble variance over the pool, (n_pool, n_targets) (``"active"`` only).
        available: candidates not yet labelled, (n_pool,).
        k: how many to pick (fewer if fewer are available).
        rng: random generator of ``"random"``.
        scale: per-target variance of the labels, (n_targets,), so that every target counts
            alike (default: 1).
    """
    free = np.flatnonzero(available)
    k = min(k, free.size)
    if strategy == "random":
        return np.sort(rng.choice(free, size=k, replace=False)).astype(np.int64)
    if strategy not in ("active", "greedy"):
        raise ValueError(f"unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    if variance is None:
        raise ValueError(f"strategy {strategy!r} needs the ensemble variance")
    norm = np.ones(variance.shape[1]) if scale is None else np.maximum(scale, 1e-300)
    score = (variance[free] / norm).sum(axis=1)
    if strategy == "greedy" or not (score > 0).sum() >= k:
        return np.sort(free[np.argsort(-score, kind="stable")[:k]]).astype(np.int64)
    # power acquisition: draw without replacement with probability proportional to the score, so
    # that a batch spreads over every uncertain region instead of piling into the top one
    return np.sort(rng.choice(free, size=k, replace=False, p=score / score.sum())).astype(np.int64)


def learning_curve(
    pool: ArrayLike,
    oracle: Oracle,
    test_x: ArrayLike,
    test_y: ArrayLike,
    *,
    initial: int,
    batch: int,
    budget: int,
    strategy: str = "active",
    seed: int = 0,
    n_members: int = 8,
    make_member: Callable[[int], Any] | None = None,
    on_round: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Error on a held-out set against the number of oracle calls, for one strategy and seed.

    Args:
        pool: candidate inputs, (n_pool, d).
        oracle: pool indices -> targets (k, n_targets); called once per round.
        test_x, test_y: held-out inputs (n_test, d) and targets (n_test, n_targets).
        initial: random labels before the first fit (the same for every strategy at one seed).
        batch: labels per round.
        budget: total labels (initial included).
        strategy: ``"active"`` or ``"random"``.
        seed: seed of the initial design, the random picks and the ensemble.
        n_members: ensemble size.
        make_member: see :class:`BootstrapEnsemble`.
        on_round: called with (labels so far, budget) after each round.

    Returns:
        One row per fit: ``n_labels``, ``error`` (mean over targets of the mean absolute error),
        ``error_<j>`` per target j, ``mean_variance`` (ensemble variance over the test set).
    """
    x = np.asarray(pool, dtype=np.float64)
    tx, ty = np.asarray(test_x, dtype=np.float64), np.asarray(test_y, dtype=np.float64)
    if ty.ndim == 1:
        ty = ty[:, None]
    if not 2 <= initial <= budget <= len(x) or batch < 1:
        raise ValueError(
            f"need 2 <= initial ({initial}) <= budget ({budget}) <= pool ({len(x)}) and batch >= 1"
        )
    rng = np.random.default_rng(seed)
    labelled = np.sort(rng.choice(len(x), size=initial, replace=False)).astype(np.int64)
    y = np.asarray(oracle(labelled), dtype=np.float64).reshape(initial, -1)
    rows: list[dict[str, float]] = []
    pick_rng = np.random.default_rng([seed, 1])
    while True:
        ens = BootstrapEnsemble(n_members, make_member, seed).fit(x[labelled], y)
        mean, var = ens.predict(tx)
        err = np.abs(mean - ty).mean(axis=0)
        rows.append(
            {
                "n_labels": len(labelled),
                "error": float(err.mean()),
                **{f"error_{j}": float(e) for j, e in enumerate(err)},
                "mean_variance": float(var.mean()),
            }
        )
        if on_round is not None:
            on_round(len(labelled), budget)
        if len(labelled) >= budget:
            break
        available = np.ones(len(x), dtype=bool)
        available[labelled] = False
        pool_var = ens.predict(x)[1] if strategy != "random" else None
        new = select(
            strategy,
            pool_var,
            available,
            min(batch, budget - len(labelled)),
            pick_rng,
            scale=y.var(axis=0),
        )
        y_new = np.asarray(oracle(new), dtype=np.float64).reshape(len(new), -1)
        labelled = np.concatenate([labelled, new])
        y = np.concatenate([y, y_new])
    return pd.DataFrame(rows)


def compare_strategies(
    pool: ArrayLike,
    oracle: Oracle,
    test_x: ArrayLike,
    test_y: ArrayLike,
    *,
    initial: int,
    batch: int,
    budget: int,
    seeds: Sequence[int] = (0, 1, 2),
    strategies: Sequence[str] = ("active", "random"),
    n_members: int = 8,
    make_member: Callable[[int], Any] | None = None,
    progress: Progress = no_progress,
) -> pd.DataFrame:
    """:func:`learning_curve` for every strategy and seed, stacked with ``strategy`` and ``seed``.

    ``progress`` counts labels over all runs.
    """
    advance = progress("active learning", len(seeds) * len(strategies) * budget)
    frames = []
    for seed in seeds:
        for strategy in strategies:

            def step(n: int, _: int, done: list[int] = [0]) -> None:  # noqa: B006 - per run
                advance(n - done[0])
                done[0] = n

            curve = learning_curve(
                pool,
                oracle,
                test_x,
                test_y,
                initial=initial,
                batch=batch,
                budget=budget,
                strategy=strategy,
                seed=seed,
                n_members=n_members,
                make_member=make_member,
                on_round=step,
            )
            frames.append(curve.assign(strategy=strategy, seed=seed))
    return pd.concat(frames, ignore_index=True)
