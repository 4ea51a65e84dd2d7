"""The one validation module of :mod:`nulearn.flavor`: physical inputs are checked here, at every
entry point, so that an unphysical or malformed input is refused with one clear line rather than
turned into a silent wrong label.

What is checked, and the message it gives (``source`` names the file or table; rows are counted
from 0 in the order of the user's file, as pandas and h5py number them):

* moments of one species (:func:`validate_moments`): number density finite and > 0, flux factor
  finite and in [0, 1);
* feature tables (:func:`validate_features`): numbers, not text; density ratios ``alpha*`` and
  number densities ``n_*`` finite and > 0; flux factors ``F_*`` finite and in [0, 1); direction
  cosines ``cos_*`` in [-1, 1]; anything else finite;
* tables (:func:`require_rows`): at least one row;
* labels (:func:`validate_labels`): every label 0 or 1 (a NaN or a 2 is refused with the count
  and the first row, never dropped);
* feature choices (:func:`check_feature_choice`): a label, or a column computed from the label
  (``crossing``, ``n_crossings``, ``depth``, ``valid``, ...), is never a feature.

>>> import pandas as pd
>>> frame = pd.DataFrame({"alpha": [0.5, -1.0], "F_nue": [0.2, 0.3], "F_nuebar": [0.4, 0.5]})
>>> validate_features(frame, ["alpha", "F_nue", "F_nuebar"], source="t.parquet")
Traceback (most recent call last):
...
ValueError: t.parquet: feature 'alpha' must be finite and > 0; row 1 has -1.0
>>> validate_features(frame, ["alpha", "F_nue", "F_nuebar"], mask=True).tolist()
[True, False]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HEAVY_LEPTON_COLUMNS",
    "LABEL_DERIVED_COLUMNS",
    "check_feature_choice",
    "check_flux_factor",
    "check_scheme",
    "feature_rule",
    "require_rows",
    "validate_features",
    "validate_labels",
    "validate_moments",
]

#: Columns computed from the crossing label (or from what decides it): never features.
LABEL_DERIVED_COLUMNS: frozenset[str] = frozenset(
    {
        "crossing",
        "n_crossings",
        "depth",
        "valid",
        "eln_min",
        "eln_max",
        "unstable",
        "growth_rate",
        "growth_rate_m0",
        "growth_rate_m1",
        "log10_growth",
        "p_crossing",
        "crossing_pred",
        "family",
    }
)


def _first(bad: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(bad.ravel())[0])


def _prefix(source: str | None) -> str:
    return f"{source}: " if source else ""


@overload
def validate_moments(
    number_density: ArrayLike,
    flux_factor: ArrayLike,
    species: str = ...,
    mask: Literal[False] = ...,
) -> None: ...
@overload
def validate_moments(
    number_density: ArrayLike, flux_factor: ArrayLike, species: str = ..., *, mask: Literal[True]
) -> NDArray[np.bool_]: ...


def validate_moments(
    number_density: ArrayLike,
    flux_factor: ArrayLike,
    species: str = "nu",
    mask: bool = False,
) -> NDArray[np.bool_] | None:
    """Check that number densities are finite and > 0 and flux factors finite and in [0, 1).

    Args:
        number_density: I_0 per cell, shape (n_cells,) (any unit).
        flux_factor: F = I_1 / I_0 per cell, shape (n_cells,), dimensionless.
        species: name used in the error message.
        mask: if True, return a boolean validity mask instead of raising.

    Raises:
        ValueError: naming the species, the quantity, the first offending row and its value.
    """
    n = np.asarray(number_density, dtype=np.float64)
    f = np.asarray(flux_factor, dtype=np.float64)
    if n.shape != f.shape:
        raise ValueError(
            f"{species}: number_density shape {n.shape} differs from flux_factor shape {f.shape}"
        )
    bad_n = ~np.isfinite(n) | (n <= 0)
    bad_f = ~np.isfinite(f) | (f < 0) | (f >= 1)
    if mask:
        return ~(bad_n | bad_f)
    if bad_n.any():
        i = _first(bad_n)
        raise ValueError(
            f"{species}: number density must be finite and > 0; row {i} has {float(n.ravel()[i])!r}"
        )
    if bad_f.any():
        i = _first(bad_f)
        raise ValueError(
            f"{species}: flux factor must be finite and in [0, 1); row {i} has {float(f.ravel()[i])!r}"
        )
    return None


def check_flux_factor(flux_factor: ArrayLike, species: str = "nu") -> NDArray[np.float64]:
    """Return ``flux_factor`` as float64 after checking it is finite and in [0, 1)."""
    f = np.asarray(flux_factor, dtype=np.float64)
    validate_moments(np.ones_like(f), f, species=species)
    return f


def feature_rule(column: str) -> tuple[str, float, float, bool, bool]:
    """The physical range of a feature column: (description, low, high, low open, high open).

    >>> feature_rule("F_nux")[0]
    'finite and in [0, 1)'
    """
    if column.startswith("F_"):
        return "finite and in [0, 1)", 0.0, 1.0, False, True
    if column.startswith(("alpha", "n_")):
        return "finite and > 0", 0.0, np.inf, True, True
    if column.startswith("cos_"):
        return "finite and in [-1, 1]", -1.0, 1.0, False, False
    return "finite", -np.inf, np.inf, True, True


def _numeric(frame: pd.DataFrame, column: str, source: str | None) -> NDArray[np.float64]:
    """A column as float64; text or other non-numbers refused with the first offending row."""
    import pandas as pd

    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not (
        pd.api.types.is_numeric_dtype(series.dtype)
    ):
        as_num = pd.to_numeric(series, errors="coerce")
        bad = as_num.isna() & series.notna()
        i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise ValueError(
            f"{_prefix(source)}column {column!r} holds {series.dtype} values, not numbers "
            f"(row {i} has {series.iloc[i]!r})"
        )
    return series.to_numpy(dtype=np.float64)


def validate_features(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    source: str | None = None,
    mask: bool = False,
) -> NDArray[np.bool_]:
    """Check feature columns against their physical ranges (:func:`feature_rule`).

    Args:
        frame: the feature table, shape (n_rows, ...).
        columns: the columns to check (all must be present).
        source: the file or table name for messages.
        mask: return a validity mask (n_rows,) instead of raising on a value out of range (a
            missing column or text is still refused).

    Returns:
        Boolean mask of valid rows, shape (n_rows,) (all True when ``mask`` is False).

    Raises:
        ValueError: naming the source, the column, the first offending row, its value and the
            allowed range.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{_prefix(source)}lacks columns {missing}; present: {list(map(str, frame.columns))}"
        )
    valid = np.ones(len(frame), dtype=bool)
    for col in columns:
        v = _numeric(frame, col, source)
        rule, lo, hi, lo_open, hi_open = feature_rule(col)
        with np.errstate(invalid="ignore"):
            below = (v <= lo) if lo_open else (v < lo)
            above = (v >= hi) if hi_open else (v > hi)
        bad = ~np.isfinite(v) | below | above
        if bad.any() and not mask:
            i = _first(bad)
            raise ValueError(
                f"{_prefix(source)}feature {col!r} must be {rule}; row {i} has {float(v[i])!r}"
            )
        valid &= ~bad
    return valid


