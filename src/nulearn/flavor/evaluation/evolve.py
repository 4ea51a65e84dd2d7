"""Solve a table of moments to its asymptotic flavor state: the library side of ``nulearn flavor evolve``.

:func:`evolve_table` checks the input (one table through :mod:`nulearn.flavor.physics.validity`,
or one configuration given as ``name=value`` pairs, :func:`parse_configuration`) and the output
folder before any work, solves every row with
:func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many` (all cores, or a Dask cluster; chunks
written as they finish under ``<out>/chunks``, so rerunning the same call solves only the missing
ones), then writes

* ``<out>/asymptotic.parquet``: per row the input features, the moments ``<name>_before`` and
  ``<name>_after`` of every species (densities in units of n_nue, flux factors) and the ELN-XLN
  number and flux, the run's diagnostics (growth rates, conservation error, ``saturated``,
  ``drift``, seconds) and the lists ``mu`` and ``survival`` (P_ee per beam: P(mu));
* ``<out>/figures/config<i>_angular.png`` for the first ``figures`` rows: G(mu) before and after,
  and P(mu) beside the analytic prescriptions.

>>> import tempfile
>>> from nulearn.flavor.physics.fast_flavor import EvolveConfig
>>> cell = parse_configuration("alpha=0.9,F_nue=0.1,F_nuebar=0.4")
>>> cfg = EvolveConfig(n_mu=8, n_z=32, box_length=40.0, t_end=100.0, dt=0.2)
>>> res = evolve_table(cell, tempfile.mkdtemp() + "/run", config=cfg, n_jobs=1)
>>> res.n_rows, res.n_evolved, bool(res.table["n_nue_after"].iloc[0] < 1.0)
(1, 1, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nulearn.flavor.data.tables import read_dataset
from nulearn.flavor.evaluation.fast_flavor_figures import save_evolution_figures
from nulearn.flavor.physics.fast_flavor import EvolveConfig
from nulearn.flavor.physics.fast_flavor_batch import evolve_many, read_table
from nulearn.flavor.physics.validity import require_rows, validate_features
from nulearn.ml.io import atomic_output, check_input_file, check_output
from nulearn.ml.progress import Progress

__all__ = ["EvolveTableResult", "evolve_table", "parse_configuration"]

#: Input columns copied to the output rows: ``profile`` keeps the cells of one transport profile
#: together when the closure's training splits them (:func:`nulearn.flavor.evaluation.closure.split_rows`).
CARRIED: tuple[str, ...] = ("profile",)

#: Entries ``evolve_table`` writes in its output folder (a rerun may replace them).
OUTPUTS = ("chunks", "asymptotic.parquet", "figures")


@dataclass(frozen=True)
class EvolveTableResult:
    """What :func:`evolve_table` did.

    Attributes:
        out: the output folder.
        table: every solved row (``asymptotic.parquet``).
        n_rows: rows of the input.
        n_solved: rows solved by this call (the rest were resumed from ``<out>/chunks``).
        n_evolved: rows with a crossing that were evolved (the others are exactly stable).
        n_saturated: evolved rows whose instability reached the nonlinear phase.
        seconds: wall time of the call.
        figures: figure files written.
    """

    out: Path
    table: pd.DataFrame = field(repr=False)
    n_rows: int
    n_solved: int
    n_evolved: int
    n_saturated: int
    seconds: float
    figures: list[Path]


def parse_configuration(text: str) -> pd.DataFrame:
    """One configuration from ``name=value`` pairs: features (``alpha=0.9,F_nue=0.1,...``) or raw
    moments (``n_nue=1,F_nue=0.3,n_nuebar=0.9,...``).

    Raises:
        ValueError: a pair without ``=`` or a value that is not a number (one line).

    >>> parse_configuration("alpha=0.9, F_nue=0.1,F_nuebar=0.4").to_dict("records")
    [{'alpha': 0.9, 'F_nue': 0.1, 'F_nuebar': 0.4}]
    """
    row: dict[str, float] = {}
    for pair in text.split(","):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--moments: {pair.strip()!r} is not name=value")
        try:
            row[name.strip()] = float(value)
        except ValueError:
            raise ValueError(
                f"--moments: {name.strip()} = {value.strip()!r} is not a number"
            ) from None
    return pd.DataFrame([row])


def _load(table: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature rows of the input, checked through the validity module (errors name the source),
    and the input's :data:`CARRIED` columns."""
    if isinstance(table, pd.DataFrame):
        frame, source = table, "--moments"
    else:
        path = check_input_file(table, "table")
        source = str(path)
        if path.suffix.lower() == ".csv":
            try:
                frame = pd.read_csv(path)
            except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
                raise ValueError(f"table {path}: unreadable CSV ({err})") from None
        else:
            frame = read_dataset(path).frame
    require_rows(frame, source)
    try:
        features = read_table(frame)
        validate_features(features, list(features.columns), source=source)
        carried = frame[[c for c in CARRIED if c in frame.columns]].reset_index(drop=True)
        return features, carried
    except KeyError as err:
        present = ", ".join(map(str, frame.columns))
        raise ValueError(
            f"{source}: neither features (alpha, F_nue, F_nuebar[, alpha_x, ...]) nor raw moments "
            f"(n_nue, F_nue, ...): missing {err.args[0]}; present: {present}"
        ) from None
    except ValueError as err:
        message = str(err)
        raise ValueError(message if source in message else f"{source}: {message}") from None


