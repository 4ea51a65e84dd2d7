"""``nulearn flavor evolve``: solve configurations to their asymptotic flavor state
(:func:`nulearn.flavor.evaluation.evolve.evolve_table`)."""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import Family, Progress
from nulearn.cli.progress import reporter

__all__ = ["app"]

app = typer.Typer()


@app.command("evolve")
def evolve_cmd(
    table: Path | None = typer.Argument(
        None,
        help="Table (.parquet, .h5 or .csv) of features (alpha, F_nue, F_nuebar[, alpha_x, "
        "alpha_xbar, F_nux, F_nuxbar]) or raw moments (n_nue, F_nue, ...).",
    ),
    out: Path = typer.Option(..., "--out", help="Output folder (a rerun resumes it)."),
    moments: str | None = typer.Option(
        None,
        "--moments",
        help="One configuration instead of a table: alpha=0.9,F_nue=0.1,F_nuebar=0.4 or "
        "n_nue=1,F_nue=0.3,n_nuebar=0.9,F_nuebar=0.4,...",
    ),
    family: Family = typer.Option(Family.maxent, help="Family closing the moments."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes (default: every core)."
    ),
    chunk_size: int = typer.Option(
        8, "--chunk-size", min=1, help="Configurations per chunk (unit of work and resumption)."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler (tcp://host:8786) to solve on many machines, or 'local'.",
    ),
    n_mu: int = typer.Option(32, "--n-mu", min=2, help="Angular beams."),
    n_z: int = typer.Option(128, "--n-z", min=4, help="Periodic grid points in z (even)."),
    box_length: float = typer.Option(
        100.0, "--box-length", min=0.0, help="Box length in 1/(mu0 int|G|)."
    ),
    dt: float = typer.Option(0.1, "--dt", min=0.0, help="Time step in 1/(mu0 int|G|)."),
    t_max: float = typer.Option(
        5000.0, "--t-max", min=0.0, help="Longest run in 1/(mu0 int|G|) (weak instabilities)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the initial perturbation."),
    figures: int = typer.Option(
        0, "--figures", min=0, help="Write G(mu) and P(mu) figures of the first N configurations."
    ),
    progress: Progress = True,
) -> None:
    """Solve the fast-flavor equations for each configuration: asymptotic moments and P(mu)."""
    from nulearn.flavor.evaluation.evolve import evolve_table, parse_configuration
    from nulearn.flavor.physics.fast_flavor import EvolveConfig

    if (table is None) == (moments is None):
        raise ValueError("give either a TABLE or --moments (one configuration), not both")
    config = EvolveConfig(n_mu=n_mu, n_z=n_z, box_length=box_length, dt=dt, t_max=t_max, seed=seed)
    source = parse_configuration(moments) if moments is not None else table
    assert source is not None
    with reporter(progress) as rep:
        res = evolve_table(
            source,
            out,
            family.value,
            config,
            n_jobs=workers,
            chunk_size=chunk_size,
            dask=scheduler,
            figures=figures,
            progress=rep.bar,
        )
    resumed = "" if res.n_solved == res.n_rows else f" ({res.n_rows - res.n_solved} resumed)"
    typer.echo(
        f"wrote {res.out / 'asymptotic.parquet'}: {res.n_rows} configurations{resumed}, "
        f"{res.n_evolved} with a crossing evolved, {res.n_saturated} saturated; "
        f"{res.seconds:.1f} s"
    )
    if moments is not None:
        row = res.table.iloc[0]
        parts = [
            f"{name}: {row[f'{name}_before']:.4g} -> {row[f'{name}_after']:.4g}"
            for name in ("n_nue", "F_nue", "n_nuebar", "F_nuebar", "eln_xln_number")
        ]
        typer.echo("  " + "; ".join(parts))
    if res.figures:
        typer.echo(f"  figures: {len(res.figures)} in {res.out / 'figures'}")
