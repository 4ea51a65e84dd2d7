"""``nulearn flavor tune | seeds | compact | calibration``: the deep MLP's hyperparameter search,
seed spread, compact models and calibration (:mod:`nulearn.flavor.studies.deep.files`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nulearn.cli.options import (
    DataTable,
    FeatureList,
    LabelColumn,
    MLPConfigFile,
    Pruner,
    SplitSeed,
    TestFraction,
    TestTable,
)

if TYPE_CHECKING:  # imported when a command runs: it pulls NumPy and pandas
    from nulearn.flavor.studies.deep.inputs import TableSource

__all__ = ["app"]

app = typer.Typer()


def _int_list(values: list[str], what: str) -> list[int]:
    """Integers from repeated and/or comma-separated option values."""
    out: list[int] = []
    for v in values:
        for part in v.replace(",", " ").split():
            try:
                out.append(int(part))
            except ValueError as err:
                raise typer.BadParameter(f"{what}: {part!r} is not an integer") from err
    return out


def _source(
    data: Path,
    test_data: Path | None,
    config: Path | None,
    features: str | None,
    label: str,
    test_fraction: float,
    split_seed: int,
) -> TableSource:
    from nulearn.flavor.studies.deep.inputs import TableSource

    names = tuple(f.strip() for f in (features or "").split(",") if f.strip())
    return TableSource(data, test_data, config, names or None, label, test_fraction, split_seed)


@app.command("tune")
def tune_cmd(
    data: DataTable,
    config: MLPConfigFile = None,
    features: FeatureList = None,
    label: LabelColumn = "crossing",
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
    pruner: Pruner = typer.Option(Pruner.median, "--pruner", help="Optuna pruner."),
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
    from nulearn.flavor.studies.deep.files import tune_from_table

    lo_hi = _int_list([layers], "--layers")
    if len(lo_hi) != 2:
        raise typer.BadParameter(f"--layers needs min,max; got {layers!r}")
    res = tune_from_table(
        _source(data, None, config, features, label, 0.2, 0),
        out,
        n_trials=n_trials,
        study_name=study_name,
        storage=storage,
        pruner=pruner.value,
        timeout=timeout,
        layers=(lo_hi[0], lo_hi[1]),
        widths=_int_list([widths], "--widths"),
        batch_sizes=_int_list([batch_sizes], "--batch-sizes"),
        seed=seed,
    )
    states = res.trials["state"].value_counts().to_dict() if len(res.trials) else {}
    typer.echo(
        f"study {study_name!r}: {len(res.trials)} trials {states}; best validation F1 {res.best_f1:.4f}"
    )
    typer.echo(f"wrote {out / 'best_config.yaml'} and {out / 'trials.csv'}")


@app.command("seeds")
def seeds_cmd(
    data: DataTable,
    seeds: list[str] = typer.Option(
        ["17", "43"],
        "--seeds",
        help="Seeds, comma-separated or repeated: --seeds 17,43,101 or --seeds 17 --seeds 43.",
    ),
    test_data: TestTable = None,
    config: MLPConfigFile = None,
    features: FeatureList = None,
    label: LabelColumn = "crossing",
    test_fraction: TestFraction = 0.2,
    split_seed: SplitSeed = 0,
    out: Path | None = typer.Option(None, "--out", help="Write the table (.md, or .csv)."),
) -> None:
    """Train one MLP per seed; print precision, recall and F1 per seed with mean and std."""
    from nulearn.flavor.studies.deep.files import seeds_from_table

    source = _source(data, test_data, config, features, label, test_fraction, split_seed)
    typer.echo(seeds_from_table(source, _int_list(seeds, "--seeds"), out))
    if out is not None:
        typer.echo(f"wrote {out}")


@app.command("compact")
def compact_cmd(
    data: DataTable,
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
    test_data: TestTable = None,
    config: MLPConfigFile = None,
    features: FeatureList = None,
    label: LabelColumn = "crossing",
    test_fraction: TestFraction = 0.2,
    split_seed: SplitSeed = 0,
    n_timing: int = typer.Option(200_000, "--n-timing", min=1, help="Cells used to time predict."),
    out: Path | None = typer.Option(None, "--out", help="Write the table (.md, or .csv)."),
) -> None:
    """F1 against inference cost (parameters, multiply-adds per cell, cells/s) over network sizes."""
    from nulearn.flavor.studies.deep.files import compact_from_table

    parsed: list[tuple[int, ...]] = []
    for spec in (s for v in sizes for s in v.split(",") if s.strip()):
        try:
            parsed.append(tuple(int(w) for w in spec.strip().split("x")))
        except ValueError as err:
            raise typer.BadParameter(f"--sizes: {spec!r} is not like 256x256x128") from err
    source = _source(data, test_data, config, features, label, test_fraction, split_seed)
    typer.echo(compact_from_table(source, parsed, n_timing=n_timing, out=out))
    if out is not None:
        typer.echo(f"wrote {out}")


@app.command("calibration")
def calibration_cmd(
    data: DataTable,
    out: Path = typer.Option(..., "--out", help="Report folder (report.md + figures/)."),
    test_data: TestTable = None,
    config: MLPConfigFile = None,
    features: FeatureList = None,
    label: LabelColumn = "crossing",
    test_fraction: TestFraction = 0.2,
    split_seed: SplitSeed = 0,
) -> None:
    """Train one MLP; compare raw, temperature-scaled and isotonic probabilities (ECE, Brier,
    reliability diagram, best-F1 threshold from validation) in a Markdown report."""
    from nulearn.flavor.studies.deep.files import calibration_from_table

    source = _source(data, test_data, config, features, label, test_fraction, split_seed)
    path, table = calibration_from_table(source, out)
    typer.echo(table)
    typer.echo(f"wrote {path}")