def evolve_table(
    table: str | Path | pd.DataFrame,
    out: str | Path,
    family: str = "maxent",
    config: EvolveConfig | None = None,
    *,
    n_jobs: int | None = None,
    chunk_size: int = 8,
    dask: str | None = None,
    figures: int = 0,
    progress: bool | Progress = False,
) -> EvolveTableResult:
    """Solve every configuration of ``table`` and write its asymptotic moments, P(mu) and figures.

    Args:
        table: ``.parquet`` / ``.h5`` / ``.csv`` table of features or raw moments, or a DataFrame
            (e.g. :func:`parse_configuration`).
        out: output folder (created; a rerun with the same arguments resumes it).
        family: angular family closing the moments (``maxent``, ``gaussian``).
        config: solver resolution and run length (default :class:`EvolveConfig`).
        n_jobs: worker processes (default: every core; the size of a ``"local"`` Dask cluster).
        chunk_size: configurations per chunk (the unit of parallel work and of resumption).
        dask: scheduler address ``tcp://host:8786``, ``"local"``, or ``None`` (process pool).
        figures: write the angular figures of the first ``figures`` configurations.
        progress: a :data:`~nulearn.ml.progress.Progress` callback, or ``True`` for a bar.

    Returns:
        :class:`EvolveTableResult`.

    Raises:
        ValueError / FileNotFoundError: bad table or moments (file, column, row, value), an
            unwritable or foreign output folder, an unreachable scheduler; all before any solve.
        KeyboardInterrupt: on Ctrl-C, saying that the same call resumes.
    """
    t0 = time.perf_counter()
    out_dir = check_output(out, directory=True, what="--out", replaceable=OUTPUTS)
    if figures < 0:
        raise ValueError(f"--figures = {figures}; must be >= 0")
    features, carried = _load(table)
    chunks = out_dir / "chunks"
    before = {p.name for p in chunks.glob("part-*.parquet")}
    solved = evolve_many(
        features,
        family,
        config,
        out=chunks,
        n_jobs=n_jobs,
        chunk_size=chunk_size,
        dask=dask,
        progress=progress,
    )
    n_resumed = sum(
        len(pd.read_parquet(chunks / name, columns=["row"]))
        for name in before
        if (chunks / name).exists()
    )
    for name in carried.columns:
        solved[name] = carried[name].to_numpy()[solved["row"].to_numpy()]
    with atomic_output(out_dir / "asymptotic.parquet") as tmp:
        solved.to_parquet(tmp, index=False)
    paths: list[Path] = []
    for i in range(min(figures, len(solved))):
        paths += save_evolution_figures(solved.iloc[i], out_dir / "figures", f"config{i}")
    evolved = solved["evolved"].astype(bool)
    return EvolveTableResult(
        out=out_dir,
        table=solved,
        n_rows=len(features),
        n_solved=len(features) - n_resumed,
        n_evolved=int(evolved.sum()),
        n_saturated=int((solved["saturated"].astype(bool) & evolved).sum()),
        seconds=time.perf_counter() - t0,
        figures=paths,
    )
