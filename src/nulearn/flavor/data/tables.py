"""Labelled moment tables on disk: Parquet (default) or HDF5, with provenance metadata.

Metadata (scheme, family mix, seed, package version, feature names, ...) travels inside the file:
in the Parquet schema's key-value metadata under ``b"nulearn"``, or as a JSON attribute of the HDF5
group, so a table is never separated from how it was made.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from nulearn.ml.io import atomic_output, check_input_file, check_output, open_hdf5
from nulearn.ml.metrics import (
    non_binary_index,
)

__all__ = [
    "TABLE_SUFFIXES",
    "Dataset",
    "check_table_output",
    "label_array",
    "read_dataset",
    "read_table",
    "write_dataset",
]

_HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")
_PARQUET_SUFFIXES = (".parquet", ".pq")
#: File suffixes a table is written with: the suffix names the format.
TABLE_SUFFIXES: tuple[str, ...] = _PARQUET_SUFFIXES + _HDF5_SUFFIXES
_META_KEY = b"nulearn"


@dataclass
class Dataset:
    """A labelled moment table and its provenance."""

    frame: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def _is_hdf5(path: Path) -> bool:
    return path.suffix.lower() in _HDF5_SUFFIXES


def check_table_output(path: str | Path, what: str = "--out") -> Path:
    """Refuse, before any work, a table output that cannot be written or whose suffix names no
    table format (``.parquet``/``.pq`` or ``.h5``/``.hdf5``/``.hdf``).

    >>> check_table_output("labels.csv")
    Traceback (most recent call last):
    ...
    ValueError: cannot write labels.csv: --out must end in .parquet, .pq, .h5, .hdf5, .hdf (got '.csv')
    """
    return check_output(path, suffixes=TABLE_SUFFIXES, what=what)


def write_dataset(
    frame: pd.DataFrame, path: str | Path, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``frame`` with ``metadata`` to Parquet (.parquet, .pq) or HDF5 (.h5, .hdf5, .hdf);
    any other suffix is refused rather than written in a format the name does not say.

    Args:
        frame: the table (numeric and string columns).
        path: output file; its folder is created.
        metadata: JSON-serializable provenance.

    Returns:
        The path written.
    """
    out = check_table_output(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(metadata or {}, default=str)
    # Write-then-rename: an interrupted or failed write never leaves a file under the final name.
    with atomic_output(out) as tmp:
        if _is_hdf5(out):
            with h5py.File(tmp, "w") as h5:
                grp = h5.create_group("table")
                grp.attrs["metadata"] = meta
                grp.attrs["columns"] = json.dumps(list(frame.columns))
                for col in frame.columns:
                    series = frame[col]
                    attrs = {}
                    if isinstance(series.dtype, pd.CategoricalDtype):
                        # Codes plus categories: compact, and read back as the same categorical.
                        values = series.cat.codes.to_numpy()
                        attrs["categories"] = json.dumps([str(c) for c in series.cat.categories])
                    elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
                        values = series.astype(str).to_numpy().astype("S")
                    else:
                        values = series.to_numpy()
                    dset = grp.create_dataset(
                        col, data=values, compression="gzip", compression_opts=1, shuffle=True
                    )
                    dset.attrs.update(attrs)
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            schema_meta = dict(table.schema.metadata or {})
            schema_meta[_META_KEY] = meta.encode()
            pq.write_table(table.replace_schema_metadata(schema_meta), tmp, compression="zstd")
    return out


def _read_hdf5_table(src: Path, columns: list[str] | None) -> Dataset:
    """The ``/table`` group of a nulearn HDF5 table (one dataset per column)."""
    with open_hdf5(src, what="table") as h5:
        if "table" not in h5:
            raise ValueError(f"{src}: no 'table' group; groups present: {list(h5.keys())}")
        grp = h5["table"]
        all_cols = json.loads(grp.attrs.get("columns", json.dumps(list(grp.keys()))))
        cols = columns or all_cols
        missing = [c for c in cols if c not in grp]
        if missing:
            raise ValueError(f"{src}: missing columns {missing}; present: {all_cols}")
        data: dict[str, Any] = {}
        for c in cols:
            v = grp[c][()]
            if "categories" in grp[c].attrs:
                data[c] = pd.Categorical.from_codes(
                    v, categories=json.loads(grp[c].attrs["categories"])
                )
            else:
                data[c] = v.astype(str) if v.dtype.kind == "S" else v
        meta = json.loads(grp.attrs.get("metadata", "{}"))
    return Dataset(pd.DataFrame(data), meta)


def read_dataset(path: str | Path, columns: list[str] | None = None) -> Dataset:
    """Read a table written by :func:`write_dataset` (or any Parquet/HDF5 table of that layout).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is neither Parquet nor a nulearn HDF5 table, or a column is missing.
    """
    src = check_input_file(path, "table")
    if _is_hdf5(src):
        try:
            return _read_hdf5_table(src, columns)
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"table {src}: unreadable HDF5 table ({exc})") from None
    try:
        pf = pq.ParquetFile(src)
    except (pa.ArrowInvalid, OSError) as exc:
        hint = (
            "; a CSV table can be converted with pandas: "
            "pd.read_csv(path).to_parquet('table.parquet')"
            if src.suffix.lower() == ".csv"
            else ""
        )
        raise ValueError(
            f"table {src}: not a readable Parquet or HDF5 table ({exc}){hint}"
        ) from None
    names = pf.schema_arrow.names
    if columns is not None:
        missing = [c for c in columns if c not in names]
        if missing:
            raise ValueError(f"{src}: missing columns {missing}; present: {names}")
    try:
        table = pf.read(columns=columns)
        raw = (pf.schema_arrow.metadata or {}).get(_META_KEY, b"{}")
        return Dataset(table.to_pandas(), json.loads(raw))
    except (pa.ArrowException, OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"table {src}: unreadable Parquet data ({exc})") from None


def read_table(
    path: str | Path,
    *,
    features: Sequence[str] | None = None,
    label: str | None = None,
    mask_invalid: bool = False,
) -> Dataset:
    """Read a table and check it at the boundary, through :mod:`nulearn.flavor.physics.validity`.

    Checks: the file is a readable Parquet/HDF5 table with at least one row; the ``features``
    (if given) are present, numeric and in their physical ranges (with ``mask_invalid`` an
    out-of-range value is left for the caller to mask, text or a missing column still fails);
    the ``label`` (if given) is 0 or 1 on every row.

    Raises:
        ValueError: one line naming the file, the column, the first offending row and its value.
    """
    from nulearn.flavor.physics.validity import require_rows, validate_features, validate_labels

    ds = read_dataset(path)
    source = str(path)
    require_rows(ds.frame, source)
    if features is not None:
        validate_features(ds.frame, list(features), source=source, mask=mask_invalid)
    if label is not None:
        validate_labels(ds.frame, label, source=source)
    return ds


def label_array(frame: pd.DataFrame, label: str = "crossing") -> NDArray[np.int8]:
    """The 0/1 label column as int8, shape (n_samples,); raises if a label is missing or not 0/1."""
    if label not in frame.columns:
        raise ValueError(f"table has no label column {label!r}; columns: {list(frame.columns)}")
    y = frame[label].to_numpy()
    i = non_binary_index(y)
    if i is not None:
        raise ValueError(
            f"label {label!r} at row {i} is {y[i]!r}; allowed labels are 0 and 1 (drop invalid rows first)"
        )
    return y.astype(np.int8)
