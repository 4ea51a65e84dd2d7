"""``nulearn flavor active``: active against random selection of solver runs
(:func:`nulearn.flavor.studies.active.run.run_active_study`)."""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import Family, Progress
from nulearn.cli.progress import reporter

__all__ = ["app"]

app = typer.Typer()


@app.command("active")
def active_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for report.md, the figure and curves.csv."),
    budget: int = typer.Option(400, "--budget", min=2, help="Solver runs per strategy and seed."),
    batch: int = typer.Option(25, "--batch", min=1, help="Solver runs per round."),
    initial: int = typer.Option(25, "--initial", min=2, help="Random runs before the first fit."),
    pool: int = typer.Option(20000, "--pool", min=2, help="Candidate configurations."),
    test: int = typer.Option(200, "--test", min=1, help="Held-out solver runs."),
    seeds: int = typer.Option(3, "--seeds", min=1, help="Repetitions (seeds 0, 1, ...)."),
    members: int = typer.Option(8, "--members", min=2, help="Bootstrap members of the surrogate."),
    family: Family = typer.Option(Family.maxent, help="Family closing the moments."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Solver processes (default: every core)."
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Folder remembering solver results across runs."
    ),
    n_mu: int = typer.Option(16, "--n-mu", min=2, help="Solver beams."),
    n_z: int = typer.Option(64, "--n-z", min=4, help="Solver grid points in z (even)."),
    dt: float = typer.Option(0.2, "--dt", min=0.0, help="Solver time step in 1/(mu0 int|G|)."),
    t_max: float = typer.Option(1000.0, "--t-max", min=0.0, help="Longest solver run."),
    progress: Progress = True,
) -> None:
    """Learn the asymptotic state from few solver runs: active vs random selection, error vs runs."""
    from dataclasses import replace

    from nulearn.flavor.studies.active.run import STUDY_SOLVER, ActiveConfig, run_active_study

    config = ActiveConfig(
        budget=budget,
        batch=batch,
        initial=min(initial, budget),
        pool=pool,
        test=test,
        seeds=tuple(range(seeds)),
        n_members=members,
        family=family.value,
        solver=replace(STUDY_SOLVER, n_mu=n_mu, n_z=n_z, dt=dt, t_max=t_max),
    )
    with reporter(progress) as rep:
        res = run_active_study(config, out, cache_dir=cache, n_jobs=workers, progress=rep.bar)
    final = res.summary.iloc[-1]
    typer.echo(
        f"wrote {res.report}: at {int(final['n_labels'])} solver runs, held-out MAE active "
        f"{final['active_mean']:.4g} vs random {final['random_mean']:.4g} (mean of {seeds} seeds); "
        f"active reaches random's final error after {res.runs_to_match:g} runs; "
        f"{res.n_solver_runs} solver runs, {res.seconds:.0f} s"
    )