def require_rows(frame: pd.DataFrame, source: str | None = None) -> None:
    """Refuse a table with no rows (a command on it would write an empty, meaningless answer)."""
    if len(frame) == 0:
        raise ValueError(f"{_prefix(source)}the table has no rows")


def validate_labels(
    frame: pd.DataFrame, label: str = "crossing", source: str | None = None
) -> NDArray[np.int8]:
    """The 0/1 label column as int8, shape (n_rows,); anything else is refused, never dropped.

    Raises:
        ValueError: the column is absent, or holds values other than 0 and 1 (the message gives
            how many rows and the first of them).
    """
    if label not in frame.columns:
        raise ValueError(
            f"{_prefix(source)}has no label column {label!r}; columns: {list(map(str, frame.columns))}"
        )
    raw = frame[label].to_numpy()
    try:
        y = raw.astype(np.float64)
    except (TypeError, ValueError):
        y = np.full(raw.shape, np.nan)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        i = _first(bad)
        raise ValueError(
            f"{_prefix(source)}label {label!r} must be 0 or 1; {int(bad.sum())} rows are not "
            f"(first: row {i} has {raw[i]!r}); drop or relabel them first"
        )
    return y.astype(np.int8)


def check_feature_choice(features: Sequence[str], label: str = "crossing") -> None:
    """Refuse features that are the label or are computed from it (a model would read the answer).

    >>> check_feature_choice(["alpha", "F_nue", "depth"])
    Traceback (most recent call last):
    ...
    ValueError: feature 'depth' is computed from the crossing label (or is the label); a model reading it would score above the Bayes ceiling without learning anything
    """
    forbidden = LABEL_DERIVED_COLUMNS | {label}
    for f in features:
        if f in forbidden:
            raise ValueError(
                f"feature {f!r} is computed from the crossing label (or is the label); a model "
                "reading it would score above the Bayes ceiling without learning anything"
            )
    dupes = sorted({f for f in features if list(features).count(f) > 1})
    if dupes:
        raise ValueError(f"features {dupes} are listed more than once")


