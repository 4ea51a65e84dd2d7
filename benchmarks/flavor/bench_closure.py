"""Learned asymptotic closure: generated-C throughput against the LR flagger, and held-out errors.

1. Throughput, one core: the generated C closure (:mod:`nulearn.flavor.deploy.closure_codegen`) and
   the generated C of a polynomial LR (n = 2) ELN-XLN flagger on the same raw moments (8 inputs
   each), best of 5 runs over ``--n`` cells.
   Then the cost of the network width: closures of other widths with the same inputs and
   training domain (random weights: the cost does not depend on them).
2. Accuracy: the held-out table stored with the closure by ``nulearn flavor closure train``
   (every prescription beside the closure, split by configuration/profile); by default the
   shipped ``builtin:xln-closure``. ``--smoke`` fits a closure on the small committed solver
   fixture instead (sizes for the timing only: its errors mean nothing).

Run: ``python benchmarks/flavor/bench_closure.py [--closure DIR] [--n 4194304]`` or ``--smoke``.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "closure" / "solver_rows.parquet"


def _best(fn: Callable[[], Any], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _cells(n: int) -> dict[str, np.ndarray]:
    from nulearn.flavor.data.sampling import sample_features

    f = sample_features("xln", n, np.random.default_rng(0))
    scale = np.random.default_rng(1).uniform(0.5, 2.0, n)
    out = {"n_nue": scale, "n_nuebar": scale * f["alpha"], "n_nux": scale * f["alpha_x"]}
    out["n_nuxbar"] = scale * f["alpha_xbar"]
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        out[f"F_{s}"] = f[f"F_{s}"]
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in out.items()}


def _lr_flagger(workdir: Path, n_train: int) -> Any:
    from nulearn.flavor.data.generate import generate
    from nulearn.flavor.deploy.loading import load_deployable
    from nulearn.flavor.models.registry import build_model
    from nulearn.flavor.physics.species import XLN_FEATURES
    from nulearn.ml.model_card import ModelCard, save_model

    data = generate("xln", "maxent", n=n_train, seed=1)
    est = build_model("lr", degree=2)
    est.fit(data[list(XLN_FEATURES)].to_numpy(), data["crossing"].to_numpy())
    card = ModelCard.for_training(
        "lr",
        data,
        data["crossing"].to_numpy(),
        feature_names=XLN_FEATURES,
        label="crossing",
        scheme="xln",
        threshold=float(getattr(est, "threshold_", 0.5)),
    )
    return load_deployable(save_model(est, card, workdir / "lr2_xln"))


def _closure_kernel(model: Any, workdir: Path) -> Callable[[dict[str, np.ndarray]], Any]:
    from nulearn.flavor.deploy.closure_codegen import CLOSURE_OUT_NAMES, generate_closure_c
    from nulearn.flavor.deploy.toolchain import compile_shared

    workdir.mkdir(parents=True, exist_ok=True)
    header = workdir / "nulearn_closure.h"
    header.write_text(generate_closure_c(model))
    lib = ctypes.CDLL(str(compile_shared(header, workdir / "libclosure.so", "c")))
    order = ["n_nue", "n_nuebar", "n_nux", "n_nuxbar", "F_nue", "F_nuebar", "F_nux", "F_nuxbar"]
    ptr = ctypes.POINTER(ctypes.c_double)

    def run(cells: dict[str, np.ndarray], outs: dict[str, np.ndarray], status: np.ndarray) -> None:
        lib.nulearn_closure(
            *(cells[k].ctypes.data_as(ptr) for k in order),
            ctypes.c_int64(status.size),
            *(outs[k].ctypes.data_as(ptr) for k in CLOSURE_OUT_NAMES),
            status.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
        )

    return run  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--n", type=int, default=1 << 22, help="cells timed")
    parser.add_argument(
        "--closure", default="builtin:xln-closure", help="trained closure directory or builtin"
    )
    args = parser.parse_args()
    n = 4096 if args.smoke else args.n
    from nulearn.flavor.deploy.closure_codegen import CLOSURE_OUT_NAMES
    from nulearn.flavor.deploy.toolchain import build_kernel
    from nulearn.flavor.evaluation.closure import load_solver_rows
    from nulearn.flavor.models.closure import ClosureModel, fit_closure
    from nulearn.ml.report import markdown_table

    print(f"# bench_closure ({'smoke' if args.smoke else 'full'}; {os.cpu_count()} CPUs, shared)\n")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.smoke:
            model = ClosureModel.load(args.closure)
        else:
            rows = load_solver_rows([FIXTURE])
            model = fit_closure(
                rows, (24, 24), pretrain_rows=0, finetune_epochs=5 if args.smoke else 50
            )
        lr = _lr_flagger(workdir, 2000 if args.smoke else 20000)
        cells = _cells(n)
        lr_kernel = build_kernel(lr.plan(), "c", workdir / "kernels")
        lr_out = (np.empty(n), np.empty(n, dtype=np.int8))
        arrays = {k: cells[k] for k in lr.raw_names}
        t_lr = _best(lambda: lr_kernel(arrays, lr_out), 5)
        run = _closure_kernel(model, workdir)
        outs = {k: np.empty(n) for k in CLOSURE_OUT_NAMES}
        status = np.empty(n, dtype=np.int8)
        t_cl = _best(lambda: run(cells, outs, status), 5)  # type: ignore[call-arg]
        rows_out = [
            {"kernel": "LR (n = 2) ELN-XLN flagger, generated C", "cells/s": n / t_lr},
            {
                "kernel": f"closure {model.hidden}, generated C ({model.n_multiply_adds} MACs)",
                "cells/s": n / t_cl,
            },
        ]
        for hidden in ((8,), (16, 16), (32, 32), (64, 64)):
            if hidden == model.hidden:
                continue
            other = ClosureModel.untrained(hidden)
            other = ClosureModel(
                model.mean, model.scale, other.weights, other.biases, model.domain, None
            )
            run_other = _closure_kernel(other, workdir / f"w{len(rows_out)}")
            t = _best(lambda k=run_other: k(cells, outs, status), 5)  # type: ignore[misc]
            rows_out.append(
                {
                    "kernel": f"closure {hidden}, generated C ({other.n_multiply_adds} MACs)",
                    "cells/s": n / t,
                }
            )
    print(f"## Throughput, one core, {n:,} cells (best of 5)\n")
    print(markdown_table(pd.DataFrame(rows_out), floatfmt=".3g"))
    print(f"\nclosure / LR cells/s = {t_lr / t_cl:.3f} (target >= 0.5)\n")
    held = (model.metadata or {}).get("heldout")
    if held:
        table = pd.DataFrame(held["table"])
        pivot = table.pivot(index="prescription", columns="quantity", values="mae")
        cols = [
            "n_nue",
            "n_nuebar",
            "n_nux",
            "F_nue",
            "F_nuebar",
            "F_nux",
            "F_nuxbar",
            "eln_xln_flux",
        ]
        print(
            f"## Held-out MAE ({held['rows']} held-out, {held['train_rows']} training rows; "
            "densities in n_nue)\n"
        )
        print(markdown_table(pivot[cols], floatfmt=".4f", index=True))
        print(
            f"\nn_nue: closure {held['closure_mae']:.4f} vs best prescription "
            f"{held['best_prescription']} {held['best_mae']:.4f}: ratio {held['ratio']:.2f} "
            f"(target <= 0.5); conservation error {held['conservation_error']:.1e}"
        )


if __name__ == "__main__":
    main()
