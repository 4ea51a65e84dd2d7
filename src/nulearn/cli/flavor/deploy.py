"""``nulearn flavor export | flag``: crossing classifiers into simulation codes and onto whole
snapshots (:mod:`nulearn.flavor.deploy`)."""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import (
    ExportFormat,
    FlagBackend,
    FloatType,
    IgnoreHeavyLeptons,
    ModelDir,
    Progress,
    TrustModel,
)

__all__ = ["app"]

app = typer.Typer()


@app.command("export")
def export_cmd(
    model_dir: ModelDir,
    fmt: ExportFormat = typer.Option(..., "--format", help="Export target."),
    out: Path = typer.Option(..., "--out", help="Output file (.onnx, .pt, .h, .f90)."),
    name: str = typer.Option(
        None, "--name", help="Function name part for c/fortran (default <model>_<scheme>)."
    ),
    precision: FloatType = typer.Option(
        FloatType.float64, help="MLP arithmetic for onnx/torchscript."
    ),
    trust_model: TrustModel = False,
) -> None:
    """Export a model: raw moments in (1D: n, F; 3D: n, flux vector), P(crossing) and flag out."""
    from nulearn.flavor.deploy.export import export_model

    res = export_model(
        model_dir,
        fmt.value,
        out,
        name=name,
        precision=precision.value,
        measure=True,
        trusted=trust_model,
    )
    what = (
        f"function {res.symbol}"
        if res.symbol
        else "inputs 'moments' (n_cells, n_raw); outputs 'p_crossing', 'flag'"
    )
    typer.echo(
        f"wrote {res.path} ({res.fmt}, {res.kind}); {what}; raw moments in order: {', '.join(res.raw_names)}"
    )
    typer.echo(res.speed)


@app.command("flag")
def flag_cmd(
    snapshot: Path = typer.Argument(
        ...,
        help="HDF5 snapshot with moment datasets (default layout: /n_nue, /F_nue, ...; "
        "3D-moment models: /n_nue, /flux_x_nue, /flux_y_nue, /flux_z_nue, ...).",
    ),
    model: Path = typer.Option(
        ..., "--model", help="Model directory, or builtin:NAME (`nulearn flavor models`)."
    ),
    out: Path = typer.Option(..., "--out", help="Flags file to write (or resume)."),
    map_: list[str] = typer.Option(
        [],
        "--map",
        help="Dataset for a quantity (repeatable): n_nue=/fluid/n_e, n_nue=/M1/N[...,0], "
        "'n_nue=/M1/E[...,0,:];groups=-1;energies=/M1/egroup' (energy groups), "
        "flux_nue=/M1/F[...,0,:] (flux vector: F = |flux| / n, or 3D components).",
    ),
    chunk_cells: int = typer.Option(
        1 << 22, "--chunk-cells", min=1, help="Cells per block (bounds memory)."
    ),
    backend: FlagBackend = typer.Option(FlagBackend.auto, help="Evaluation backend."),
    threads: int = typer.Option(2, min=1, help="Blocks evaluated at once (local runs)."),
    dask: str = typer.Option(
        None, "--dask", help="Dask scheduler address, or 'local' for a local cluster."
    ),
    dask_workers: int = typer.Option(
        2, "--dask-workers", min=1, help="Workers of a local Dask cluster."
    ),
    overwrite: bool = typer.Option(
        False, help="Replace an existing flags file from a different run."
    ),
    progress: Progress = True,
    ignore_heavy_leptons: IgnoreHeavyLeptons = False,
    trust_model: TrustModel = False,
    asymptotic: Path | None = typer.Option(
        None,
        "--asymptotic",
        help="Closure directory (or builtin:xln-closure): also write the asymptotic moments of "
        "every cell (group /asymptotic; closure for flag 1, unchanged for flag 0).",
    ),
) -> None:
    """Flag every cell of a snapshot: P(crossing), flag, validity; resumable, chunked, Dask-ready."""
    from nulearn.flavor.deploy.flagging import flag_snapshot, parse_dataset_mapping

    closure = None
    if asymptotic is not None:
        from nulearn.flavor.deploy.closure_flagging import prepare_asymptotic

        closure = prepare_asymptotic(snapshot, asymptotic, parse_dataset_mapping(map_))
    res = flag_snapshot(
        snapshot,
        model,
        out,
        mapping=parse_dataset_mapping(map_),
        chunk_cells=chunk_cells,
        backend=backend.value,
        threads=threads,
        dask=dask,
        dask_workers=dask_workers,
        progress=progress,
        overwrite=overwrite,
        ignore_heavy_leptons=ignore_heavy_leptons,
        trusted=trust_model,
    )
    resumed = (
        ""
        if res.n_blocks_run == res.n_blocks
        else f", resumed: {res.n_blocks_run} of {res.n_blocks} blocks run"
    )
    typer.echo(
        f"wrote {res.out}: grid {res.shape}, {res.n_cells:,} cells, {res.n_crossing:,} flagged unstable, "
        f"{res.n_invalid:,} invalid; backend {res.backend}, {res.seconds:.2f} s "
        f"({res.n_cells / max(res.seconds, 1e-9):.3g} cells/s){resumed}"
    )
    if closure is not None:
        from nulearn.flavor.deploy.closure_flagging import write_asymptotic

        counts = write_asymptotic(
            snapshot, res.out, closure, parse_dataset_mapping(map_), chunk_cells
        )
        typer.echo(
            f"wrote /asymptotic: {counts['converted']:,} unstable cells converted "
            f"({counts['outside_domain']:,} outside the closure's training domain), "
            f"{counts['kept']:,} stable cells kept, {counts['not_computed']:,} not computed"
        )
    valid = res.n_cells - res.n_invalid
    if res.n_outside:
        share = res.n_outside / max(valid, 1)
        typer.echo(
            f"  {res.n_outside:,} valid cells ({100 * share:.2f}%) lie outside the model's training "
            "domain: flag 2, their p_crossing is an extrapolation"
        )
        if share > 0.01:
            typer.echo(
                f"nulearn: warning: {100 * share:.2f}% of the valid cells of {snapshot} lie outside "
                "the training domain of the model; its flags there are guesses",
                err=True,
            )
