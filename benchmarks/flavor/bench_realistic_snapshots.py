"""Held-out profiles against later snapshots: how close must test data be to training data?

arXiv:2310.03807 reaches 94-99% on realistic data by training and testing on time snapshots of
one supernova model (200, 250 and 300 ms after bounce): the test cells are another moment of the
same star. nulearn's realistic benchmark holds out independently drawn profiles, other stars.
This script spans the two: it trains on ``--profiles`` random profiles and tests on nearby
profiles (:func:`~nulearn.flavor.physics.transport.background.perturb_background_params`: each parameter
moved by a normal step of ``step`` x its range, the analogue of a later snapshot) at growing steps,
and on independent profiles, always profiles never seen in training; the training profiles
themselves (in-sample) give what the models can memorise.

Usage: .venv/bin/python benchmarks/flavor/bench_realistic_snapshots.py [--profiles 600 --workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench_realistic_scale import MODELS, solve_params
from nulearn.flavor.evaluation.fit import fit_model
from nulearn.flavor.evaluation.scoring import evaluate_model
from nulearn.flavor.models.registry import build_model as build_study_model
from nulearn.flavor.physics.transport.background import (
    perturb_background_params,
    sample_background_params,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=600, help="training profiles")
    parser.add_argument("--test-profiles", type=int, default=150)
    parser.add_argument("--steps", type=float, nargs="*", default=[0.01, 0.03, 0.1, 0.3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--out", type=Path, default=Path("reports/realistic-snapshots/table.csv"))
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.profiles, args.test_profiles, args.steps, args.workers = 6, 3, [0.1], 1
        args.out = Path(tempfile.mkdtemp(prefix="bench_realistic_snapshots_")) / "table.csv"
    t0 = time.perf_counter()
    base = sample_background_params(args.profiles, args.seed)
    train = solve_params(base, args.workers)
    tests = {
        f"snapshot, step {s:g}": solve_params(
            perturb_background_params(base[: args.test_profiles], s, seed=args.seed + 1),
            args.workers,
        )
        for s in args.steps
    }
    # The first test profiles themselves: in-sample, what the models can memorise.
    tests = {"training profiles (in-sample)": train[train["profile"] < args.test_profiles]} | tests
    tests["independent profiles"] = solve_params(
        sample_background_params(args.test_profiles, args.seed + 2), args.workers
    )
    print(
        f"{args.profiles} training profiles ({len(train)} cells), "
        f"{len(tests)} test sets of {args.test_profiles} profiles "
        f"({time.perf_counter() - t0:.0f} s to solve)",
        flush=True,
    )
    rows = []
    for label, (name, features) in MODELS.items():
        model = build_study_model(name, random_state=args.seed)
        seconds = fit_model(model, train, features)
        for test_name, test in tests.items():
            ev = evaluate_model(model, test, features, name=name)
            inner = test["radius_km"] <= 100.0
            ev_inner = evaluate_model(model, test[inner], features, name=name)
            rows.append(
                {
                    "model": label,
                    "test set": test_name,
                    "accuracy": ev.accuracy,
                    "accuracy r <= 100 km": ev_inner.accuracy,
                    "crossing fraction": float(test["crossing"].mean()),
                    "fit s": seconds,
                }
            )
            print(
                f"{label:48s} {test_name:24s} accuracy {ev.accuracy:.4f} "
                f"(r <= 100 km: {ev_inner.accuracy:.4f})",
                flush=True,
            )
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.pivot(index="test set", columns="model", values="accuracy").round(4).to_string())
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
