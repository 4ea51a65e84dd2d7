"""Uncertainty of the CVN: Monte-Carlo dropout by each event's own fold model, and the
out-of-distribution test with a wire plane blanked.

MC dropout, deep ensembles and the entropy / mutual-information summary are the shared
:mod:`nulearn.ml.uncertainty`; what is particular to a detector is the probe: blanking one view
(a dead wire plane) makes an input never seen in training, and a trustworthy model must become
less certain on it (:func:`ood_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nulearn.detector.cvn.data.pixel_maps import VIEW_NAMES
from nulearn.ml.uncertainty import ensemble_proba, mc_dropout_proba, predictive_summary

__all__ = ["blank_channel", "ood_table", "out_of_fold_mc_dropout"]


def blank_channel(x: np.ndarray, channel: int) -> np.ndarray:
    """A copy of images ``(n, C, H, W)`` with ``channel`` set to zero (e.g. a dead wire plane)."""
    if not 0 <= channel < x.shape[1]:
        raise ValueError(f"channel {channel} outside [0, {x.shape[1]})")
    out = np.array(x, copy=True)
    out[:, channel] = 0
    return out


def out_of_fold_mc_dropout(
    models: Sequence[Any],
    pixel_maps: np.ndarray,
    fold: np.ndarray,
    n_samples: int = 10,
    seed: int = 0,
    n_classes: int = 4,
) -> np.ndarray:
    """MC-dropout probabilities of every event by its own fold's model (``models[k]`` never saw
    the events with ``fold == k``), ``(n_samples, n_events, n_classes)``."""
    out = np.zeros((n_samples, len(fold), n_classes))
    for k, model in enumerate(models):
        m = fold == k
        out[:, m] = mc_dropout_proba(model, pixel_maps[m], n_samples=n_samples, seed=seed + k)
    return out


def ood_table(
    model: Any,
    ensemble: Sequence[Any],
    pixel_maps: np.ndarray,
    flavour: np.ndarray,
    n_samples: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Uncertainty on held-out events as they are and with one view blanked.

    Args:
        model: the network for MC dropout.
        ensemble: the deep ensemble's members.
        pixel_maps: events none of the networks trained on, ``uint8`` ``(n, 3, W, T)``.
        flavour: their true flavour ``(n,)``.
        n_samples: MC-dropout passes.
        seed: seed of the dropout masks.

    Returns:
        One row per (input, method): mean predictive entropy and mutual information (nats) with
        their standard errors over events, and the accuracy.
    """
    inputs = {
        "nominal": pixel_maps,
        **{
            f"view {VIEW_NAMES[v]} blanked": blank_channel(pixel_maps, v)
            for v in range(pixel_maps.shape[1])
        },
    }
    rows: list[dict[str, Any]] = []
    for name, xi in inputs.items():
        for method, samples in (
            ("MC dropout", mc_dropout_proba(model, xi, n_samples=n_samples, seed=seed)),
            (f"ensemble ({len(ensemble)})", ensemble_proba(ensemble, xi)),
        ):
            s = predictive_summary(samples)
            n = len(s)
            rows.append(
                {
                    "input": name,
                    "method": method,
                    "entropy": s["entropy"].mean(),
                    "entropy_err": s["entropy"].std(ddof=1) / np.sqrt(n),
                    "mutual_information": s["mutual_information"].mean(),
                    "mi_err": s["mutual_information"].std(ddof=1) / np.sqrt(n),
                    "accuracy": float((s["predicted"].to_numpy() == flavour).mean()),
                }
            )
    return pd.DataFrame(rows)
