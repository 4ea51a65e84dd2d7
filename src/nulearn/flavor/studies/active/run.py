"""Active against random selection of fast-flavor solver runs: ``nulearn flavor active``.

A surrogate of the solver maps the seven ELN-XLN moment features of a configuration with a
crossing to its asymptotic state (:data:`TARGETS`: the nu_e and anti-nu_e densities after
conversion, in units of the initial n_nue, and the four flux factors after conversion). It is a
:class:`~nulearn.ml.active.BootstrapEnsemble` refitted after every batch of solver runs;
``active`` labels the pool candidates where its members disagree most, ``random`` labels random
ones with the same initial design, budget and seeds (:func:`~nulearn.ml.active.compare_strategies`).
The error is the mean absolute error on a held-out set of solver runs drawn independently of the
pool (another generation seed), never used for fitting or selection.

Pool and held-out set: ``xln``-scheme samples with a crossing (:func:`~nulearn.flavor.data.generate
.generate` with ``unstable_fraction=1``; configurations without one keep their moments exactly and
need no solver). The solver runs at ``solver`` resolution (:class:`ActiveConfig`).

>>> cfg = ActiveConfig.smoke()
>>> cfg.budget, cfg.solver.n_mu
(16, 8)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nulearn.flavor.data.generate import generate
from nulearn.flavor.physics.fast_flavor import EvolveConfig
from nulearn.flavor.physics.species import XLN_FEATURES
from nulearn.flavor.studies.active.solver import SolverCache
from nulearn.ml.active import compare_strategies
from nulearn.ml.io import atomic_output, check_output
from nulearn.ml.progress import Progress, no_progress
from nulearn.ml.report import Report, pyplot

__all__ = [
    "STUDY_SOLVER",
    "TARGETS",
    "ActiveConfig",
    "ActiveResult",
    "run_active_study",
    "summarize",
]

#: Asymptotic quantities the surrogate learns (densities in units of the initial n_nue).
TARGETS: tuple[str, ...] = (
    "n_nue_after",
    "n_nuebar_after",
    "F_nue_after",
    "F_nuebar_after",
    "F_nux_after",
    "F_nuxbar_after",
)
#: Solver resolution of the study (about 8x cheaper than the default :class:`EvolveConfig`).
STUDY_SOLVER = EvolveConfig(n_mu=16, n_z=64, dt=0.2, t_max=1000.0)
#: Entries of the output folder.
_OUTPUTS = ("report.md", "report.html", "figures", "curves.csv", "summary.csv")


@dataclass(frozen=True)
class ActiveConfig:
    """Sizes of an active-learning study.

    Attributes:
        budget: solver runs per strategy and seed (initial design included).
        batch: solver runs per round.
        initial: random runs before the first fit.
        pool: candidate configurations (with a crossing).
        test: held-out solver runs scoring every fit.
        seeds: repetitions (initial design, random picks, ensemble).
        n_members: bootstrap members of the surrogate.
        family: angular family closing the moments.
        data_seed: generation seed of the pool (the held-out set uses ``data_seed + 1``).
        solver: solver resolution (default: :class:`EvolveConfig` with 16 beams, 64 grid points,
            dt = 0.2 and runs capped at 1000, about 8x cheaper than the default resolution: the
            comparison of strategies needs one consistent solver, not the converged one).
    """

    budget: int = 400
    batch: int = 25
    initial: int = 25
    pool: int = 20000
    test: int = 200
    seeds: tuple[int, ...] = (0, 1, 2)
    n_members: int = 8
    family: str = "maxent"
    data_seed: int = 0
    solver: EvolveConfig = STUDY_SOLVER

    def __post_init__(self) -> None:
        if not 2 <= self.initial <= self.budget <= self.pool:
            raise ValueError(
                f"need 2 <= initial ({self.initial}) <= budget ({self.budget}) <= pool "
                f"({self.pool})"
            )
        for name in ("batch", "test", "n_members"):
            if getattr(self, name) < (2 if name == "n_members" else 1):
                raise ValueError(f"{name} = {getattr(self, name)} is too small")
        if not self.seeds:
            raise ValueError("seeds: at least one seed is needed")

    @classmethod
    def smoke(cls) -> ActiveConfig:
        """Seconds-sized study (tests, ``--smoke``)."""
        solver = EvolveConfig(
            n_mu=8, n_z=32, box_length=40.0, t_relax=40.0, relax_growth_times=10.0, t_max=200.0,
            dt=0.2,
        )  # fmt: skip
        return cls(budget=16, batch=4, initial=8, pool=200, test=12, seeds=(0,), n_members=3,
                   solver=solver)  # fmt: skip


@dataclass(frozen=True)
class ActiveResult:
    """What :func:`run_active_study` found.

    Attributes:
        curves: one row per (strategy, seed, fit): ``n_labels``, ``error`` (mean over
            :data:`TARGETS` of the held-out MAE) and ``error_<target>``.
        summary: :func:`summarize`.
        runs_to_match: solver runs active selection needs for its mean error to reach random
            selection's mean error at the full budget (NaN if it never does).
        n_solver_runs: solver runs made by this call (the rest came from the cache).
        seconds: wall time.
        report: path of ``report.md`` (``None`` without an output folder).
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    runs_to_match: float
    n_solver_runs: int
    seconds: float
    report: Path | None


