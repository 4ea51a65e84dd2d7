"""Simulated event files: ``.npz`` archives holding the truth and the hit list of n events, written
whole or not at all, and read back with every array checked (shapes, finiteness, ranges)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.physics.events import Truth, event_kinds, generate_truth
from nulearn.detector.optical.physics.simulator import Hits, simulate_hits
from nulearn.ml.io import atomic_output, check_output, load_npz

__all__ = ["load_events", "save_events", "simulate_events", "simulate_to_file"]

_TRUTH = (
    "kind",
    "energy_gev",
    "direction",
    "vertex_m",
    "track_start_m",
    "track_end_m",
    "multiplicity",
)
_HITS = ("offsets", "dom", "time_ns", "charge_pe", "noise")


def simulate_events(
    n: int,
    config: OpticalConfig,
    seed: int,
    signal_fraction: float = 0.5,
    cascade_fraction: float = 0.3,
) -> tuple[Truth, Hits]:
    """Truth and hits of n events: ``signal_fraction`` neutrinos (of which ``cascade_fraction``
    cascades, the rest nu_mu CC tracks) and muon bundles."""
    rng = np.random.default_rng(seed)
    truth = generate_truth(event_kinds(n, signal_fraction, cascade_fraction, rng), config, rng)
    return truth, simulate_hits(truth, config, rng)


def save_events(path: str | Path, truth: Truth, hits: Hits) -> Path:
    """Write ``truth`` and ``hits`` to one ``.npz`` (atomically)."""
    out = check_output(path, suffixes=(".npz",), what="--out (events file)")
    arrays = {f"truth_{k}": getattr(truth, k) for k in _TRUTH}
    arrays.update({f"hits_{k}": getattr(hits, k) for k in _HITS})
    with atomic_output(out) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return out


def load_events(path: str | Path, config: OpticalConfig) -> tuple[Truth, Hits]:
    """Read events written by :func:`save_events`, refusing (one line naming the file and the
    array) missing arrays, inconsistent lengths, non-finite values and out-of-range modules."""
    keys = [f"truth_{k}" for k in _TRUTH] + [f"hits_{k}" for k in _HITS]
    data = load_npz(path, keys, what="events file")
    truth = Truth(*(data[f"truth_{k}"] for k in _TRUTH))
    hits = Hits(*(data[f"hits_{k}"] for k in _HITS))
    n = truth.kind.shape[0]
    if n < 1:
        raise ValueError(f"events file {path}: holds no events")
    for k in _TRUTH:
        arr = getattr(truth, k)
        if arr.shape[0] != n:
            raise ValueError(f"events file {path}: truth_{k} has {arr.shape[0]} rows, expected {n}")
    for k in ("energy_gev", "direction", "vertex_m"):
        bad = ~np.isfinite(getattr(truth, k)).reshape(n, -1).all(axis=1)
        if bad.any():
            raise ValueError(
                f"events file {path}: truth_{k} is not finite (event {int(np.flatnonzero(bad)[0])})"
            )
    off = hits.offsets
    if (
        off.shape != (n + 1,)
        or off[0] != 0
        or np.any(np.diff(off) < 0)
        or off[-1] != hits.dom.shape[0]
    ):
        raise ValueError(
            f"events file {path}: hits_offsets is not a valid index of {hits.dom.shape[0]} hits"
        )
    for k in ("time_ns", "charge_pe", "noise"):
        if getattr(hits, k).shape != hits.dom.shape:
            raise ValueError(f"events file {path}: hits_{k} has a different length from hits_dom")
    for k in ("time_ns", "charge_pe"):
        arr = getattr(hits, k)
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ValueError(
                f"events file {path}: hits_{k} = {arr[bad[0]]} at hit {int(bad[0])} is not finite"
            )
    if hits.dom.size and (hits.dom.min() < 0 or hits.dom.max() >= config.n_doms):
        raise ValueError(
            f"events file {path}: hits_dom outside [0, {config.n_doms}) of this array "
            f"(max {int(hits.dom.max())}); simulated with another geometry?"
        )
    return truth, hits


def simulate_to_file(
    path: str | Path,
    n: int,
    config: OpticalConfig,
    seed: int,
    signal_fraction: float = 0.5,
    cascade_fraction: float = 0.3,
) -> str:
    """Simulate n events into ``path`` (checked before any work); returns a one-line summary."""
    check_output(path, suffixes=(".npz",), what="--out (events file)")
    truth, hits = simulate_events(n, config, seed, signal_fraction, cascade_fraction)
    out = save_events(path, truth, hits)
    counts = np.bincount(truth.kind, minlength=3)
    noise = float(hits.noise.sum()) / n
    return (
        f"simulated {n} events ({counts[0]} nu_mu CC tracks, {counts[1]} cascades, {counts[2]} "
        f"muon bundles), {hits.n_hits.mean():.1f} hits per event ({noise:.1f} noise) -> {out}"
    )
