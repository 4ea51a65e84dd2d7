"""``nulearn flavor ...`` commands: a thin layer over :mod:`nulearn.flavor`.

Each command parses options, calls one library function and prints a short summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # annotations of the deep-MLP helpers (issue 4); imported lazily at run time
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

    from nulearn.flavor.models.mlp.classifier import MLPConfig

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


# -- data: generate, label (issue 2) --------------------------------------------------------------
@app.command("generate")
def generate_cmd(
    scheme: str = typer.Option("xln", help="Sampling scheme: original, hierarchical or xln."),
    family: str = typer.Option(
        "mix", help="Angular family: maxent, gaussian or mix (50/50 per sample)."
    ),
    n: int = typer.Option(100_000, "--n", min=1, help="Number of labelled samples."),
    seed: int = typer.Option(0, help="Master seed (output is deterministic for a seed)."),
    out: Path = typer.Option(..., help="Output file: .parquet (default) or .h5/.hdf5."),
    unstable_fraction: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Subsample to this fraction of unstable (crossing) samples."
    ),
    chunk_size: int = typer.Option(1 << 18, min=1, help="Samples per chunk (bounds memory)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Generate labelled samples from parametric angular distributions."""
    from nulearn.flavor.data.generate import generate, generation_metadata
    from nulearn.flavor.data.tables import write_dataset

    t0 = time.perf_counter()
    frame = generate(
        scheme,
        family,
        n,
        seed,
        unstable_fraction=unstable_fraction,
        chunk_size=chunk_size,
        progress=progress,
    )
    elapsed = time.perf_counter() - t0
    write_dataset(frame, out, generation_metadata(scheme, family, n, seed, unstable_fraction))
    typer.echo(
        f"wrote {len(frame):,} samples to {out} ({elapsed:.2f} s, {len(frame) / elapsed:,.0f} samples/s); "
        f"unstable fraction {frame['crossing'].mean():.4f}"
    )
    summary = frame.groupby("family")["crossing"].agg(["count", "mean"])
    for fam, row in summary.iterrows():
        typer.echo(f"  {fam}: {int(row['count']):,} samples, unstable fraction {row['mean']:.4f}")


