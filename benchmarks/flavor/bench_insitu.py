"""Cost of flagging inside a running transport code: the in-situ example (examples/insitu), timed.

For LR (n = 2), the MLP and LightGBM (the registry's configuration, and a compact one: 15
leaves, learning rate 0.2, at most 300 trees) trained on ELN-XLN maximum-entropy data, with
their accuracy on unseen samples, the benchmark
builds the example's C driver with the model's generated C flagger, runs the gray M1 code on
``--cells`` radial cells to ``--t-end`` (flagging every ``--every`` steps and after the last),
and reads its timings: nanoseconds per cell of one transport step (four species) and of one
flagger call. The same final state is then flagged through ONNX Runtime (one thread, one call
per flagging, as a code linking the ONNX Runtime C API would do) and timed alike. All on one
core.

Reported per model and target: cells/s of the flagger, its cost per call relative to one
transport step, the fraction of the run spent flagging when called every ``--every`` steps, and
the largest call frequency that keeps flagging under 1 % of the run. The code's flags are
checked against the Python model on the final state (they must agree exactly).

Usage: ``python benchmarks/flavor/bench_insitu.py [--smoke] [--cells 1024] [--every 100]
[--workdir DIR]`` (trained models in ``--workdir`` are reused).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_deploy import _train  # the benchmarks' shared training helper

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "insitu"


def _parse_timing(line: str) -> dict[str, float]:
    fields = line.split()
    return {fields[i]: float(fields[i + 1]) for i in range(0, len(fields) - 1, 2)}


def _run_code(
    model_dir: Path, build: Path, cells: int, t_end: float, every: int
) -> tuple[dict[str, float], pd.DataFrame]:
    from nulearn.flavor.deploy import export_model

    build.mkdir(parents=True, exist_ok=True)
    export_model(model_dir, "c", build / "flagger.h", name="flagger")
    subprocess.run(
        ["make", "-C", str(EXAMPLE), f"BUILD={build}", f"{build}/m1_c"],
        check=True,
        capture_output=True,
    )
    res = subprocess.run(
        [str(build / "m1_c"), str(cells), str(t_end), str(every), str(build)],
        check=True,
        capture_output=True,
        text=True,
    )
    return _parse_timing(res.stdout), pd.read_csv(build / "state.csv")


def _onnx_ns_per_cell(model_dir: Path, state: pd.DataFrame, workdir: Path, repeats: int) -> float:
    from nulearn.flavor.deploy import export_model, load_deployable
    from nulearn.flavor.deploy.onnx_export import OnnxKernel

    model = load_deployable(model_dir)
    res = export_model(model_dir, "onnx", workdir / f"{model_dir.name}.onnx")
    kernel = OnnxKernel(res.path, res.raw_names, threads=1)
    moments = {k: np.ascontiguousarray(state[k].to_numpy()) for k in model.raw_names}
    kernel(moments)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        kernel(moments)
        best = min(best, time.perf_counter() - t0)
    return 1e9 * best / len(state)


def _accuracy(models: dict[str, Path], n: int) -> dict[str, float]:
    """Accuracy of each model on fresh ELN-XLN maximum-entropy samples (seed 2, unseen)."""
    from nulearn.flavor.data.generate import generate
    from nulearn.flavor.deploy import load_deployable

    data = generate("xln", "maxent", n=n, seed=2)
    out = {}
    for label, model_dir in models.items():
        model = load_deployable(model_dir)
        x = data[list(model.feature_names)].to_numpy()
        predicted = model.predict_features(x) >= model.threshold
        out[label] = float(np.mean(predicted == data["crossing"].to_numpy().astype(bool)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models and grid (a minute)")
    parser.add_argument("--cells", type=int, default=1024, help="radial cells of the M1 code")
    parser.add_argument("--t-end", type=float, default=300.0, help="simulated time, km/c")
    parser.add_argument("--every", type=int, default=100, help="flag every this many steps")
    parser.add_argument("--n-train", type=int, default=200_000, help="training samples")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.smoke:
        args.cells, args.t_end, args.n_train = 64, 200.0, 3000
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_insitu_"))
    workdir.mkdir(parents=True, exist_ok=True)

    import torch

    from nulearn.flavor.deploy import load_deployable

    torch.set_num_threads(1)
    mlp_config = {"max_epochs": 2 if args.smoke else 10, "num_threads": 1}
    gbt_config = {"max_rounds": 50} if args.smoke else {}
    compact_config = {
        "num_leaves": 15,
        "learning_rate": 0.2,
        "max_rounds": 50 if args.smoke else 300,
    }
    n_gbt = min(args.n_train, 100_000)
    models = {
        "LR (n = 2)": _train(workdir, "xln", "lr", args.n_train, degree=2),
        "MLP 128-128-64": _train(workdir, "xln", "mlp", args.n_train, config=mlp_config),
        "LightGBM": _train(workdir, "xln", "gbt", n_gbt, config=gbt_config),
        "LightGBM compact": _train(workdir / "compact", "xln", "gbt", n_gbt, config=compact_config),
    }
    accuracy = _accuracy(models, 2000 if args.smoke else 50_000)
    rows = []
    for label, model_dir in models.items():
        timing, state = _run_code(
            model_dir, workdir / f"build_{model_dir.name}", args.cells, args.t_end, args.every
        )
        model = load_deployable(model_dir)
        _, flag_ref, _ = model.predict_raw({k: state[k].to_numpy() for k in model.raw_names})
        mismatches = int((state["flag"].to_numpy() != flag_ref).sum())
        step = timing["step_ns_per_cell"]
        for target, flag_ns in (
            ("C (generated)", timing["flag_ns_per_cell"]),
            ("ONNX Runtime", _onnx_ns_per_cell(model_dir, state, workdir, 5 if args.smoke else 20)),
        ):
            per_call = flag_ns / step
            rows.append(
                {
                    "model": label,
                    "target": target,
                    "cells/s": 1e9 / flag_ns,
                    "flag ns/cell": flag_ns,
                    "step ns/cell": step,
                    "call / step": per_call,
                    f"run share, every {args.every}": per_call
                    / args.every
                    / (1 + per_call / args.every),
                    "every N for <= 1%": math.ceil(per_call / 0.01 * 0.99),
                    "test accuracy": accuracy[label],
                    "flags vs Python": "exact" if mismatches == 0 else f"{mismatches} differ",
                    "flagged": int((state["flag"] == 1).sum()),
                }
            )
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(
        f"in-situ flagging, {args.cells} radial cells x 4 species, one core; "
        f"transport {int(timing['steps'])} steps, flagger every {args.every} steps"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
