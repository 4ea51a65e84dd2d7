"""Splits of labelled tables: random holdouts, by simulation profile, and by feature range."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.data.tables import label_array
from nulearn.ml.splits import group_holdout, stratified_holdout

__all__ = ["parse_ranges", "select_range", "split_by_profile", "split_dataset"]


def select_range(
    frame: pd.DataFrame, ranges: Mapping[str, tuple[float | None, float | None]]
) -> pd.DataFrame:
    """Rows whose features lie inside a box: lo <= frame[col] < hi for every (col, (lo, hi)).

    ``None`` leaves a side open. Example: ``{"F_nuebar": (None, 0.3)}`` keeps the nearly isotropic
    cells deep inside the decoupling region, our analogue of arXiv:2310.03807 Table III (r < 100 km).
    """
    mask = np.ones(len(frame), dtype=bool)
    for col, (lo, hi) in ranges.items():
        if col not in frame.columns:
            raise ValueError(
                f"range column {col!r} is not in the table; columns: {list(frame.columns)}"
            )
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(
                f"range for {col!r} is empty: lower bound {lo} must be below upper bound {hi}"
            )
        v = frame[col].to_numpy(dtype=np.float64)
        if lo is not None:
            mask &= v >= lo
        if hi is not None:
            mask &= v < hi
    return frame.loc[mask]


def parse_ranges(specs: Sequence[str]) -> dict[str, tuple[float | None, float | None]]:
    """Parse ``"COL=LO:HI"`` strings (either bound may be empty) into :func:`select_range` input.

    >>> parse_ranges(["F_nuebar=:0.3", "alpha=0.5:1.5"])
    {'F_nuebar': (None, 0.3), 'alpha': (0.5, 1.5)}
    """
    out: dict[str, tuple[float | None, float | None]] = {}
    for spec in specs:
        col, sep, bounds = spec.partition("=")
        lo_s, colon, hi_s = bounds.partition(":")
        if not sep or not colon or not col:
            raise ValueError(
                f"feature range {spec!r} must look like COLUMN=LOW:HIGH (a bound may be empty)"
            )
        try:
            lo = float(lo_s) if lo_s.strip() else None
            hi = float(hi_s) if hi_s.strip() else None
        except ValueError as err:
            raise ValueError(f"feature range {spec!r}: bounds must be numbers ({err})") from err
        out[col.strip()] = (lo, hi)
    return out


def split_dataset(
    frame: pd.DataFrame,
    *,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    label: str = "crossing",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stratified train / validation / test split.

    ``test_fraction`` of the data is the test set (the papers' 80/20 split); ``val_fraction`` of
    the *remaining* training part is set aside for early stopping and model selection. Either
    fraction may be 0 (that part is then empty).

    Returns:
        ``(train, validation, test)`` tables.
    """
    for nm, fr in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0.0 <= fr < 1.0:
            raise ValueError(f"{nm} = {fr} is outside the allowed range [0, 1)")
    y = label_array(frame, label)

    def _cut(
        df: pd.DataFrame, yy: NDArray[np.int8], frac: float, s: int
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        if frac == 0.0:
            return df, df.iloc[:0]
        both_classes = bool(np.bincount(yy, minlength=2).min() >= 2)
        h = stratified_holdout(yy, frac, s, stratify=both_classes)
        return df.iloc[h.train], df.iloc[h.val]

    rest, test = _cut(frame, y, test_fraction, seed)
    train, val = _cut(rest, label_array(rest, label), val_fraction, seed + 1)
    return train, val, test


def split_by_profile(
    frame: pd.DataFrame, train_fraction: float, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split realistic cells by profile id: whole profiles go to train or test, never both.

    Returns:
        ``(train, test)``; ``train`` holds ``round(train_fraction * n_profiles)`` profiles (>= 1,
        and at least one profile is left for the test).
    """
    if frame["profile"].nunique() < 2:
        raise ValueError(
            f"need >= 2 profiles to split by profile, got {frame['profile'].nunique()}"
        )
    h = group_holdout(frame["profile"].to_numpy(), train_fraction, seed)
    return frame.iloc[h.train].reset_index(drop=True), frame.iloc[h.val].reset_index(drop=True)
