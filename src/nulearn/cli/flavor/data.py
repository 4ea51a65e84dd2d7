"""``nulearn flavor generate | label | generate3d | label3d | transport | snapshot``: labelled tables
and synthetic snapshots (:mod:`nulearn.flavor.data.files`, :mod:`nulearn.flavor.data.realistic`,
:mod:`nulearn.flavor.deploy.snapshot`)."""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import Family as FamilyChoice
from nulearn.cli.options import (
    FloatType,
    GenerationFamily,
    NDirections,
    Progress,
    Scheme,
)

__all__ = ["app"]

app = typer.Typer()


@app.command("generate")
def generate_cmd(
    out: Path = typer.Option(..., help="Output file: .parquet (default) or .h5/.hdf5."),
    scheme: Scheme = typer.Option(Scheme.xln, help="Sampling scheme."),
    family: GenerationFamily = typer.Option(
        GenerationFamily.mix, help="Angular family; mix: 50/50 per sample."
    ),
    n: int = typer.Option(100_000, "--n", min=1, help="Number of labelled samples."),
    seed: int = typer.Option(0, help="Master seed (output is deterministic for a seed)."),
    unstable_fraction: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Subsample to this fraction of unstable (crossing) samples."
    ),
    chunk_size: int = typer.Option(1 << 18, min=1, help="Samples per chunk (bounds memory)."),
    progress: Progress = True,
) -> None:
    """Generate labelled samples from parametric angular distributions."""
    from nulearn.flavor.data.files import generate_file

    res = generate_file(
        out,
        scheme.value,
        family.value,
        n,
        seed,
        unstable_fraction=unstable_fraction,
        chunk_size=chunk_size,
        progress=progress,
    )
    frame = res.frame
    typer.echo(
        f"wrote {len(frame):,} samples to {out} ({res.seconds:.2f} s, {len(frame) / res.seconds:,.0f} samples/s); "
        f"unstable fraction {frame['crossing'].mean():.4f}"
    )
    summary = frame.groupby("family")["crossing"].agg(["count", "mean"])
    for fam, row in summary.iterrows():
        typer.echo(f"  {fam}: {int(row['count']):,} samples, unstable fraction {row['mean']:.4f}")


@app.command("label")
def label_cmd(
    inp: Path = typer.Option(
        ..., "--in", help="Moment table (.parquet or .h5) with feature columns."
    ),
    out: Path = typer.Option(
        ..., help="Output table with crossing, n_crossings, depth, valid added."
    ),
    family: FamilyChoice = typer.Option(
        FamilyChoice.maxent, help="Family used to reconstruct each species."
    ),
    n_mu: int = typer.Option(401, min=3, help="Grid points on [-1, 1] for the sign search."),
    mask_invalid: bool = typer.Option(
        False, help="Label invalid rows crossing=-1, valid=False instead of stopping with an error."
    ),
) -> None:
    """The analytic crossing test from moments: reconstruct every species, look for a crossing.

    Input columns: alpha, F_nue, F_nuebar (ELN), plus alpha_x, alpha_xbar, F_nux, F_nuxbar (ELN-XLN);
    or raw moments n_nue, n_nuebar[, n_nux, n_nuxbar], F_* which are converted to those features.
    """
    from nulearn.flavor.data.files import label_file

    res = label_file(inp, out, family.value, n_mu=n_mu, mask_invalid=mask_invalid)
    labelled = res.frame
    valid = labelled["valid"]
    typer.echo(
        f"labelled {len(labelled):,} cells in {res.seconds:.2f} s under {family.value}: "
        f"{int(valid.sum()):,} valid, unstable fraction {labelled.loc[valid, 'crossing'].mean():.4f}"
    )


