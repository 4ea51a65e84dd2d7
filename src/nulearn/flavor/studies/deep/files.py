"""The deep-MLP studies from table files to result files: what ``nulearn flavor tune | seeds |
compact | calibration`` run, one function each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nulearn.flavor.studies.deep.inputs import TableSource
from nulearn.flavor.studies.deep.report import calibration_report, write_table
from nulearn.ml.io import atomic_output

if TYPE_CHECKING:  # torch-heavy; imported when a study runs
    from nulearn.flavor.models.mlp.tuning import TuneResult

__all__ = ["calibration_from_table", "compact_from_table", "seeds_from_table", "tune_from_table"]


def _check_table_file(out: Path | None) -> None:
    """A result table is written as Markdown (.md) or CSV (.csv): refuse anything else up front."""
    if out is not None:
        from nulearn.ml.io import check_output

        check_output(out, suffixes=(".md", ".csv"), what="--out")


def tune_from_table(
    source: TableSource,
    out: Path,
    *,
    n_trials: int = 30,
    study_name: str = "mlp",
    storage: str | None = None,
    pruner: str = "median",
    timeout: float | None = None,
    layers: tuple[int, int] = (3, 6),
    widths: Sequence[int] = (64, 128, 256, 512),
    batch_sizes: Sequence[int] = (4096, 8192, 16384),
    seed: int = 0,
) -> TuneResult:
    """Optuna search of the MLP on the training part of ``source``; resumable.

    Writes ``best_config.yaml``, ``trials.csv`` and (without ``storage``) the SQLite study into
    ``out``. Tuning holds out its own validation split of the training part; the test part of
    ``source`` is never seen.
    """
    import optuna

    from nulearn.flavor.models.mlp.tuning import SearchSpace, tune_mlp
    from nulearn.ml.io import check_output
    from nulearn.ml.tuning import check_storage

    check_output(out, directory=True, what="--out (tuning folder)")
    if storage is not None:
        check_storage(storage)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    inputs = source.load()
    space = SearchSpace(n_layers=layers, widths=tuple(widths), batch_sizes=tuple(batch_sizes))
    out.mkdir(parents=True, exist_ok=True)
    res = tune_mlp(
        inputs.X_train,
        inputs.y_train,
        n_trials=n_trials,
        study_name=study_name,
        storage=storage,
        directory=out,
        base=inputs.config,
        space=space,
        pruner=pruner,
        timeout=timeout,
        seed=seed,
        progress=True,
    )
    with atomic_output(out / "best_config.yaml") as tmp:
        res.best_config.to_yaml(tmp)
    with atomic_output(out / "trials.csv") as tmp:
        res.trials.to_csv(tmp, index=False)
    return res


def seeds_from_table(source: TableSource, seeds: Sequence[int], out: Path | None = None) -> str:
    """One MLP per seed (:func:`~nulearn.flavor.studies.deep.run.seed_study`) with mean and std
    rows; returns the Markdown table (also written to ``out``, ``.md`` or ``.csv``)."""
    from nulearn.flavor.studies.deep.run import seed_study, summarize_seeds

    _check_table_file(out)
    d = source.load()
    per_seed = seed_study(d.X_train, d.y_train, d.X_test, d.y_test, seeds, d.config, progress=True)
    return write_table(
        summarize_seeds(per_seed), out, "MLP: precision, recall, F1 (crossing class) per seed"
    )


def compact_from_table(
    source: TableSource,
    sizes: Sequence[Sequence[int]],
    n_timing: int = 200_000,
    out: Path | None = None,
) -> str:
    """F1 against inference cost over network sizes
    (:func:`~nulearn.flavor.studies.deep.run.compact_study`); returns the Markdown table."""
    from nulearn.flavor.studies.deep.run import compact_study

    _check_table_file(out)
    d = source.load()
    table = compact_study(
        d.X_train, d.y_train, d.X_test, d.y_test, sizes, d.config, n_timing=n_timing, progress=True
    )
    return write_table(table, out, "MLP: F1 against inference cost")


def calibration_from_table(source: TableSource, out: Path) -> tuple[Path, str]:
    """One MLP, raw vs calibrated probabilities, as a report in ``out``
    (:func:`~nulearn.flavor.studies.deep.run.calibration_study`).

    Returns:
        The report path and the Markdown table of the calibration methods.
    """
    from nulearn.flavor.studies.deep.run import calibration_study
    from nulearn.ml.io import check_output

    check_output(out, directory=True, what="--out (report folder)")
    d = source.load()
    study = calibration_study(d.X_train, d.y_train, d.X_test, d.y_test, d.config)
    path = calibration_report(study, d).write(out)
    return path, write_table(study.table, None, "")
