"""Labelled moment tables on disk: Parquet (default) or HDF5, with provenance metadata.

Metadata (scheme, family mix, seed, package version, feature names, ...) travels inside the file:
in the Parquet schema's key-value metadata under ``b"nulearn"``, or as a JSON attribute of the HDF5
group, so a table is never separated from how it was made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from nulearn.ml.metrics import (
    non_binary_index,
)

__all__ = ["Dataset", "label_array", "read_dataset", "write_dataset"]

_HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")
_META_KEY = b"nulearn"


@dataclass
class Dataset:
    """A labelled moment table and its provenance."""

    frame: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def _is_hdf5(path: Path) -> bool:
    return path.suffix.lower() in _HDF5_SUFFIXES


def write_dataset(
    frame: pd.DataFrame, path: str | Path, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``frame`` with ``metadata`` to Parquet, or HDF5 when the suffix is .h5/.hdf5.

    Args:
        frame: the table (numeric and string columns).
        path: output file; its folder is created.
        metadata: JSON-serializable provenance.

    Returns:
        The path written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(metadata or {}, default=str)
    tmp = out.with_name(out.name + ".partial")
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
    # Write-then-rename: an interrupted run never leaves a truncated file under the final name.
    tmp.replace(out)
    return out


def read_dataset(path: str | Path, columns: list[str] | None = None) -> Dataset:
    """Read a table written by :func:`write_dataset` (or any Parquet/HDF5 table of that layout).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is neither Parquet nor a nulearn HDF5 table, or a column is missing.
    """
    src = Path(path)
    if not src.exists():
        raise FileNotFoundError(f"no such dataset: {src}")
    if _is_hdf5(src):
        with h5py.File(src, "r") as h5:
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
    try:
        pf = pq.ParquetFile(src)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{src}: not a Parquet or HDF5 table ({exc})") from exc
    names = pf.schema_arrow.names
    if columns is not None:
        missing = [c for c in columns if c not in names]
        if missing:
            raise ValueError(f"{src}: missing columns {missing}; present: {names}")
    table = pf.read(columns=columns)
    raw = (pf.schema_arrow.metadata or {}).get(_META_KEY, b"{}")
    return Dataset(table.to_pandas(), json.loads(raw))


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
