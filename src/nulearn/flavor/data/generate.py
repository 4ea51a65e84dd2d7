"""Labelled artificial data: sample moments under a scheme, reconstruct under a family, label.

Deterministic for a seed whatever the chunking or thread count: chunk ``k`` draws from
``numpy.random.default_rng([seed, k])``. The heavy steps (flux-factor inversion, crossing search)
are compiled and run on all cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nulearn import __version__
from nulearn.flavor.data.sampling import FLUX_FACTOR_CAP, SCHEMES, sample_features
from nulearn.flavor.physics.crossings import DEFAULT_N_MU, crossings_from_log_quadratic
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import (
    density_column,
    feature_names,
    flux_column,
    species_for_features,
    species_signs,
)
from nulearn.ml.interrupts import checked, checkpoint

__all__ = ["DEFAULT_CHUNK", "FAMILY_CHOICES", "generate", "generation_metadata", "label_chunk"]

FAMILY_CHOICES: tuple[str, ...] = ("maxent", "gaussian", "mix")
DEFAULT_CHUNK = 1 << 18


#: Family of each sample, stored as a categorical column with these categories.
_FAMILY_CATEGORIES: tuple[str, ...] = ("maxent", "gaussian")


def _family_codes(family: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Index into _FAMILY_CATEGORIES per sample, shape (n,), int8."""
    if family == "mix":
        # 50/50: all species of one sample share its family.
        return (rng.random(n) >= 0.5).astype(np.int8)
    if family in _FAMILY_CATEGORIES:
        return np.full(n, _FAMILY_CATEGORIES.index(family), dtype=np.int8)
    raise ValueError(f"unknown family {family!r}; expected one of {FAMILY_CHOICES}")


def label_chunk(
    features: dict[str, np.ndarray],
    family_codes: np.ndarray,
    families: Sequence[str] = _FAMILY_CATEGORIES,
    n_mu: int = DEFAULT_N_MU,
) -> dict[str, np.ndarray]:
    """Crossing labels for sampled features, each sample under its own family.

    Args:
        features: feature name -> (n,) array (ELN or ELN-XLN set).
        family_codes: (n,) integer index into ``families`` per sample.
        families: family names the codes refer to.
        n_mu: grid points for the sign search.

    Returns:
        ``crossing`` (int8), ``n_crossings`` (int16) and ``depth`` (float64), each (n,).
    """
    species = species_for_features(list(features))
    n = family_codes.size
    # Group cells by family once (stable sort), so every per-family step works on contiguous
    # slices; the kernel runs on the grouped order and the results are scattered back.
    order = np.argsort(family_codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(family_codes, minlength=len(families)))])
    grouped = {k: v[order] for k, v in features.items()}
    coef = np.empty((n, len(species), 3))
    for code, name in enumerate(families):
        lo, hi = int(bounds[code]), int(bounds[code + 1])
        if hi == lo:
            continue
        fam = get_family(name)
        for k, s in enumerate(species):
            dens = np.ones(hi - lo) if s == "nue" else grouped[density_column(s)][lo:hi]
            c = fam.log_quadratic(dens, grouped[flux_column(s)][lo:hi])
            if c is None:
                raise ValueError(
                    f"family {name!r} has no log-quadratic form; label it with label_moments"
                )
            coef[lo:hi, k] = c
    res = crossings_from_log_quadratic(coef, species_signs(species), n_mu)
    crossing = np.empty(n, dtype=np.int8)
    n_crossings = np.empty(n, dtype=np.int16)
    depth = np.empty(n)
    crossing[order] = res.has_crossing
    n_crossings[order] = res.n_crossings
    depth[order] = res.depth
    return {"crossing": crossing, "n_crossings": n_crossings, "depth": depth}


