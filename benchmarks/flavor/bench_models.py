"""Training and inference cost of the crossing classifiers, with accuracy beside the Bayes ceiling.

Usage: ``python benchmarks/flavor/bench_models.py [--scheme xln] [--n 50000] [--models lr2,knn,...]``.
Prints one row per model: training wall and CPU seconds, inference microseconds per sample
(batch of the whole test split, and single rows), test accuracy, and the test set's Bayes ceiling.
The machine may be shared: CPU seconds are the load-independent figure.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from nulearn.flavor.data.generate import generate
from nulearn.flavor.data.splits import split_dataset
from nulearn.flavor.evaluation.ceiling import bayes_ceiling
from nulearn.flavor.models.registry import build_model
from nulearn.flavor.physics.species import feature_names

_DEGREE = {"lr2": 2, "lr9": 9}
_CONFIG = {"gbt_closure": {"closure_features": "maxent"}, "mlp": {"num_threads": 1}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheme", default="xln", choices=("original", "hierarchical", "xln"))
    parser.add_argument(
        "--n",
        type=int,
        default=50_000,
        help="samples (80/20 split, 10%% of training for validation)",
    )
    parser.add_argument("--models", default="lr2,knn,tree,gbt,gbt_closure,mlp,svm")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    config = dict(_CONFIG)
    if args.smoke:
        args.n = 1_500
        config["mlp"] = {**config["mlp"], "max_epochs": 2}
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    frame = generate(args.scheme, "mix", args.n, seed=args.seed)
    train, _, test = split_dataset(frame, test_fraction=0.2, val_fraction=0.1, seed=args.seed)
    feats = list(feature_names(args.scheme))
    ceiling = bayes_ceiling(test)
    X, y = train[feats].to_numpy(), train["crossing"].to_numpy()
    Xt, yt = test[feats].to_numpy(), test["crossing"].to_numpy()
    print(
        f"{args.scheme}: {len(train):,} training / {len(test):,} test samples; {ceiling.describe()}"
    )
    print(
        f"{'model':12s} {'train wall s':>12s} {'train CPU s':>12s} {'batch µs/row':>12s} {'1-row µs':>10s} {'accuracy':>9s}"
    )
    for key in args.models.split(","):
        name = "lr" if key.startswith("lr") else ("gbt" if key.startswith("gbt") else key)
        model = build_model(name, degree=_DEGREE.get(key, 2), config=config.get(key))
        w0, c0 = time.perf_counter(), time.process_time()
        model.fit(X, y)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        t0 = time.perf_counter()
        p = model.predict_proba(Xt)[:, 1]
        batch = 1e6 * (time.perf_counter() - t0) / len(Xt)
        t0 = time.perf_counter()
        for i in range(20):
            model.predict_proba(Xt[i : i + 1])
        single = 1e6 * (time.perf_counter() - t0) / 20
        acc = float(np.mean((p >= 0.5) == yt))
        print(
            f"{key:12s} {wall:12.2f} {cpu:12.2f} {batch:12.2f} {single:10.0f} {100 * acc:8.2f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
