"""Train a network on an events file and keep it; evaluate a kept network on another events file.

A kept network is a weights-only ``.pt`` (:func:`nulearn.ml.training.load_weights` reads it
without unpickling code): the state dict and the plain settings that rebuild it (architecture,
width, max_hits, grid) with the array it was trained for (strings, modules per string, layout
seed), so that it refuses events of another geometry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nulearn.detector.optical.data.inputs import grid_images, node_features
from nulearn.detector.optical.evaluation.metrics import angular_error_deg, efficiency_at_rejection
from nulearn.detector.optical.models.training import (
    ARCHITECTURES,
    EventModule,
    predict,
    train_network,
)
from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.physics.events import KIND_TRACK
from nulearn.detector.optical.physics.reconstruction import classical_score, line_fit
from nulearn.detector.optical.physics.simulator import Hits
from nulearn.detector.optical.study.events import load_events
from nulearn.ml.io import atomic_output, check_output
from nulearn.ml.training import load_weights

__all__ = ["evaluate_file", "train_to_file"]

_GEOMETRY = ("n_strings", "doms_per_string", "layout_seed")


def _inputs(
    arch: str, hits: Hits, config: OpticalConfig, max_hits: int, grid: int
) -> tuple[np.ndarray, ...]:
    if arch == "gnn":
        return node_features(hits, config, max_hits)
    return (grid_images(hits, config, grid),)


def train_to_file(
    events: str | Path,
    out: str | Path,
    architecture: str = "gnn",
    epochs: int = 8,
    width: int = 32,
    max_hits: int = 96,
    grid: int = 10,
    seed: int = 0,
    threads: int = 1,
) -> str:
    """Train ``architecture`` on the events of ``events`` and write it to ``out`` (.pt)."""
    import torch

    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture = {architecture!r}; allowed: {', '.join(ARCHITECTURES)}")
    target = check_output(out, suffixes=(".pt",), what="--out (network file)")
    config = OpticalConfig()
    truth, hits = load_events(events, config)
    torch.set_num_threads(threads)
    module = train_network(
        architecture,
        _inputs(architecture, hits, config, max_hits, grid),
        truth.is_signal,
        truth.direction,
        width=width,
        max_epochs=epochs,
        seed=seed,
        num_threads=threads,
    )
    blob = {
        "state_dict": module.state_dict(),
        "settings": {
            "architecture": architecture,
            "width": width,
            "max_hits": max_hits,
            "grid": grid,
        },
        "geometry": {k: int(getattr(config, k)) for k in _GEOMETRY},
    }
    with atomic_output(target) as tmp:
        torch.save(blob, tmp)
    return f"trained {architecture} on {len(truth)} events ({epochs} epochs at most) -> {target}"


def evaluate_file(
    model: str | Path, events: str | Path, out: str | Path, rejection: float = 0.99
) -> str:
    """Score a kept network and the line fit on ``events``; per-event predictions go to ``out``
    (.csv); returns the summary lines."""
    if not 0 < rejection < 1:
        raise ValueError(f"background rejection = {rejection}; allowed range (0, 1)")
    target = check_output(out, suffixes=(".csv",), what="--out (predictions file)")
    blob = load_weights(model)
    config = OpticalConfig()
    try:
        settings, geometry = dict(blob["settings"]), dict(blob["geometry"])
        arch = str(settings["architecture"])
    except (KeyError, TypeError) as err:
        raise ValueError(
            f"{model}: not a network written by `detector graph train` (lacks {err})"
        ) from None
    for k in _GEOMETRY:
        if geometry.get(k) != getattr(config, k):
            raise ValueError(
                f"{model}: trained for {k} = {geometry.get(k)}, this array has {getattr(config, k)}"
            )
    module = EventModule(arch, int(settings["width"]))
    try:
        module.load_state_dict(blob["state_dict"])
    except RuntimeError as err:
        raise ValueError(
            f"{model}: weights do not fit the {arch} network ({str(err).splitlines()[0]})"
        ) from None
    truth, hits = load_events(events, config)
    prob, direction = predict(
        module, _inputs(arch, hits, config, int(settings["max_hits"]), int(settings["grid"]))
    )
    fitted = line_fit(hits, config)
    frame = pd.DataFrame(
        {
            "kind": truth.kind,
            "energy_gev": truth.energy_gev,
            "signal_probability": prob,
            "angular_error_deg": angular_error_deg(direction, truth.direction),
            "line_fit_angular_error_deg": angular_error_deg(fitted, truth.direction),
        }
    )
    with atomic_output(target) as tmp:
        frame.to_csv(tmp, index=False)
    lines = [f"{len(truth)} events, {arch} network {model}"]
    y = truth.is_signal
    if 0 < y.sum() < y.size:
        eff, _ = efficiency_at_rejection(y, prob, rejection)
        eff_lf, _ = efficiency_at_rejection(y, classical_score(fitted), rejection)
        lines.append(
            f"signal efficiency at {100 * rejection:g}% background rejection: {arch} {eff:.3f}, line fit {eff_lf:.3f}"
        )
    tracks = truth.kind == KIND_TRACK
    if tracks.any():
        lines.append(
            f"median angular error of {int(tracks.sum())} nu_mu CC tracks: {arch} "
            f"{frame['angular_error_deg'][tracks].median():.2f} deg, line fit "
            f"{frame['line_fit_angular_error_deg'][tracks].median():.2f} deg"
        )
    lines.append(f"predictions -> {target}")
    return "\n".join(lines)
