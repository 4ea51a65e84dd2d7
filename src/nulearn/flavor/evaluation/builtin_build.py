"""Train the built-in models (:mod:`nulearn.flavor.models.builtin_models`) and write their cards.

:func:`build_builtin` does in memory exactly what the commands recorded on the card do with
files (``nulearn flavor generate`` / ``generate3d`` then ``nulearn flavor train``): the same data
(a Parquet round trip keeps float64 bit for bit), the same split and seed, the same estimator.
It adds what a user needs to trust a ready-made model: the data hash of the whole generated table,
an independent hold-out test score beside the Bayes ceiling, and the speed of the Python model.
``scripts/build_builtin_models.py`` runs it for every built-in.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.models.builtin_models import BUILTIN_DIR, BuiltinSpec, get_builtin_spec

__all__ = ["build_builtin", "builtin_data"]

#: Rows timed for the card's cells/s (tiled test features; enough for a stable figure).
_SPEED_ROWS = 200_000


def builtin_data(spec: BuiltinSpec, n: int, seed: int) -> pd.DataFrame:
    """The labelled table the spec's generate command writes, for ``n`` rows and ``seed``."""
    if spec.moments == "3d":
        from nulearn.flavor.data.generate3d import generate3d

        return generate3d(
            n,
            seed,
            scheme=spec.scheme,
            direction_spread=spec.spread,
            n_directions=spec.n_directions,
        )
    from nulearn.flavor.data.generate import generate

    return generate(spec.scheme, spec.family, n, seed)


def _cells_per_s(carded: Any, x: np.ndarray) -> float:
    """Cells/s of ``carded.predict_proba`` on ``x`` tiled to :data:`_SPEED_ROWS` rows (best of 3)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        big = np.tile(x, (int(np.ceil(_SPEED_ROWS / len(x))), 1))[:_SPEED_ROWS]
        carded.predict_proba(big[:8])  # first-call set-up is not per-cell cost
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            carded.predict_proba(big)
            best = min(best, time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return float(len(big) / best)


def build_builtin(
    name: str,
    out: str | Path | None = None,
    *,
    data: pd.DataFrame | None = None,
    test: pd.DataFrame | None = None,
) -> Any:
    """Train built-in ``name`` as its spec says and save it (default: into the package).

    Args:
        name: ``NAME`` or ``builtin:NAME``.
        out: model directory to write (default :data:`BUILTIN_DIR` / NAME, replacing it).
        data, test: the generated training and test tables when the caller already has them
            (several built-ins share one data set); generated here otherwise.

    Returns:
        The saved :class:`~nulearn.ml.model_card.CardedModel`.
    """
    from nulearn.flavor.evaluation.ceiling import bayes_ceiling
    from nulearn.flavor.evaluation.fit import train_carded_model
    from nulearn.flavor.evaluation.scoring import evaluate_model
    from nulearn.ml.model_card import CardedModel, data_sha256, save_model

    spec = get_builtin_spec(name)
    out = Path(out) if out is not None else BUILTIN_DIR / spec.name
    features = spec.features()
    if data is None:
        data = builtin_data(spec, spec.n, spec.seed)
    if test is None:
        test = builtin_data(spec, spec.n_test, spec.test_seed)
    carded = train_carded_model(
        spec.model,
        data,
        features,
        config=dict(spec.config) or None,
        random_state=spec.seed,
        scheme=spec.scheme,
        extra={"data": "generated in memory, as extra.builtin.commands write it"},
    )
    ev = evaluate_model(
        carded, test, features, threshold=carded.card.threshold, name=carded.card.model
    )
    ceiling = bayes_ceiling(test).to_dict() if "family" in test.columns else None
    table = data.loc[:, list(features)]
    provenance = {
        "name": spec.name,
        "description": spec.description,
        "library_call": f"nulearn.flavor.evaluation.builtin_build.build_builtin({spec.name!r}, OUT)",
        "commands": [" ".join(cmd) for cmd in spec.commands("data.parquet", "OUT")],
        "config": dict(spec.config),
        "data": {
            "generator": "generate3d" if spec.moments == "3d" else "generate",
            "scheme": spec.scheme,
            "family": None if spec.moments == "3d" else spec.family,
            "n": int(spec.n),
            "seed": int(spec.seed),
            "sha256": data_sha256(table, data["crossing"].to_numpy()),
        },
        "test": {
            "n_samples": len(test),
            "seed": int(spec.test_seed),
            "sha256": data_sha256(test.loc[:, list(features)], test["crossing"].to_numpy()),
            "scores": ev.scores.to_dict() | {"roc_auc": float(ev.roc.area)},
            "bayes_ceiling": ceiling,
        },
        "cells_per_s": _cells_per_s(carded, test.loc[:, list(features)].to_numpy(np.float64)),
        "speed_machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
    }
    card = carded.card
    card.extra = dict(card.extra) | {"builtin": provenance}
    save_model(carded.estimator, card, out)
    return CardedModel(carded.estimator, card)