@app.command("generate3d")
def generate3d_cmd(
    out: Path = typer.Option(..., help="Output table (.parquet or .h5)."),
    n: int = typer.Option(10_000, "--n", min=1, help="Number of cells."),
    scheme: Scheme = typer.Option(Scheme.xln, help="1D scheme for densities and flux magnitudes."),
    spread: float = typer.Option(
        0.3, min=0.0, help="Spread of flux directions around a common axis (0: aligned)."
    ),
    seed: int = typer.Option(0, help="Seed."),
    n_directions: NDirections = 2000,
) -> None:
    """Random 3D moments with invariant features and analytic 3D maxent crossing labels."""
    from nulearn.flavor.data.files import generate3d_file

    res = generate3d_file(
        out, n, seed, scheme=scheme.value, spread=spread, n_directions=n_directions
    )
    typer.echo(
        f"wrote {len(res.frame):,} cells to {out}; unstable fraction {res.frame['crossing'].mean():.4f}"
    )


@app.command("label3d")
def label3d_cmd(
    inp: Path = typer.Option(
        ..., "--in", help="3D moments (.parquet/.h5): n_<s>, flux_x_<s>, flux_y_<s>, flux_z_<s>."
    ),
    out: Path = typer.Option(
        ..., help="Output table: input + rotation-invariant features + crossing, depth."
    ),
    n_directions: NDirections = 2000,
) -> None:
    """The analytic 3D maximum-entropy crossing test from number densities and flux vectors."""
    from nulearn.flavor.data.files import label3d_file

    res = label3d_file(inp, out, n_directions=n_directions)
    n_cells = len(res.frame)
    typer.echo(
        f"labelled {n_cells:,} cells in {res.seconds:.2f} s ({n_cells / max(res.seconds, 1e-9):,.0f} cells/s); "
        f"unstable fraction {res.frame['crossing'].mean():.4f}"
    )


@app.command("transport")
def transport_cmd(
    out: Path = typer.Option(..., help="Output table: .parquet (default) or .h5/.hdf5."),
    profiles: int = typer.Option(
        200, "--profiles", min=1, help="Number of randomized supernova profiles."
    ),
    seed: int = typer.Option(0, help="Seed of the profile parameters (output is deterministic)."),
    n_radii: int = typer.Option(
        128, min=8, help="Radial nodes per profile (rows per profile, minus one)."
    ),
    n_core: int = typer.Option(
        24, min=2, help="Core rays (angular resolution at the inner boundary)."
    ),
    progress: Progress = True,
) -> None:
    """Solve gray transport on randomized profiles; write moments and exact crossing labels."""
    from nulearn.flavor.data.realistic import write_realistic_dataset
    from nulearn.flavor.physics.transport.profile import SolverConfig

    path, frame = write_realistic_dataset(
        out, profiles, seed, SolverConfig(n_radii=n_radii, n_core=n_core), progress=progress
    )
    typer.echo(
        f"wrote {len(frame):,} cells of {profiles} profiles to {path} "
        f"({frame.attrs['seconds_per_profile']:.2f} s/profile, {frame.attrs['n_invalid']} invalid cells dropped); "
        f"ELN crossing fraction {frame['crossing'].mean():.4f}, ELN-XLN {frame['crossing_xln'].mean():.4f}"
    )


@app.command("snapshot", context_settings={"allow_extra_args": True})
def snapshot_cmd(
    ctx: typer.Context,
    first_axis: int = typer.Option(
        ..., "--shape", help="Grid shape, 1 to 3 integers, e.g. --shape 256 256 256."
    ),
    out: Path = typer.Option(..., "--out", help="Output HDF5 file."),
    seed: int = typer.Option(0, help="Seed of the smooth perturbations."),
    dtype: FloatType = typer.Option(FloatType.float64, help="Floating-point type of the fields."),
    progress: Progress = True,
) -> None:
    """Write a synthetic snapshot: smooth moment fields with unstable regions (default layout)."""
    from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot

    # click options take one value; the remaining axes of --shape arrive as extra arguments
    try:
        shape = [first_axis, *(int(a) for a in ctx.args)]
    except ValueError as err:
        raise typer.BadParameter(f"--shape takes 1 to 3 integers, got extra {ctx.args}") from err
    path = write_synthetic_snapshot(out, shape, seed=seed, dtype=dtype.value, progress=progress)
    typer.echo(
        f"wrote {path}: grid {tuple(shape)}, datasets /n_<species>, /F_<species> ({dtype.value})"
    )
