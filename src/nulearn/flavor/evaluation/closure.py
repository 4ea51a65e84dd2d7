"""Train and score the learned asymptotic closure against the fast-flavor solver and every prescription.

Solver rows come from :func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many` (a directory of
``part-*.parquet`` chunks, or one Parquet file); only configurations whose instability saturated
are used (the others never reached an asymptotic state in the run). Rows are split by
configuration, or by ``profile`` where the rows carry one (cells of one transport profile are
neighbours and must not sit on both sides). The held-out rows are never used for fitting.

:func:`score_closure` puts the learned closure and every analytic prescription of
:mod:`nulearn.flavor.evaluation.asymptotic` side by side on the same rows, with the error of each
:data:`~nulearn.flavor.evaluation.asymptotic.QUANTITIES` and the largest violation of the
conserved quantities.

>>> import pandas as pd
>>> frame = pd.DataFrame({"saturated": [True, False, True], "profile": [0, 0, 1]})
>>> split = split_rows(frame, 0.5, seed=0)
>>> sorted(map(int, split.train)) + sorted(map(int, split.val))
[0, 1, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nulearn.flavor.evaluation.asymptotic import QUANTITIES, error_rows, score_prescriptions
from nulearn.flavor.models.closure import (
    CLOSURE_INPUTS,
    ClosureModel,
    fit_closure,
    moments_before,
)
from nulearn.flavor.physics.species import ELN_SIGN, SPECIES
from nulearn.flavor.physics.validity import validate_features
from nulearn.ml.splits import Holdout, group_holdout

__all__ = [
    "CLOSURE_NAME",
    "conservation_error",
    "evaluate_closure",
    "headline",
    "load_solver_rows",
    "score_closure",
    "split_rows",
    "train_closure",
]

#: Name of the learned closure in score tables.
CLOSURE_NAME = "learned_closure"


def load_solver_rows(paths: Sequence[str | Path], saturated_only: bool = True) -> pd.DataFrame:
    """Solver rows from ``evolve_many`` directories or Parquet files, concatenated.

    Rows get ``source`` (the index of their path) and, without a ``profile`` column, a unique
    ``profile`` per configuration (negative), so that splits are by configuration.

    Raises:
        FileNotFoundError: a path that does not exist or a directory without chunk files.
        ValueError: rows without ELN-XLN features or solver columns.
    """
    frames = []
    for k, raw in enumerate(paths):
        path = Path(raw)
        if path.is_dir():
            # ``nulearn flavor evolve --out DIR`` (asymptotic.parquet, or the chunks of a run
            # still going), or the chunk folder of ``evolve_many``
            files = [path / "asymptotic.parquet"] if (path / "asymptotic.parquet").is_file() else []
            files = files or sorted(path.glob("part-*.parquet"))
            files = files or sorted(path.glob("chunks/part-*.parquet"))
            if not files:
                raise FileNotFoundError(
                    f"solver directory {path} holds neither asymptotic.parquet nor "
                    "part-*.parquet chunks (nulearn flavor evolve output)"
                )
        elif path.is_file():
            files = [path]
        else:
            raise FileNotFoundError(f"solver rows {path} do not exist")
        frame = pd.concat([_read_rows(f) for f in files], ignore_index=True)
        needed = [*CLOSURE_INPUTS, "saturated", *(f"{q}_after" for q in QUANTITIES)]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(
                f"solver rows {path} lack columns {missing[:4]}; expected evolve_many output "
                "of ELN-XLN features"
            )
        # before filtering, so that a refusal names the row as it stands in the file
        validate_features(frame, CLOSURE_INPUTS, source=f"solver rows {path}")
        frame["source"] = k
        if "profile" not in frame.columns:
            frame["profile"] = -(np.arange(len(frame)) + 1) - 1_000_000 * k
        else:
            missing_profile = np.flatnonzero(frame["profile"].isna().to_numpy())
            if missing_profile.size:
                raise ValueError(
                    f"solver rows {path}: profile is missing in {missing_profile.size} rows "
                    f"(first: row {missing_profile[0]})"
                )
            # any labels (numbers or names); only equality matters for the split
            codes = pd.factorize(frame["profile"])[0].astype(np.int64)
            frame["profile"] = codes + 1_000_000 * k
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    if saturated_only:
        rows = rows[rows["saturated"].astype(bool)].reset_index(drop=True)
    return rows


def _read_rows(file: Path) -> pd.DataFrame:
    """One Parquet file of solver rows; a file that is not one is refused naming it."""
    try:
        return pd.read_parquet(file)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise ValueError(f"solver rows {file}: not a readable Parquet file ({err})") from None


def split_rows(rows: pd.DataFrame, test_fraction: float, seed: int) -> Holdout:
    """Training and held-out rows, by ``profile`` (each configuration is its own profile
    unless the rows carry transport profiles)."""
    return group_holdout(rows["profile"].to_numpy(), 1.0 - test_fraction, seed)


def conservation_error(features: pd.DataFrame, predicted: pd.DataFrame) -> float:
    """Largest violation (units of n_nue) of what the fast-limit equations conserve: per helicity
    the number ``n_e + n_x`` and number flux ``n_e F_e + n_x F_x`` summed over flavors, and the
    ELN-XLN number."""
    before = moments_before(features)
    worst = 0.0
    for e, x in (("nue", "nux"), ("nuebar", "nuxbar")):
        n_after = predicted[f"n_{e}"].to_numpy() + predicted[f"n_{x}"].to_numpy()
        j_after = (predicted[f"n_{e}"] * predicted[f"F_{e}"]).to_numpy() + (
            predicted[f"n_{x}"] * predicted[f"F_{x}"]
        ).to_numpy()
        worst = max(worst, float(np.abs(n_after - before[f"n_{e}"] - before[f"n_{x}"]).max()))
        worst = max(worst, float(np.abs(j_after - before[f"j_{e}"] - before[f"j_{x}"]).max()))
    eln = sum(ELN_SIGN[s] * predicted[f"n_{s}"].to_numpy() for s in SPECIES)
    eln_before = sum(ELN_SIGN[s] * before[f"n_{s}"] for s in SPECIES)
    return max(worst, float(np.abs(eln - eln_before).max()))


def score_closure(
    model: ClosureModel,
    rows: pd.DataFrame,
    family: str = "maxent",
    n_mu: int = 32,
    prescriptions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Errors of the closure and of every prescription on the same solver rows.

    Args:
        model: a fitted closure.
        rows: held-out solver rows (features and ``<quantity>_after``).
        family: closure of the prescriptions' angular reconstruction (the solver's).
        n_mu: beams of the prescriptions (the solver's ``n_mu``).
        prescriptions: which prescriptions (default all, ``box3d`` included).

    Returns:
        Columns ``prescription``, ``quantity``, ``n``, ``mae``, ``relative_error``,
        ``max_error`` (:func:`~nulearn.flavor.evaluation.asymptotic.score_prescriptions`),
        one block per method, the closure's named :data:`CLOSURE_NAME`.
    """
    solver_cols = [c for c in rows.columns if c.endswith(("_after", "_before"))]
    base = rows[[*CLOSURE_INPUTS, *solver_cols]].reset_index(drop=True)
    kwargs = {} if prescriptions is None else {"prescriptions": tuple(prescriptions)}
    table = score_prescriptions(base, family, n_mu=n_mu, **kwargs)
    predicted = model.predict(base[list(CLOSURE_INPUTS)])
    return pd.concat(
        [table, pd.DataFrame(error_rows(CLOSURE_NAME, base, predicted))], ignore_index=True
    )