def _features(n: int, seed: int) -> pd.DataFrame:
    frame = generate("xln", "maxent", n, seed, unstable_fraction=1.0)
    return frame[list(XLN_FEATURES)].reset_index(drop=True)


def summarize(curves: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Mean and spread over seeds of the error per strategy and budget, and the runs active
    selection needs to reach random selection's final mean error.

    Returns:
        (table with ``n_labels``, ``<strategy>_mean``, ``<strategy>_std``, ``<strategy>_min``,
        ``<strategy>_max``, and ``ratio`` = active / random mean; runs to match).
    """
    stats = curves.groupby(["strategy", "n_labels"])["error"].agg(["mean", "std", "min", "max"])
    table = pd.DataFrame(stats.unstack("strategy"))
    table.columns = pd.Index([f"{pair[1]}_{pair[0]}" for pair in table.columns.to_list()])
    table = table.reset_index()
    if {"active_mean", "random_mean"} <= set(table.columns):
        table["ratio"] = table["active_mean"] / table["random_mean"]
        final = float(table["random_mean"].iloc[-1])
        reached = table.loc[table["active_mean"] <= final, "n_labels"]
        runs = float(reached.iloc[0]) if len(reached) else float("nan")
    else:
        runs = float("nan")
    return table, runs


def _figure(curves: pd.DataFrame) -> object:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    for strategy, color in (("random", "tab:gray"), ("active", "tab:red")):
        part = curves[curves["strategy"] == strategy]
        if part.empty:
            continue
        g = part.groupby("n_labels")["error"]
        mean, lo, hi = g.mean(), g.min(), g.max()
        n_seeds = part["seed"].nunique()
        ax.plot(mean.index, mean, "-o", ms=3, color=color, label=f"{strategy} ({n_seeds} seeds)")
        ax.fill_between(mean.index, lo, hi, color=color, alpha=0.2, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("solver runs")
    ax.set_ylabel("held-out mean absolute error")
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False)
    return fig


def run_active_study(
    config: ActiveConfig | None = None,
    out: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    n_jobs: int | None = None,
    progress: Progress = no_progress,
) -> ActiveResult:
    """Learning curves of active and random selection, and (with ``out``) their report.

    Args:
        config: study sizes (default :class:`ActiveConfig`).
        out: folder for ``report.md`` / ``report.html``, ``figures/error_vs_runs.png``,
            ``curves.csv`` and ``summary.csv`` (checked before any work; ``None``: nothing written).
        cache_dir: folder remembering solver results across calls (``None``: memory only).
        n_jobs: solver processes (default: every core).
        progress: counts the held-out solves, then the labels of all runs.

    Returns:
        :class:`ActiveResult`.
    """
    cfg = config or ActiveConfig()
    out_dir = (
        check_output(out, directory=True, what="--out", replaceable=_OUTPUTS)
        if out is not None
        else None
    )
    if cache_dir is not None:
        check_output(cache_dir, directory=True, what="--cache")
    t0 = time.perf_counter()
    pool = _features(cfg.pool, cfg.data_seed)
    test = _features(cfg.test, cfg.data_seed + 1)
    with SolverCache(cfg.family, cfg.solver, cache_dir, n_jobs) as cache:
        advance = progress("held-out solver runs", len(test))
        truth = cache.solve(test)[list(TARGETS)].to_numpy()
        advance(len(test))

        def oracle(index: np.ndarray) -> np.ndarray:
            return cache.solve(pool.iloc[index])[list(TARGETS)].to_numpy()

        curves = compare_strategies(
            pool.to_numpy(),
            oracle,
            test.to_numpy(),
            truth,
            initial=cfg.initial,
            batch=cfg.batch,
            budget=cfg.budget,
            seeds=cfg.seeds,
            n_members=cfg.n_members,
            progress=progress,
        )
        n_runs = cache.n_solved
    curves = curves.rename(columns={f"error_{j}": f"error_{t}" for j, t in enumerate(TARGETS)})
    summary, runs = summarize(curves)
    seconds = time.perf_counter() - t0
    report = None
    if out_dir is not None:
        report = _write(out_dir, cfg, curves, summary, runs, n_runs, seconds)
    return ActiveResult(curves, summary, runs, n_runs, seconds, report)


def _write(
    out: Path,
    cfg: ActiveConfig,
    curves: pd.DataFrame,
    summary: pd.DataFrame,
    runs: float,
    n_runs: int,
    seconds: float,
) -> Path:
    rep = Report("Active learning of the asymptotic flavor state")
    rep.text(
        f"Surrogate: bootstrap ensemble of {cfg.n_members} extra-trees regressors mapping the seven "
        f"ELN-XLN moment features to {', '.join(TARGETS)} (densities in units of the initial "
        f"n_nue). Pool: {cfg.pool} xln configurations with a crossing ({cfg.family} closure); "
        f"held-out: {cfg.test} solver runs from another generation seed. Budget {cfg.budget} runs "
        f"per strategy and seed: {cfg.initial} random, then batches of {cfg.batch}; seeds "
        f"{list(cfg.seeds)}. Solver: n_mu = {cfg.solver.n_mu}, n_z = {cfg.solver.n_z}, "
        f"box {cfg.solver.box_length:g}, dt {cfg.solver.dt:g}, t_max {cfg.solver.t_max:g}. "
        f"{n_runs} solver runs made by this call; {seconds:.0f} s."
    )
    final = summary.iloc[-1]
    matched = (
        f"{runs:.0f} runs ({100 * runs / cfg.budget:.0f}% of the budget)"
        if np.isfinite(runs)
        else "not within the budget"
    )
    rep.bullets(
        [
            f"At {int(final['n_labels'])} runs: active {final.get('active_mean', np.nan):.4g} "
            f"± {final.get('active_std', np.nan):.2g}, random {final.get('random_mean', np.nan):.4g} "
            f"± {final.get('random_std', np.nan):.2g} (mean ± std over seeds).",
            f"Active selection reaches random selection's final error after {matched}.",
        ]
    )
    rep.figure(
        _figure(curves),
        "error_vs_runs",
        "Held-out error against solver runs (band: min-max over seeds).",
    )
    rep.table(summary, "Held-out mean absolute error (mean over targets) by budget")
    per_target = curves[curves["n_labels"] == curves["n_labels"].max()]
    cols = [f"error_{t}" for t in TARGETS]
    rep.table(
        per_target.groupby("strategy")[cols].mean().reset_index(),
        "Per-target error at the full budget (mean over seeds)",
    )
    with atomic_output(out, directory=True, replaceable=_OUTPUTS) as tmp:
        curves.to_csv(tmp / "curves.csv", index=False)
        summary.to_csv(tmp / "summary.csv", index=False)
        rep.write(tmp)
    return out / "report.md"