@app.command("label")
def label_cmd(
    family: str = typer.Option(
        "maxent", help="Family used to reconstruct each species: maxent or gaussian."
    ),
    inp: Path = typer.Option(
        ..., "--in", help="Moment table (.parquet or .h5) with feature columns."
    ),
    out: Path = typer.Option(
        ..., help="Output table with crossing, n_crossings, depth, valid added."
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
    from nulearn.flavor.data.labelling import label_moments
    from nulearn.flavor.data.tables import read_dataset, write_dataset
    from nulearn.flavor.physics.species import features_from_moments

    ds = read_dataset(inp)
    frame = ds.frame
    if "alpha" not in frame.columns and "n_nue" in frame.columns:
        feats = features_from_moments(frame)
        frame = frame.drop(columns=[c for c in feats.columns if c in frame.columns]).join(feats)
    t0 = time.perf_counter()
    labelled = label_moments(
        frame, family, n_mu=n_mu, on_invalid="mask" if mask_invalid else "raise"
    )
    elapsed = time.perf_counter() - t0
    meta = {**ds.metadata, "labelled_by": f"analytic {family} test", "n_mu": n_mu}
    write_dataset(labelled, out, meta)
    valid = labelled["valid"]
    typer.echo(
        f"labelled {len(labelled):,} cells in {elapsed:.2f} s under {family}: "
        f"{int(valid.sum()):,} valid, unstable fraction {labelled.loc[valid, 'crossing'].mean():.4f}"
    )


# -- deep MLP: tuning, seeds, calibration, compact models (issue 4) ----------------------------------
def _deep_inputs(
    data: Path,
    test_data: Path | None,
    config: Path | None,
    features: str | None,
    label: str,
    test_fraction: float,
    split_seed: int,
) -> tuple[MLPConfig, pd.DataFrame, NDArray[np.int64], pd.DataFrame, NDArray[np.int64]]:
    """Read the tables and the MLP config; split off a test set unless one is given."""
    import dataclasses

    from nulearn.flavor.data.splits import split_dataset
    from nulearn.flavor.data.tables import read_dataset
    from nulearn.flavor.models.mlp.classifier import MLPConfig, table_xy

    cfg = MLPConfig.from_yaml(config) if config is not None else MLPConfig()
    feats = tuple(f.strip() for f in features.split(",") if f.strip()) if features else cfg.features
    cfg = dataclasses.replace(cfg, features=feats, label=label)
    frame = read_dataset(data).frame
    if test_data is not None:
        train, test = frame, read_dataset(test_data).frame
    else:
        train, _, test = split_dataset(
            frame, test_fraction=test_fraction, val_fraction=0.0, label=label, seed=split_seed
        )
    X_tr, y_tr = table_xy(train, cfg.features, label)
    X_te, y_te = table_xy(test, tuple(X_tr.columns), label)
    return cfg, X_tr, y_tr, X_te, y_te


def _int_list(values: list[str], what: str) -> list[int]:
    out: list[int] = []
    for v in values:
        for part in v.replace(",", " ").split():
            try:
                out.append(int(part))
            except ValueError as err:
                raise typer.BadParameter(f"{what}: {part!r} is not an integer") from err
    return out


def _write_table(frame: pd.DataFrame, out: Path | None, title: str) -> None:
    from nulearn.ml.report import markdown_table

    text = markdown_table(frame, floatfmt=".4g")
    typer.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".csv":
            frame.to_csv(out, index=False)
        else:
            out.write_text(f"# {title}\n\n{text}\n")
        typer.echo(f"wrote {out}")


_DATA_OPT = typer.Option(
    ..., "--data", help="Training table (.parquet or .h5) with feature and label columns."
)
_TEST_OPT = typer.Option(
    None, "--test-data", help="Test table; default: a stratified split of --data."
)
_CFG_OPT = typer.Option(
    None, "--config", help="MLPConfig YAML (fields of nulearn.flavor.models.mlp.classifier.MLPConfig)."
)
_FEAT_OPT = typer.Option(
    None, "--features", help="Comma-separated feature columns (default: the scheme's)."
)
_LABEL_OPT = typer.Option("crossing", "--label", help="0/1 label column.")
_TF_OPT = typer.Option(
    0.2, "--test-fraction", min=0.01, max=0.9, help="Test fraction without --test-data."
)
_SPLIT_OPT = typer.Option(0, "--split-seed", help="Seed of the train/test split.")


@app.command("tune")
def tune_cmd(
    data: Path = _DATA_OPT,
    config: Path | None = _CFG_OPT,
    features: str | None = _FEAT_OPT,
    label: str = _LABEL_OPT,
    n_trials: int = typer.Option(
        30, "--n-trials", min=1, help="Finished trials the study should hold (resumes)."
    ),
    study_name: str = typer.Option("mlp", "--study-name", help="Study name inside the storage."),
    storage: str | None = typer.Option(
        None,
        "--storage",
        help="Database URL (e.g. postgresql://user@host/db); default: SQLite file in --out.",
    ),
    out: Path = typer.Option(
        Path("tuning"), "--out", help="Folder for the SQLite study, best_config.yaml, trials.csv."
    ),
    pruner: str = typer.Option("median", "--pruner", help="median, hyperband or none."),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Stop this worker after this many seconds."
    ),
    layers: str = typer.Option("3,6", "--layers", help="min,max hidden layers."),
    widths: str = typer.Option("64,128,256,512", "--widths", help="Candidate widths."),
    batch_sizes: str = typer.Option(
        "4096,8192,16384", "--batch-sizes", help="Candidate batch sizes."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the validation split and the sampler."),
) -> None:
    """Optuna search over depth, width, dropout, BatchNorm, weight decay, batch size, LR and schedule.

    Several workers (processes or machines) may run this at once on one --storage; rerunning
    after an interruption resumes the study and runs only the missing trials.
    """
    import optuna

    from nulearn.flavor.models.mlp.tuning import SearchSpace, tune_mlp

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg, X_tr, y_tr, _, _ = _deep_inputs(data, None, config, features, label, 0.2, 0)
    lo_hi = _int_list([layers], "--layers")
    if len(lo_hi) != 2:
        raise typer.BadParameter(f"--layers needs min,max; got {layers!r}")
    space = SearchSpace(
        n_layers=(lo_hi[0], lo_hi[1]),
        widths=tuple(_int_list([widths], "--widths")),
        batch_sizes=tuple(_int_list([batch_sizes], "--batch-sizes")),
    )
    out.mkdir(parents=True, exist_ok=True)
    # The whole table goes in: tuning holds out its own validation split; keep a test set aside yourself.
    res = tune_mlp(
        X_tr,
        y_tr,
        n_trials=n_trials,
        study_name=study_name,
        storage=storage,
        directory=out,
        base=cfg,
        space=space,
        pruner=pruner,
        timeout=timeout,
        seed=seed,
    )
    res.best_config.to_yaml(out / "best_config.yaml")
    res.trials.to_csv(out / "trials.csv", index=False)
    states = res.trials["state"].value_counts().to_dict() if len(res.trials) else {}
    typer.echo(
        f"study {study_name!r}: {len(res.trials)} trials {states}; best validation F1 {res.best_f1:.4f}"
    )
    typer.echo(f"wrote {out / 'best_config.yaml'} and {out / 'trials.csv'}")


@app.command("seeds")
def seeds_cmd(
    data: Path = _DATA_OPT,
    seeds: list[str] = typer.Option(
        ["17", "43"],
        "--seeds",
        help="Seeds, comma-separated or repeated: --seeds 17,43,101 or --seeds 17 --seeds 43.",
    ),
    test_data: Path | None = _TEST_OPT,
    config: Path | None = _CFG_OPT,
    features: str | None = _FEAT_OPT,
    label: str = _LABEL_OPT,
    test_fraction: float = _TF_OPT,
    split_seed: int = _SPLIT_OPT,
    out: Path | None = typer.Option(None, "--out", help="Write the table (.md, or .csv)."),
) -> None:
    """Train one MLP per seed; print precision, recall and F1 per seed with mean and std."""
    from nulearn.flavor.studies.deep import seed_study, summarize_seeds

    cfg, X_tr, y_tr, X_te, y_te = _deep_inputs(
        data, test_data, config, features, label, test_fraction, split_seed
    )
    per_seed = seed_study(X_tr, y_tr, X_te, y_te, _int_list(seeds, "--seeds"), cfg)
    _write_table(
        summarize_seeds(per_seed), out, "MLP: precision, recall, F1 (crossing class) per seed"
    )


@app.command("compact")
def compact_cmd(
    data: Path = _DATA_OPT,
    sizes: list[str] = typer.Option(
        [
            "512x512x256x256x128x128",
            "256x256x256x128",
            "128x128x128x64",
            "64x64x64",
            "32x32",
            "16x16",
        ],
        "--sizes",
        help="Hidden widths per model, e.g. 256x256x128 (repeat or comma-separate).",
    ),
    test_data: Path | None = _TEST_OPT,
    config: Path | None = _CFG_OPT,
    features: str | None = _FEAT_OPT,
    label: str = _LABEL_OPT,
    test_fraction: float = _TF_OPT,
    split_seed: int = _SPLIT_OPT,
    n_timing: int = typer.Option(200_000, "--n-timing", min=1, help="Cells used to time predict."),
    out: Path | None = typer.Option(None, "--out", help="Write the table (.md, or .csv)."),
) -> None:
    """F1 against inference cost (parameters, multiply-adds per cell, cells/s) over network sizes."""
    from nulearn.flavor.studies.deep import compact_study

    parsed: list[tuple[int, ...]] = []
    for spec in (s for v in sizes for s in v.split(",") if s.strip()):
        try:
            parsed.append(tuple(int(w) for w in spec.strip().split("x")))
        except ValueError as err:
            raise typer.BadParameter(f"--sizes: {spec!r} is not like 256x256x128") from err
    cfg, X_tr, y_tr, X_te, y_te = _deep_inputs(
        data, test_data, config, features, label, test_fraction, split_seed
    )
    table = compact_study(X_tr, y_tr, X_te, y_te, parsed, cfg, n_timing=n_timing)
    _write_table(table, out, "MLP: F1 against inference cost")


@app.command("calibration")
def calibration_cmd(
    data: Path = _DATA_OPT,
    out: Path = typer.Option(..., "--out", help="Report folder (report.md + figures/)."),
    test_data: Path | None = _TEST_OPT,
    config: Path | None = _CFG_OPT,
    features: str | None = _FEAT_OPT,
    label: str = _LABEL_OPT,
    test_fraction: float = _TF_OPT,
    split_seed: int = _SPLIT_OPT,
) -> None:
    """Train one MLP; compare raw, temperature-scaled and isotonic probabilities (ECE, Brier,
    reliability diagram, best-F1 threshold from validation) in a Markdown report."""
    from nulearn.flavor.studies.deep import calibration_study
    from nulearn.ml.report import Report

    cfg, X_tr, y_tr, X_te, y_te = _deep_inputs(
        data, test_data, config, features, label, test_fraction, split_seed
    )
    study = calibration_study(X_tr, y_tr, X_te, y_te, cfg)
    rep = Report("MLP calibration and operating point")
    rep.text(
        f"Training rows {len(y_tr):,} (of which {cfg.val_fraction:.0%} validation: early stopping, calibrators, "
        f"thresholds), test rows {len(y_te):,}. Scores of the crossing class on the test split."
    )
    rep.table(study.table, caption="Calibration methods (threshold = best F1 on validation)")
    rep.figure(study.figure, "reliability", "Reliability diagram on the test split")
    rep.table(study.sweep, caption="Threshold sweep of the isotonic probabilities (test split)")
    path = rep.write(out)
    _write_table(study.table, None, "")
    typer.echo(f"wrote {path}")


# -- realistic data from transport, artificial-to-realistic study (issue 6) -------------------------
@app.command("transport")
def transport_cmd(
    profiles: int = typer.Option(
        200, "--profiles", min=1, help="Number of randomized supernova profiles."
    ),
    seed: int = typer.Option(0, help="Seed of the profile parameters (output is deterministic)."),
    out: Path = typer.Option(..., help="Output table: .parquet (default) or .h5/.hdf5."),
    n_radii: int = typer.Option(
        128, min=8, help="Radial nodes per profile (rows per profile, minus one)."
    ),
    n_core: int = typer.Option(
        24, min=2, help="Core rays (angular resolution at the inner boundary)."
    ),
    progress: bool = typer.Option(True, help="Show a progress bar."),
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


# -- deployment: exports, snapshot flagging, synthetic snapshots (issue 5) -------------------------
@app.command("export")
def export_cmd(
    model_dir: Path = typer.Argument(..., help="Model directory (card.yaml + estimator.joblib)."),
    fmt: str = typer.Option(..., "--format", help="onnx, torchscript, c or fortran."),
    out: Path = typer.Option(..., "--out", help="Output file (.onnx, .pt, .h, .f90)."),
    name: str = typer.Option(
        None, "--name", help="Function name part for c/fortran (default <model>_<scheme>)."
    ),
    precision: str = typer.Option(
        "float64", help="MLP arithmetic for onnx/torchscript: float64 or float32."
    ),
) -> None:
    """Export a model: raw moments in (1D: n, F; 3D: n, flux vector), P(crossing) and flag out."""
    from nulearn.flavor.deploy import export_model

    try:
        res = export_model(model_dir, fmt, out, name=name, precision=precision, measure=True)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
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
    model: Path = typer.Option(..., "--model", help="Model directory."),
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
    backend: str = typer.Option("auto", help="auto, c, onnx or python."),
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
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Flag every cell of a snapshot: P(crossing), flag, validity; resumable, chunked, Dask-ready."""
    from nulearn.flavor.deploy import flag_snapshot
    from nulearn.flavor.deploy.flagging import parse_dataset_mapping

    try:
        res = flag_snapshot(
            snapshot,
            model,
            out,
            mapping=parse_dataset_mapping(map_),
            chunk_cells=chunk_cells,
            backend=backend,
            threads=threads,
            dask=dask,
            dask_workers=dask_workers,
            progress=progress,
            overwrite=overwrite,
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
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


@app.command("snapshot", context_settings={"allow_extra_args": True})
def snapshot_cmd(
    ctx: typer.Context,
    first_axis: int = typer.Option(
        ..., "--shape", help="Grid shape, 1 to 3 integers, e.g. --shape 256 256 256."
    ),
    out: Path = typer.Option(..., "--out", help="Output HDF5 file."),
    seed: int = typer.Option(0, help="Seed of the smooth perturbations."),
    dtype: str = typer.Option("float64", help="float64 or float32."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Write a synthetic snapshot: smooth moment fields with unstable regions (default layout)."""
    from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot

    # click options take one value; the remaining axes of --shape arrive as extra arguments
    try:
        shape = [first_axis, *(int(a) for a in ctx.args)]
    except ValueError as err:
        raise typer.BadParameter(f"--shape takes 1 to 3 integers, got extra {ctx.args}") from err
    try:
        path = write_synthetic_snapshot(out, shape, seed=seed, dtype=dtype, progress=progress)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    typer.echo(f"wrote {path}: grid {tuple(shape)}, datasets /n_<species>, /F_<species> ({dtype})")


# -- growth rates and three-dimensional moments (issue 7) -----------------------------------------
@app.command("growth")
def growth_cmd(
    inp: Path = typer.Option(
        ...,
        "--in",
        help="Moments (.parquet/.h5: features or n_*, F_*) or distributions (.npz: eln, mu).",
    ),
    out: Path = typer.Option(
        ..., help="Output table (.parquet or .h5) with the growth-rate columns."
    ),
    family: str = typer.Option("maxent", help="Family closing the moments: maxent or gaussian."),
    n_beams: int = typer.Option(24, min=2, help="Gauss-Legendre beams of the dispersion relation."),
    n_k: int = typer.Option(64, min=3, help="Coarse wavenumber grid points."),
    n_nue_cm3: float | None = typer.Option(
        None, "--n-nue-cm3", min=0.0, help="nu_e density in cm^-3 for rates in 1/s."
    ),
) -> None:
    """Fast-instability growth rates (max over k of Im omega, m = 0 and m = 1) from moments or G(mu)."""
    import numpy as np
    import pandas as pd

    from nulearn.flavor.data.tables import read_dataset, write_dataset
    from nulearn.flavor.physics.stability import (
        StabilityConfig,
        growth_rate,
        growth_rate_per_second,
        growth_table,
    )

    config = StabilityConfig(n_beams=n_beams, n_k=n_k)
    t0 = time.perf_counter()
    try:
        if inp.suffix.lower() == ".npz":
            with np.load(inp) as data:
                if "eln" not in data or "mu" not in data:
                    raise ValueError(
                        f"{inp}: an .npz input needs arrays 'eln' (n_cells, n_mu) and 'mu' (n_mu,)"
                    )
                frame = growth_rate(data["eln"], data["mu"], config).to_frame()
            if n_nue_cm3 is not None:
                frame["growth_rate_per_s"] = growth_rate_per_second(
                    frame["growth_rate"].to_numpy(), n_nue_cm3
                )
            meta: dict[str, object] = {"source": str(inp)}
        else:
            ds = read_dataset(inp)
            frame = growth_table(ds.frame, family, config, n_nue_cm3)
            meta = dict(ds.metadata)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    elapsed = time.perf_counter() - t0
    write_dataset(
        pd.DataFrame(frame), out, {**meta, "growth": {"family": family, **config.to_dict()}}
    )
    unstable = frame["growth_rate"] > 0
    median = float(frame.loc[unstable, "growth_rate"].median()) if unstable.any() else 0.0
    typer.echo(
        f"wrote growth rates of {len(frame):,} cells to {out} ({elapsed:.2f} s, "
        f"{1e3 * elapsed / max(len(frame), 1):.2f} ms/cell); unstable fraction {unstable.mean():.4f}, "
        f"median growth rate {median:.4g} sqrt(2) G_F n_nue"
    )


@app.command("study")
def study_cmd(
    out: Path = typer.Option(..., help="Report folder (report.md, figures/, tables as CSV)."),
    realistic: Path | None = typer.Option(
        None,
        help="Realistic table from `nulearn flavor transport` (default: solve --profiles now).",
    ),
    profiles: int = typer.Option(
        200, "--profiles", min=2, help="Profiles to solve when --realistic is not given."
    ),
    n_artificial: int = typer.Option(60_000, min=100, help="Rows per artificial training set."),
    seed: int = typer.Option(0, help="Master seed (artificial data, profile split, models)."),
    config: Path | None = typer.Option(
        None, help="StudyConfig YAML (overrides the options above)."
    ),
) -> None:
    """Artificial-to-realistic study (arXiv:2310.03807 Tables I-III, analytic tests, DANN, I2/I3)."""
    from nulearn.flavor.studies.realistic import StudyConfig, run_study
    from nulearn.flavor.studies.realistic_report import study_report

    if config is not None:
        cfg = StudyConfig.from_yaml(config.read_text())
    else:
        cfg = StudyConfig(
            n_artificial=n_artificial,
            n_profiles=profiles,
            realistic_path=None if realistic is None else str(realistic),
            seed=seed,
        )
    result = run_study(cfg)
    path = study_report(result).write(out)
    for name, table in result.tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
    (out / "study_config.yaml").write_text(cfg.to_yaml())
    typer.echo(f"wrote {path} ({result.notes['study_seconds']:.0f} s)")
    for key, value in result.notes.get("targets", {}).items():
        typer.echo(f"  {key}: {value}")


@app.command("label3d")
def label3d_cmd(
    inp: Path = typer.Option(
        ..., "--in", help="3D moments (.parquet/.h5): n_<s>, flux_x_<s>, flux_y_<s>, flux_z_<s>."
    ),
    out: Path = typer.Option(
        ..., help="Output table: input + rotation-invariant features + crossing, depth."
    ),
    n_directions: int = typer.Option(2000, min=1000, help="Fibonacci directions on the sphere."),
) -> None:
    """The analytic 3D maximum-entropy crossing test from number densities and flux vectors."""
    from nulearn.flavor.data.tables import read_dataset, write_dataset
    from nulearn.flavor.physics.moments3d import features_from_moments3d, label_moments3d

    ds = read_dataset(inp)
    t0 = time.perf_counter()
    try:
        labels = label_moments3d(ds.frame, n_directions=n_directions)
        features = features_from_moments3d(ds.frame)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    elapsed = time.perf_counter() - t0
    frame = ds.frame.drop(
        columns=[c for c in (*features.columns, *labels.columns) if c in ds.frame.columns]
    )
    write_dataset(
        frame.join(features).join(labels),
        out,
        {**ds.metadata, "labelled_by": "analytic 3D maxent test", "n_directions": n_directions},
    )
    typer.echo(
        f"labelled {len(labels):,} cells in {elapsed:.2f} s ({len(labels) / max(elapsed, 1e-9):,.0f} cells/s); "
        f"unstable fraction {labels['crossing'].mean():.4f}"
    )


@app.command("generate3d")
def generate3d_cmd(
    n: int = typer.Option(10_000, "--n", min=1, help="Number of cells."),
    out: Path = typer.Option(..., help="Output table (.parquet or .h5)."),
    scheme: str = typer.Option(
        "xln", help="1D scheme for densities and flux magnitudes: original, hierarchical, xln."
    ),
    spread: float = typer.Option(
        0.3, min=0.0, help="Spread of flux directions around a common axis (0: aligned)."
    ),
    seed: int = typer.Option(0, help="Seed."),
    n_directions: int = typer.Option(2000, min=1000, help="Fibonacci directions of the labels."),
) -> None:
    """Random 3D moments with invariant features and analytic 3D maxent crossing labels."""
    from nulearn.flavor.data.generate3d import generate3d
    from nulearn.flavor.data.tables import write_dataset

    try:
        frame = generate3d(
            n, seed, scheme=scheme, direction_spread=spread, n_directions=n_directions
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    meta = {
        "scheme": scheme,
        "direction_spread": spread,
        "seed": seed,
        "n_directions": n_directions,
        "moments": "3d",
    }
    write_dataset(frame, out, meta)
    typer.echo(
        f"wrote {len(frame):,} cells to {out}; unstable fraction {frame['crossing'].mean():.4f}"
    )


# -- classifiers, evaluation, reproduction (issue 3) ----------------------------------------------
def _training_features(
    frame: pd.DataFrame, metadata: dict[str, object], features: str | None
) -> tuple[tuple[str, ...], str | None]:
    """Feature columns (in order) and scheme: --features, else the dataset's metadata, else inferred."""
    from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES, species_for_features

    scheme = metadata.get("scheme")
    scheme_name = str(scheme) if scheme is not None else None
    if features:
        return tuple(f.strip() for f in features.split(",") if f.strip()), scheme_name
    meta_features = metadata.get("features")
    if isinstance(meta_features, list) and meta_features:
        return tuple(str(f) for f in meta_features), scheme_name
    try:
        species = species_for_features(frame.columns)
    except ValueError as err:
        raise typer.BadParameter(f"{err}; or name the columns with --features a,b,c") from err
    return (XLN_FEATURES if len(species) == 4 else ELN_FEATURES), scheme_name


@app.command("train")
def train_cmd(
    model: str = typer.Option(..., help="Model: lr, knn, svm, tree, gbt or mlp."),
    data: Path = typer.Option(..., help="Labelled training table (.parquet or .h5)."),
    out: Path = typer.Option(..., help="Model directory to write (estimator + card.yaml)."),
    degree: int = typer.Option(2, min=1, help="Polynomial degree n of lr."),
    config: Path | None = typer.Option(
        None, help="YAML hyperparameter overrides (MLPConfig YAML for mlp)."
    ),
    features: str | None = typer.Option(
        None, help="Comma-separated feature columns (default: the dataset's)."
    ),
    label: str = typer.Option("crossing", help="Label column (0/1)."),
    val_fraction: float = typer.Option(
        0.1, min=0.0, max=0.9, help="Held-out share for the card's validation scores."
    ),
    seed: int = typer.Option(0, help="Seed of the split and the model."),
) -> None:
    """Train a crossing classifier and save it with a model card."""
    from nulearn.flavor.data.tables import read_dataset
    from nulearn.flavor.evaluation.fit import train_carded_model
    from nulearn.flavor.models.registry import MODEL_NAMES
    from nulearn.ml.model_card import save_model

    if model not in MODEL_NAMES:
        raise typer.BadParameter(
            f"unknown model {model!r}; allowed: {', '.join(MODEL_NAMES)}", param_hint="--model"
        )
    ds = read_dataset(data)
    feats, scheme = _training_features(ds.frame, ds.metadata, features)
    try:
        carded = train_carded_model(
            model,
            ds.frame,
            feats,
            label=label,
            degree=degree,
            config=config,
            val_fraction=val_fraction,
            random_state=seed,
            scheme=scheme,
            extra={"data": str(data), "family": ds.metadata.get("family")},
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    save_model(carded.estimator, carded.card, out)
    m = carded.card.metrics
    typer.echo(
        f"trained {model} on {carded.card.n_train:,} samples, features {list(feats)} ({m['train_seconds']:.2f} s)"
    )
    if "validation" in m:
        typer.echo(
            f"  validation accuracy {m['validation']['accuracy']:.4f} on {m['validation']['n_samples']:,} samples"
        )
    if "validation_bayes_ceiling" in m:
        c = m["validation_bayes_ceiling"]
        typer.echo(
            f"  Bayes ceiling: accuracy {c['accuracy']:.4f}, F1(crossing) {c['f1_crossing']:.4f}"
        )
    typer.echo(f"wrote {out}")


@app.command("predict")
def predict_cmd(
    model_dir: Path = typer.Argument(
        ..., help="Model directory written by `nulearn flavor train`."
    ),
    inp: Path = typer.Option(
        ..., "--in", help="Table with the model's feature columns, in the card's order."
    ),
    out: Path = typer.Option(
        ..., help="Output table: the input plus p_crossing and crossing_pred."
    ),
    threshold: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Decision threshold p_c (default: the card's)."
    ),
    mask_invalid: bool = typer.Option(
        False,
        help="Give rows with unphysical moments p_crossing=NaN, crossing_pred=-1 instead of stopping.",
    ),
) -> None:
    """Predict P(crossing) for every row; refuses tables with missing or reordered features.

    Flux factors must lie in [0, 1) and density ratios be > 0: an unphysical row stops the command
    with an error naming it (or, with --mask-invalid, gets crossing_pred = -1, never a label).
    """
    import numpy as np

    from nulearn.flavor.data.tables import read_dataset, write_dataset
    from nulearn.flavor.physics.species import validate_features
    from nulearn.ml.model_card import ModelCardError, load_model

    try:
        carded = load_model(model_dir)
    except ModelCardError as err:
        raise typer.BadParameter(str(err), param_hint="MODEL_DIR") from err
    ds = read_dataset(inp)
    features = list(carded.card.feature_names)
    missing = [c for c in features if c not in ds.frame.columns]
    valid = np.ones(len(ds.frame), dtype=bool)
    if not missing:
        try:
            valid = validate_features(ds.frame, features, mask=mask_invalid)
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--in") from err
    t0 = time.perf_counter()
    p = np.full(len(ds.frame), np.nan)
    try:
        if valid.any():
            p[valid] = carded.predict_proba(ds.frame.loc[valid])[:, 1]
    except ModelCardError as err:
        raise typer.BadParameter(str(err), param_hint="--in") from err
    elapsed = time.perf_counter() - t0
    p_c = carded.card.threshold if threshold is None else threshold
    frame = ds.frame.copy()
    frame["p_crossing"] = p
    frame["crossing_pred"] = np.where(valid, p >= p_c, -1).astype("int8")
    write_dataset(
        frame,
        out,
        {
            **ds.metadata,
            "predicted_by": str(model_dir),
            "model": carded.card.model,
            "threshold": p_c,
        },
    )
    typer.echo(
        f"predicted {len(frame):,} rows with {carded.card.model} in {elapsed:.3f} s "
        f"({1e6 * elapsed / max(len(frame), 1):.2f} µs/row); predicted crossing fraction {frame.loc[valid, 'crossing_pred'].mean():.4f}"
        + (f"; {int((~valid).sum()):,} invalid rows marked -1" if (~valid).any() else "")
    )


@app.command("evaluate")
def evaluate_cmd(
    model_dir: Path = typer.Argument(
        ..., help="Model directory written by `nulearn flavor train`."
    ),
    data: Path = typer.Option(..., help="Labelled test table (never the training data)."),
    where: list[str] = typer.Option(
        [], help="Feature range COL=LOW:HIGH (repeatable), e.g. F_nuebar=:0.3."
    ),
    threshold: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Decision threshold p_c (default: the card's)."
    ),
    out: Path | None = typer.Option(
        None, help="Folder for a Markdown report with ROC/PR curves and the p_c sweep."
    ),
) -> None:
    """Score a saved model on labelled data, beside the data's Bayes ceiling."""
    from nulearn.flavor.data.splits import parse_ranges, select_range
    from nulearn.flavor.data.tables import read_dataset
    from nulearn.flavor.evaluation.ceiling import bayes_ceiling
    from nulearn.flavor.evaluation.scoring import evaluate_model
    from nulearn.ml.model_card import ModelCardError, load_model

    try:
        carded = load_model(model_dir)
        frame = read_dataset(data).frame
        label = carded.card.label
        frame = frame[frame[label].isin((0, 1))] if label in frame.columns else frame
        if where:
            frame = select_range(frame, parse_ranges(where))
        if len(frame) == 0:
            raise ValueError("no labelled rows left to evaluate (check --where)")
        ev = evaluate_model(
            carded,
            frame,
            carded.feature_names,
            label=label,
            threshold=carded.card.threshold if threshold is None else threshold,
            name=carded.card.model,
        )
    except (ModelCardError, ValueError) as err:
        raise typer.BadParameter(str(err)) from err
    ceiling = bayes_ceiling(frame) if "family" in frame.columns else None
    typer.echo(
        f"{carded.card.model} on {ev.n_test:,} samples (p_c = {ev.threshold}): accuracy {ev.accuracy:.4f}, ROC AUC {ev.roc.area:.4f}"
    )
    typer.echo(ceiling.describe() if ceiling else "Bayes ceiling: unknown (no 'family' column)")
    typer.echo(ev.scores.per_class.round(4).to_string())
    typer.echo(f"confusion (rows true, columns predicted): {ev.scores.confusion.tolist()}")
    typer.echo(f"inference {1e6 * (ev.infer_seconds or 0.0) / max(ev.n_test, 1):.2f} µs/sample")
    if out is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from nulearn.ml.report import Report

        rep = Report(f"Evaluation of {model_dir}")
        rep.text(
            f"Data: `{data}`"
            + (f", range {', '.join(where)}" if where else "")
            + f"; {ev.n_test:,} samples."
        )
        rep.text(f"Accuracy {ev.accuracy:.4f}. " + (ceiling.describe() if ceiling else ""))
        rep.table(ev.scores.per_class.reset_index(), caption="Per-class scores")
        rep.table(ev.sweep, caption="Threshold sweep p_c (crossing class)")
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4))
        a1.plot(ev.roc.x, ev.roc.y)
        a1.set(
            xlabel="false-positive rate",
            ylabel="true-positive rate",
            title=f"ROC (AUC {ev.roc.area:.3f})",
        )
        a2.plot(ev.pr.x, ev.pr.y)
        a2.set(xlabel="recall", ylabel="precision", title=f"PR (AP {ev.pr.area:.3f})")
        rep.figure(fig, "roc_pr", "ROC and precision-recall curves")
        typer.echo(f"wrote {rep.write(out)}")


@app.command("reproduce")
def reproduce_cmd(
    out: Path = typer.Option(Path("reports/flavor"), help="Report folder (report.md + figures/)."),
    full: bool = typer.Option(
        False, "--full", help="The papers' data sizes (much longer than the default)."
    ),
    size: int | None = typer.Option(
        None, min=100, help="Samples per dataset (overrides the default sizes; for quick looks)."
    ),
    seed: int = typer.Option(0, help="Master seed."),
    jobs: int = typer.Option(2, min=1, help="Parallel training processes."),
    models: str | None = typer.Option(
        None,
        help="Comma-separated model keys for the tables (default: lr2,knn,svm,tree,gbt,gbt_closure,mlp).",
    ),
) -> None:
    """Regenerate Tables I-IV and Figs. 1-3 of arXiv:2310.03807 with Bayes ceilings, in one report."""
    import dataclasses

    from nulearn.flavor.studies.reproduce import ReproduceConfig, reproduce, write_report

    if full and size is not None:
        raise typer.BadParameter("--full and --size exclude each other")
    cfg = (
        ReproduceConfig.full()
        if full
        else (ReproduceConfig.sized(size) if size else ReproduceConfig())
    )
    overrides: dict[str, object] = {"seed": seed, "n_jobs": jobs}
    if models:
        keys = tuple(m.strip() for m in models.split(",") if m.strip())
        overrides["models"] = keys
        overrides["single_models"] = tuple(k for k in keys if k != "svm") or keys
    try:
        cfg = dataclasses.replace(cfg, **overrides)  # type: ignore[arg-type]
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--models") from err
    t0 = time.perf_counter()
    result = reproduce(cfg, progress=True)
    path = write_report(result, out)
    acc = result.accuracy_table()
    sel = acc[(acc["train"] == "xln") & (acc["test"] == "xln_test")]
    ceiling = result.ceilings["xln_test"]
    typer.echo(f"ELN-XLN test accuracy ({ceiling.describe()}):")
    for model_key, accuracy in zip(sel["model"].tolist(), sel["accuracy"].tolist(), strict=True):
        typer.echo(f"  {model_key:6s} {100 * float(accuracy):6.2f}%")
    typer.echo(f"wrote {path} ({time.perf_counter() - t0:.1f} s)")