def headline(table: pd.DataFrame, quantity: str = "n_nue") -> dict[str, float | str]:
    """The closure's error on ``quantity``, the best prescription's and their ratio."""
    q = table[table["quantity"] == quantity].set_index("prescription")["mae"]
    others = q.drop(CLOSURE_NAME)
    best = str(others.idxmin())
    return {
        "quantity": quantity,
        "closure_mae": float(q[CLOSURE_NAME]),
        "best_prescription": best,
        "best_mae": float(others[best]),
        "ratio": float(q[CLOSURE_NAME] / others[best]),
    }


def train_closure(
    solver_paths: Sequence[str | Path],
    out: str | Path,
    *,
    test_fraction: float = 0.25,
    seed: int = 0,
    hidden: tuple[int, ...] = (32, 32),
    pretrain_rows: int = 10000,
    pretrain_epochs: int = 2500,
    finetune_epochs: int = 400,
    n_mu: int = 32,
) -> tuple[ClosureModel, pd.DataFrame]:
    """Load solver rows, split by configuration/profile, fit, score the held-out rows, save.

    The one library call of ``nulearn flavor closure train``. The held-out table (closure and
    every prescription) is stored in the model's metadata and returned.

    Returns:
        (model, held-out error table of :func:`score_closure`).
    """
    from nulearn.flavor.models.closure import CLOSURE_FILE
    from nulearn.ml.io import check_output

    check_output(out, directory=True, what="--out", replaceable=[CLOSURE_FILE])
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"--test-fraction = {test_fraction}; allowed range (0, 1)")
    rows = load_solver_rows(solver_paths)
    if rows["profile"].nunique() < 2:
        raise ValueError(f"{len(rows)} saturated solver rows: need at least 2 configurations")
    split = split_rows(rows, test_fraction, seed)
    train, test = rows.iloc[split.train], rows.iloc[split.val]
    model = fit_closure(
        train,
        hidden,
        pretrain_rows=pretrain_rows,
        pretrain_epochs=pretrain_epochs,
        finetune_epochs=finetune_epochs,
        seed=seed,
        metadata={"scheme": "xln", "family": "maxent", "split_seed": seed},
    )
    table = score_closure(model, test, n_mu=n_mu)
    meta = dict(model.metadata or {})
    meta["heldout"] = {
        "rows": len(test),
        "train_rows": len(train),
        "conservation_error": conservation_error(
            test[list(CLOSURE_INPUTS)], model.predict(test[list(CLOSURE_INPUTS)])
        ),
        "table": table.to_dict(orient="records"),
        **headline(table),
    }
    model = ClosureModel(model.mean, model.scale, model.weights, model.biases, model.domain, meta)
    model.save(out)
    return model, table


def evaluate_closure(
    closure: str | Path,
    solver_paths: Sequence[str | Path],
    n_mu: int = 32,
    out: str | Path | None = None,
) -> pd.DataFrame:
    """Score a saved closure and every prescription on solver rows; the one library call of
    ``nulearn flavor closure evaluate``. Writes the table as CSV when ``out`` is given."""
    from nulearn.ml.io import atomic_output, check_output

    if out is not None:
        check_output(out, suffixes=[".csv"], what="--out")
    model = ClosureModel.load(closure)
    table = score_closure(model, load_solver_rows(solver_paths), n_mu=n_mu)
    if out is not None:
        with atomic_output(out) as tmp:
            table.to_csv(tmp, index=False)
    return table