#: Columns that carry heavy-lepton (nu_x, nu_xbar) moments, as features or raw moments.
HEAVY_LEPTON_COLUMNS: tuple[str, ...] = (
    "alpha_x",
    "alpha_xbar",
    "F_nux",
    "F_nuxbar",
    "n_nux",
    "n_nuxbar",
)


def check_scheme(
    model_features: Sequence[str],
    frame: pd.DataFrame,
    *,
    source: str,
    model: str = "the model",
    ignore_heavy_leptons: bool = False,
) -> None:
    """Refuse to apply an ELN model to data that carry distinct heavy-lepton moments.

    An ELN model reads only nu_e and nu_ebar; given ELN-XLN data it silently assumes
    nu_x = nu_xbar, and where they differ the ELN-XLN crossing it should flag is not the ELN one.
    Data whose nu_x and nu_xbar moments are identical on every row are accepted (ELN-XLN = ELN
    there), and so is everything when ``ignore_heavy_leptons`` is set.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"alpha": [1.0], "F_nue": [0.1], "F_nuebar": [0.2], "alpha_x": [0.5],
    ...                   "alpha_xbar": [0.7], "F_nux": [0.3], "F_nuxbar": [0.3]})
    >>> check_scheme(["alpha", "F_nue", "F_nuebar"], t, source="t.parquet")
    Traceback (most recent call last):
    ...
    ValueError: t.parquet carries heavy-lepton moments (alpha_x, alpha_xbar, F_nux, F_nuxbar) that differ between nu_x and nu_xbar (first: row 0), but the model was trained on the ELN scheme (features alpha, F_nue, F_nuebar) and ignores them, so its flags there miss ELN-XLN crossings; use an ELN-XLN model, or --ignore-heavy-leptons to accept that
    """
    if ignore_heavy_leptons or any(f in HEAVY_LEPTON_COLUMNS for f in model_features):
        return
    present = [c for c in HEAVY_LEPTON_COLUMNS if c in frame.columns]
    if not present:
        return
    differ = np.zeros(len(frame), dtype=bool)
    for a, b in (("alpha_x", "alpha_xbar"), ("F_nux", "F_nuxbar"), ("n_nux", "n_nuxbar")):
        if a in frame.columns and b in frame.columns:
            differ |= frame[a].to_numpy() != frame[b].to_numpy()
        elif (a in frame.columns) != (b in frame.columns):
            differ[:] = True
    if not differ.any():
        return
    raise ValueError(
        f"{source} carries heavy-lepton moments ({', '.join(present)}) that differ between nu_x "
        f"and nu_xbar (first: row {_first(differ)}), but {model} was trained on the ELN scheme "
        f"(features {', '.join(model_features)}) and ignores them, so its flags there miss "
        "ELN-XLN crossings; use an ELN-XLN model, or --ignore-heavy-leptons to accept that"
    )