def _chunk(
    scheme: str, family: str, n: int, seed: int, index: int, n_mu: int
) -> dict[str, np.ndarray]:
    """Columns of one chunk: features, family codes (int8) and labels."""
    rng = np.random.default_rng([seed, index])
    feats = sample_features(scheme, n, rng)
    codes = _family_codes(family, n, rng)
    labels = label_chunk(feats, codes, _FAMILY_CATEGORIES, n_mu)
    return {**feats, "family": codes, **labels}


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    family = pd.Categorical.from_codes(columns["family"], categories=pd.Index(_FAMILY_CATEGORIES))
    data: dict[str, object] = {k: (family if k == "family" else v) for k, v in columns.items()}
    return pd.DataFrame(data)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def generate(
    scheme: str,
    family: str = "maxent",
    n: int = 100_000,
    seed: int = 0,
    *,
    unstable_fraction: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    n_mu: int = DEFAULT_N_MU,
    progress: bool = False,
) -> pd.DataFrame:
    """Generate ``n`` labelled samples.

    Args:
        scheme: ``"original"``, ``"hierarchical"`` or ``"xln"`` (:mod:`nulearn.flavor.data.sampling`).
        family: ``"maxent"``, ``"gaussian"`` or ``"mix"`` (each sample 50/50).
        n: number of rows returned.
        seed: master seed; the output is identical for any ``chunk_size`` that divides the work the
            same way, and for any thread count.
        unstable_fraction: if given, subsample so that exactly ``round(unstable_fraction * n)`` rows
            have a crossing (class balance of e.g. 5.5% as in deep-MLP studies); rows are drawn in
            generation order from extra chunks until both classes are filled, then shuffled.
        chunk_size: samples per chunk (bounds memory).
        n_mu: grid points of the crossing search.
        progress: show a progress bar.

    Returns:
        DataFrame: the scheme's feature columns, ``family``, ``crossing`` (0/1), ``n_crossings``, ``depth``.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    if family not in FAMILY_CHOICES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILY_CHOICES}")
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1; got {chunk_size}")
    if unstable_fraction is not None and not 0.0 <= unstable_fraction <= 1.0:
        raise ValueError(f"unstable_fraction must be in [0, 1]; got {unstable_fraction}")

    from tqdm.auto import tqdm

    bar = tqdm(total=n, unit="sample", disable=not progress, desc=f"generate {scheme}/{family}")
    if unstable_fraction is None:
        parts = []
        for index, lo in enumerate(checked(range(0, n, chunk_size))):
            size = min(chunk_size, n - lo)
            parts.append(_chunk(scheme, family, size, seed, index, n_mu))
            bar.update(size)
        bar.close()
        return _frame(_concat(parts))

    want_u = round(unstable_fraction * n)
    want_s = n - want_u
    unstable: list[dict[str, np.ndarray]] = []
    stable: list[dict[str, np.ndarray]] = []
    got_u = got_s = 0
    index = 0
    max_chunks = 10_000
    while (got_u < want_u or got_s < want_s) and index < max_chunks:
        checkpoint()
        cols = _chunk(scheme, family, chunk_size, seed, index, n_mu)
        index += 1
        rows_u = np.flatnonzero(cols["crossing"] == 1)[: max(0, want_u - got_u)]
        rows_s = np.flatnonzero(cols["crossing"] == 0)[: max(0, want_s - got_s)]
        unstable.append({k: v[rows_u] for k, v in cols.items()})
        stable.append({k: v[rows_s] for k, v in cols.items()})
        got_u += rows_u.size
        got_s += rows_s.size
        bar.update(rows_u.size + rows_s.size)
    bar.close()
    if got_u < want_u or got_s < want_s:
        raise RuntimeError(
            f"could not reach unstable_fraction={unstable_fraction} for {scheme}/{family}: "
            f"{got_u}/{want_u} unstable, {got_s}/{want_s} stable after {index} chunks"
        )
    merged = _concat(unstable + stable)
    order = np.random.default_rng([seed, 2**31 - 1]).permutation(n)
    return _frame({k: v[order] for k, v in merged.items()})


def generation_metadata(
    scheme: str,
    family: str,
    n: int,
    seed: int,
    unstable_fraction: float | None = None,
    n_mu: int = DEFAULT_N_MU,
) -> dict[str, Any]:
    """Provenance stored with a generated table."""
    return {
        "kind": "nulearn.flavor.data.generate",
        "scheme": scheme,
        "family": family,
        "n": n,
        "seed": seed,
        "unstable_fraction": unstable_fraction,
        "n_mu": n_mu,
        "flux_factor_cap": FLUX_FACTOR_CAP,
        "features": list(feature_names(scheme)),
        "label": "crossing",
        "nulearn_version": __version__,
    }
