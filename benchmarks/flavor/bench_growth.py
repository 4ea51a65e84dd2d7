"""Growth rates and 3D moments: solver cost and convergence, regressors vs solver, 3D crossing models.

Prints Markdown tables:

1. dispersion-relation solver: ms per cell and error against a fine reference, by beams N;
2. log10 growth-rate regression (LightGBM, two-head MLP): error in dex by crossing depth and the
   speed-up over the solver;
3. 3D moments: analytic maxent test on the Fibonacci sphere vs learned models on rotation-invariant
   features, accuracy and cells/s (reference labels from a denser sphere).

Run: ``.venv/bin/python benchmarks/flavor/bench_growth.py [--quick]``. Figures depend on machine load.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
import torch

from nulearn.flavor.data.generate import generate
from nulearn.flavor.data.generate3d import generate3d
from nulearn.flavor.data.growth import growth_dataset
from nulearn.flavor.evaluation.growth import evaluate_growth_models
from nulearn.flavor.evaluation.models3d import compare_crossing_models3d, default_models3d
from nulearn.flavor.models.growth import GrowthMLPRegressor, gbt_growth_regressor
from nulearn.flavor.physics.species import feature_names
from nulearn.flavor.physics.stability import StabilityConfig, growth_rate_from_moments
from nulearn.ml.report import markdown_table


def solver_table(n_cells: int, seed: int) -> pd.DataFrame:
    """ms/cell and relative error vs a fine reference (N = 48, n_k = 256) for several N."""
    frame = generate("original", "maxent", n_cells, seed)
    features = frame[list(feature_names("original"))]
    reference = growth_rate_from_moments(
        features, config=StabilityConfig(n_beams=48, n_k=256, n_refine=3)
    )
    unstable = reference["growth_rate"].to_numpy() > 0
    rows = []
    for n_beams in (12, 16, 24, 32):
        config = StabilityConfig(n_beams=n_beams)
        t0 = time.perf_counter()
        rates = growth_rate_from_moments(features, config=config)
        seconds = time.perf_counter() - t0
        rel = np.abs(
            rates["growth_rate"].to_numpy()[unstable]
            / reference["growth_rate"].to_numpy()[unstable]
            - 1
        )
        agree = (rates["growth_rate"].to_numpy() > 0) == unstable
        rows.append(
            {
                "n_beams": n_beams,
                "n_k": config.n_k,
                "ms_per_cell": 1e3 * seconds / n_cells,
                "ms_per_unstable_cell": 1e3 * seconds / max(int(unstable.sum()), 1),
                "median_rel_err": float(np.median(rel)),
                "p90_rel_err": float(np.quantile(rel, 0.9)),
                "stability_agreement": float(agree.mean()),
            }
        )
    return pd.DataFrame(rows)


def regression_tables(
    n_cells: int, seed: int, epochs: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Train LightGBM and the two-head MLP on log10 growth; evaluate against the solver."""
    data = growth_dataset("original", n_cells, seed)
    features = list(feature_names("original"))
    n_train = int(0.8 * n_cells)
    train, test = data.iloc[:n_train], data.iloc[n_train:]
    unstable = train[train["unstable"] == 1]
    gbt = gbt_growth_regressor().fit(
        unstable[features].to_numpy(), unstable["log10_growth"].to_numpy()
    )
    mlp = GrowthMLPRegressor(max_epochs=epochs, num_threads=2).fit(
        train[features].to_numpy(), train["log10_growth"].to_numpy(), train["unstable"].to_numpy()
    )
    summary, per_depth = evaluate_growth_models(
        {"LightGBM": gbt, "MLP (second head)": mlp},
        test,
        features,
        data.attrs["solver_seconds_per_cell"],
    )
    crossing_agrees = float(((data["crossing"] == 1) == (data["unstable"] == 1)).mean())
    head = mlp.predict_crossing_proba(test[features].to_numpy()) >= 0.5
    info = {
        "n_cells": n_cells,
        "unstable_fraction": float(data["unstable"].mean()),
        "solver_ms_per_cell": 1e3 * data.attrs["solver_seconds_per_cell"],
        "crossing_vs_solver_agreement": crossing_agrees,
        "mlp_crossing_head_accuracy": float((head == (test["unstable"] == 1)).mean()),
    }
    return summary, per_depth, info


def models3d_table(
    n_train: int, n_test: int, seed: int, mlp_epochs: int | None = None
) -> pd.DataFrame:
    """Analytic 3D maxent test (2000 directions) vs learned models; reference labels from 8000 directions.

    ``mlp_epochs`` caps the MLP's training epochs (``None``: its default).
    """
    train = generate3d(n_train, seed, scheme="xln", direction_spread=0.3, n_directions=2000)
    test = generate3d(n_test, seed + 1, scheme="xln", direction_spread=0.3, n_directions=8000)
    models = default_models3d(seed)
    if mlp_epochs is not None:
        models["MLP"].set_params(max_epochs=mlp_epochs)
    table, _ = compare_crossing_models3d(train, test, models, baseline_directions=2000)
    table.insert(1, "n_train", [0, n_train, n_train])
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(2)
    if args.smoke:
        sizes = {"solver": 4, "regression": 60, "epochs": 2, "train3d": 200, "test3d": 60}
        sizes["epochs3d"] = 2  # the 3D MLP's epochs; its default otherwise
    elif args.quick:
        sizes = {"solver": 40, "regression": 400, "epochs": 30, "train3d": 2000, "test3d": 500}
    else:
        sizes = {"solver": 120, "regression": 3000, "epochs": 300, "train3d": 40000, "test3d": 4000}
    size_name = "smoke" if args.smoke else ("quick" if args.quick else "full")
    print(f"# bench_growth ({size_name}; {os.cpu_count()} CPUs, shared: figures under load)\n")

    print("## Dispersion-relation solver (original scheme, maxent, both branches)\n")
    print(markdown_table(solver_table(sizes["solver"], args.seed)), "\n")

    print("## log10 growth-rate regression vs the solver (N = 24 beams, n_k = 64)\n")
    summary, per_depth, info = regression_tables(sizes["regression"], args.seed, sizes["epochs"])
    print(", ".join(f"{k} = {v:.4g}" for k, v in info.items()), "\n")
    print(markdown_table(summary), "\n")
    print(markdown_table(per_depth), "\n")

    print(
        "## 3D moments: analytic sphere test vs learned models (ELN-XLN, 13 invariant features)\n"
    )
    print(
        markdown_table(
            models3d_table(sizes["train3d"], sizes["test3d"], args.seed, sizes.get("epochs3d"))
        ),
        "\n",
    )


if __name__ == "__main__":
    main()
