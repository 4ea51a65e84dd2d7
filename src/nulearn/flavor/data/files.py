"""Table files in, table files out: what ``nulearn flavor generate | label | generate3d | label3d |
growth`` run, one function each.

Every function reads (or generates) a table, computes, writes a Parquet/HDF5 table with
provenance metadata (:func:`nulearn.flavor.data.tables.write_dataset`) and returns a
:class:`WrittenTable` with the table and the compute time (file I/O excluded).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.tables import check_table_output, read_table, write_dataset
from nulearn.ml.interrupts import checked

__all__ = [
    "WrittenTable",
    "generate3d_file",
    "generate_file",
    "growth_file",
    "label3d_file",
    "label_file",
    "moment_features",
]


@dataclass(frozen=True)
class WrittenTable:
    """A table that was written.

    Attributes:
        path: the file written.
        frame: the table, shape (n_rows, n_columns).
        seconds: wall time of the computation (reading and writing excluded).
    """

    path: Path
    frame: pd.DataFrame
    seconds: float


def moment_features(
    frame: pd.DataFrame, source: str, *, mask_invalid: bool = False
) -> pd.DataFrame:
    """The ELN or ELN-XLN feature columns of a moment table, checked against their physical ranges.

    A table holds either the features (``alpha, F_nue, F_nuebar`` (ELN), plus ``alpha_x,
    alpha_xbar, F_nux, F_nuxbar`` (ELN-XLN)) or raw moments (``n_nue, n_nuebar[, n_nux,
    n_nuxbar], F_*``, densities in any common unit), which become those features. Other columns
    are kept.

    Raises:
        ValueError: neither layout is present, or (unless ``mask_invalid``) a value is outside its
            physical range, naming ``source``, the column and the first offending row.
    """
    from nulearn.flavor.physics.species import (
        features_from_moments,
        raw_moment_columns,
        species_for_features,
    )
    from nulearn.flavor.physics.validity import validate_features

    if "alpha" not in frame.columns and "n_nue" in frame.columns:
        validate_features(frame, raw_moment_columns(frame), source=source, mask=mask_invalid)
        # Unphysical rows (kept only with mask_invalid) get unphysical features and are masked
        # downstream; they never receive a label.
        feats = features_from_moments(frame, validate=False)
        return frame.drop(columns=[c for c in feats.columns if c in frame.columns]).join(feats)
    try:
        species = species_for_features(frame.columns)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    validate_features(frame, feature_names_for(species), source=source, mask=mask_invalid)
    return frame


def feature_names_for(species: tuple[str, ...]) -> tuple[str, ...]:
    """The ELN (two species) or ELN-XLN (four species) feature columns."""
    from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES

    return XLN_FEATURES if len(species) == 4 else ELN_FEATURES


def generate_file(
    out: str | Path,
    scheme: str,
    family: str,
    n: int,
    seed: int,
    *,
    unstable_fraction: float | None = None,
    chunk_size: int = 1 << 18,
    progress: bool = False,
) -> WrittenTable:
    """Labelled samples of a sampling scheme (:func:`nulearn.flavor.data.generate.generate`), written to ``out``."""
    from nulearn.flavor.data.generate import generate, generation_metadata

    check_table_output(out)
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
    seconds = time.perf_counter() - t0
    meta = generation_metadata(scheme, family, n, seed, unstable_fraction)
    return WrittenTable(write_dataset(frame, out, meta), frame, seconds)


def label_file(
    inp: str | Path,
    out: str | Path,
    family: str = "maxent",
    *,
    n_mu: int = 401,
    mask_invalid: bool = False,
) -> WrittenTable:
    """The analytic crossing test (:func:`nulearn.flavor.data.labelling.label_moments`) on a table.

    Input columns: the features ``alpha, F_nue, F_nuebar`` (ELN), plus ``alpha_x, alpha_xbar,
    F_nux, F_nuxbar`` (ELN-XLN); or raw moments ``n_nue, n_nuebar[, n_nux, n_nuxbar], F_*``,
    converted to those features first.

    Raises:
        ValueError: an unphysical row (unless ``mask_invalid``: it gets ``crossing = -1``).
    """
    from nulearn.flavor.data.labelling import label_moments

    check_table_output(out)
    ds = read_table(inp)
    frame = moment_features(ds.frame, str(inp), mask_invalid=mask_invalid)
    t0 = time.perf_counter()
    labelled = label_moments(
        frame, family, n_mu=n_mu, on_invalid="mask" if mask_invalid else "raise"
    )
    seconds = time.perf_counter() - t0
    meta = {**ds.metadata, "labelled_by": f"analytic {family} test", "n_mu": n_mu}
    return WrittenTable(write_dataset(labelled, out, meta), labelled, seconds)


def generate3d_file(
    out: str | Path,
    n: int,
    seed: int,
    *,
    scheme: str = "xln",
    spread: float = 0.3,
    n_directions: int = 2000,
) -> WrittenTable:
    """Random 3D moments with invariant features and analytic 3D maxent labels
    (:func:`nulearn.flavor.data.generate3d.generate3d`), written to ``out``."""
    from nulearn.flavor.data.generate3d import generate3d

    check_table_output(out)
    t0 = time.perf_counter()
    frame = generate3d(n, seed, scheme=scheme, direction_spread=spread, n_directions=n_directions)
    seconds = time.perf_counter() - t0
    meta = {
        "scheme": scheme,
        "direction_spread": spread,
        "seed": seed,
        "n_directions": n_directions,
        "moments": "3d",
    }
    return WrittenTable(write_dataset(frame, out, meta), frame, seconds)


def label3d_file(inp: str | Path, out: str | Path, *, n_directions: int = 2000) -> WrittenTable:
    """The analytic 3D maximum-entropy test from number densities and flux vectors.

    The output is the input with the rotation-invariant features
    (:func:`~nulearn.flavor.physics.moments3d.features_from_moments3d`) and the labels
    (:func:`~nulearn.flavor.physics.moments3d.label_moments3d`) added or replaced.
    """
    from nulearn.flavor.physics.moments3d import features_from_moments3d, label_moments3d

    check_table_output(out)
    ds = read_table(inp)
    t0 = time.perf_counter()
    labels = label_moments3d(ds.frame, n_directions=n_directions)
    features = features_from_moments3d(ds.frame)
    seconds = time.perf_counter() - t0
    frame = (
        ds.frame.drop(
            columns=[c for c in (*features.columns, *labels.columns) if c in ds.frame.columns]
        )
        .join(features)
        .join(labels)
    )
    meta = {**ds.metadata, "labelled_by": "analytic 3D maxent test", "n_directions": n_directions}
    return WrittenTable(write_dataset(frame, out, meta), frame, seconds)


#: Cells per growth-rate chunk (a progress step of about a second at the default resolution).
_GROWTH_CHUNK = 2000


def _growth_from_npz(inp: Path, config: Any, n_nue_cm3: float | None) -> pd.DataFrame:
    from nulearn.flavor.physics.stability import growth_rate, growth_rate_per_second
    from nulearn.ml.io import load_npz

    data = load_npz(inp, keys=("eln", "mu"), what="distributions")
    eln = np.asarray(data["eln"], dtype=np.float64)
    if eln.ndim != 2 or eln.shape[0] == 0 or not np.isfinite(eln).all():
        raise ValueError(
            f"distributions {inp}: 'eln' must be a finite (n_cells >= 1, n_mu) array, got shape "
            f"{eln.shape}"
        )
    frame = pd.DataFrame(growth_rate(eln, data["mu"], config).to_frame())
    if n_nue_cm3 is not None:
        frame["growth_rate_per_s"] = growth_rate_per_second(
            frame["growth_rate"].to_numpy(), n_nue_cm3
        )
    return frame


def growth_file(
    inp: str | Path,
    out: str | Path,
    family: str = "maxent",
    *,
    n_beams: int = 24,
    n_k: int = 64,
    n_nue_cm3: float | None = None,
    progress: bool = False,
) -> WrittenTable:
    """Fast-instability growth rates (max over k of Im omega, m = 0 and m = 1) of every cell.

    Args:
        inp: moments (``.parquet``/``.h5``: features or ``n_*``, ``F_*``), closed by ``family``;
            or distributions (``.npz`` with ``eln`` (n_cells, n_mu) and ``mu`` (n_mu,)).
        out: output table with the growth-rate columns (in units of sqrt(2) G_F n_nue, and in
            1/s when ``n_nue_cm3``, the nu_e density in cm^-3, is given).
        family, n_beams, n_k: closure and discretization
            (:class:`~nulearn.flavor.physics.stability.StabilityConfig`).
    """
    from tqdm.auto import tqdm

    from nulearn.flavor.physics.stability import StabilityConfig, growth_table

    path = Path(inp)
    check_table_output(out)
    config = StabilityConfig(n_beams=n_beams, n_k=n_k)
    if path.suffix.lower() == ".npz":
        t0 = time.perf_counter()
        frame = _growth_from_npz(path, config, n_nue_cm3)
        meta: dict[str, Any] = {"source": str(path)}
    else:
        ds = read_table(path)
        moments = moment_features(ds.frame, str(path))
        t0 = time.perf_counter()
        # Cells are independent: solving in chunks changes nothing but shows progress.
        chunks = range(0, len(moments), _GROWTH_CHUNK)
        frame = pd.concat(
            [
                pd.DataFrame(
                    growth_table(moments.iloc[i : i + _GROWTH_CHUNK], family, config, n_nue_cm3)
                )
                for i in checked(tqdm(chunks, desc="growth", unit="chunk", disable=not progress))
            ]
        )
        meta = dict(ds.metadata)
    seconds = time.perf_counter() - t0
    meta["growth"] = {"family": family, **config.to_dict()}
    return WrittenTable(write_dataset(frame, out, meta), frame, seconds)
