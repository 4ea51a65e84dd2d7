"""Deployment throughput in cells per second, each beside the analytic test it replaces.

Measures, on the same synthetic snapshot cells:

1. the generated C kernel of the polynomial LR (n = 2), one core: streaming over arrays larger
   than the caches, and on cache-resident blocks of 65,536 cells (a patch of a simulation grid);
2. ``nulearn flavor flag`` with LR (n = 2), end to end on an HDF5 snapshot (read, evaluate, write
   probability, flag and validity), 2 threads: the warm library call and the CLI process;
3. a compact MLP through onnxruntime on 2 CPU threads (float32 and float64 graphs), and the same
   MLP as generated C on one core;
4. the analytic maximum-entropy crossing test from moments
   (:func:`nulearn.flavor.data.labelling.label_moments`), which the classifiers stand in for, and the
   agreement of each classifier's flags with it;
5. models of 3D moments (as M1 codes evolve them): the generated C kernel of a polynomial LR (n = 2) on the
   13 rotation-invariant ELN-XLN features, computed in the kernel from raw densities and flux
   vectors (16 inputs per cell), one core, beside the analytic 3D maximum-entropy test
   (:func:`nulearn.flavor.physics.moments3d.label_moments3d`, 2000 directions); and the 1D LR in physical
   coordinates (``log``/``atanh`` per cell).

Two rates per row: ``cells/s`` (wall clock) and ``cells/cpu-s`` (cells per second of CPU time
of this process, all its threads). On an idle machine, ``cells/s`` ~ ``cells/cpu-s`` x cores
used; on a shared, busy machine only ``cells/cpu-s`` is meaningful.

Usage: ``python benchmarks/flavor/bench_deploy.py [--grid 160] [--cells 4194304] [--workdir DIR]
[--only 3d]`` (trained models in ``--workdir`` are reused; ``--only 3d`` runs section 5 alone).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Fastest of ``repeats`` runs: (wall seconds, CPU seconds of this process)."""
    best = (np.inf, np.inf)
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        run = (time.perf_counter() - w0, time.process_time() - c0)
        best = min(best, run)
    return best


def _train(workdir: Path, scheme: str, kind: str, n_train: int, **kw: object) -> Path:
    from nulearn.flavor.data.generate import generate
    from nulearn.flavor.models.registry import build_model
    from nulearn.flavor.physics.species import feature_names
    from nulearn.ml.model_card import ModelCard, save_model

    out = workdir / f"{kind}_{scheme}"
    if (out / "card.yaml").exists():
        return out
    names = feature_names(scheme)
    data = generate(scheme, "maxent", n=n_train, seed=1)
    if kind == "lr_physical":
        est = build_model("lr", config={"coordinates": "physical"}, **kw)  # type: ignore[arg-type]
    else:
        est = build_model(kind, **kw)  # type: ignore[arg-type]
    est.fit(data[list(names)].to_numpy(), data["crossing"].to_numpy())
    card = ModelCard.for_training(
        "lr" if kind == "lr_physical" else kind,
        data,
        data["crossing"].to_numpy(),
        feature_names=names,
        label="crossing",
        scheme=scheme,
        threshold=float(getattr(est, "threshold_", 0.5)),
    )
    return save_model(est, card, out)


def _bench_3d(
    workdir: Path,
    n: int,
    label_cells: int,
    add: Callable[..., None],
    labels_rate: dict[str, float],
    n_train: int = 20_000,
) -> None:
    """Section 5: generated C for a 3D-moment LR and for the LR in physical coordinates."""
    from nulearn.flavor.data.generate3d import generate3d
    from nulearn.flavor.deploy import load_deployable
    from nulearn.flavor.deploy.snapshot import synthetic_moments
    from nulearn.flavor.deploy.toolchain import build_kernel
    from nulearn.flavor.models.registry import build_model
    from nulearn.flavor.physics.moments3d import XLN_FEATURES_3D, label_moments3d
    from nulearn.ml.model_card import ModelCard, save_model

    model_dir = workdir / "lr_xln_3d"
    if not (model_dir / "card.yaml").exists():
        train = generate3d(n_train, seed=1, scheme="xln", direction_spread=0.3)
        est = build_model("lr", degree=2)
        est.fit(train[list(XLN_FEATURES_3D)].to_numpy(), train["crossing"].to_numpy())
        card = ModelCard.for_training(
            "lr",
            train[list(XLN_FEATURES_3D)],
            train["crossing"].to_numpy(),
            feature_names=XLN_FEATURES_3D,
            label="crossing",
            scheme="xln",
        )
        save_model(est, card, model_dir)
    model = load_deployable(model_dir)
    n = min(n, 1 << 20)  # 16 raw inputs per cell: 1M cells stream 128 MB, far beyond the caches
    cells = generate3d(n, seed=7, scheme="xln", direction_spread=0.3, n_directions=2)
    arrays = {k: np.ascontiguousarray(cells[k].to_numpy()) for k in model.raw_names}
    sub = np.linspace(0, n - 1, min(label_cells, n)).astype(np.int64)
    frame = cells.iloc[sub][[c for c in cells.columns if c.startswith(("n_", "flux_"))]]
    label_moments3d(frame.iloc[:64])  # warm-up
    timing = _best(lambda: label_moments3d(frame), 1)
    labels = label_moments3d(frame)["crossing"].to_numpy()
    labels_rate["3d"] = len(sub) / timing[1]
    add("analytic 3D maxent test (xln, 2000 directions), label_moments3d", len(sub), 1, timing, 1.0)
    t0 = time.perf_counter()
    kernel = build_kernel(model.plan(), "c", workdir / "kernels")
    print(f"# 3D LR(n=2) xln kernel compiled (or loaded) in {time.perf_counter() - t0:.1f} s")
    out = (np.empty(n), np.empty(n, dtype=np.int8))
    kernel(arrays, out)
    agree = float(np.mean(out[1][sub] == labels))
    timing = _best(lambda: kernel(arrays, out), 5)
    add("generated C, 3D LR(n=2) xln from raw 3D moments, streaming", n, 1, timing, agree)
    block = 1 << 16
    small = {k: v[:block].copy() for k, v in arrays.items()}
    out_small = (np.empty(block), np.empty(block, dtype=np.int8))
    reps = max(1, n // block)

    def run_blocks() -> None:
        for _ in range(reps):
            kernel(small, out_small)

    add(
        "generated C, 3D LR(n=2) xln from raw 3D moments, 65k-cell blocks in cache",
        reps * block,
        1,
        _best(run_blocks, 3),
        agree,
    )
    phys_dir = _train(workdir, "xln", "lr_physical", n_train, degree=2)
    phys = load_deployable(phys_dir)
    cells1d = synthetic_moments((n,), seed=7)
    arrays1d = {k: np.ascontiguousarray(cells1d[k]) for k in phys.raw_names}
    kernel1d = build_kernel(phys.plan(), "c", workdir / "kernels")
    kernel1d(arrays1d, out)
    add(
        "generated C, LR(n=2) xln in physical coordinates, streaming",
        n,
        1,
        _best(lambda: kernel1d(arrays1d, out), 5),
        np.nan,
    )


def _print_table(rows: list[dict[str, Any]], label_rate: dict[str, float], m: int) -> None:
    """The result table, each row's CPU rate next to the analytic test it stands in for."""

    def analytic(what: str) -> float:
        key = "3d" if "3D" in what else ("xln" if "xln" in what else "original")
        return label_rate.get(key, np.nan)

    table = pd.DataFrame(rows)
    table["cpu-s speed-up vs analytic"] = [r["cells/cpu-s"] / analytic(r["what"]) for r in rows]
    fmt = "{:.3g}".format
    with pd.option_context("display.width", 250, "display.max_colwidth", 90):
        print(
            table.to_string(
                index=False,
                formatters={
                    "cells/s": fmt,
                    "cells/cpu-s": fmt,
                    "agreement": "{:.4f}".format,
                    "cpu-s speed-up vs analytic": "{:.0f}x".format,
                },
            )
        )
    print(
        f"# agreement: fraction of {m:,} cells (strided over the field) whose flag equals the analytic maxent label"
    )
    print(
        f"# load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; GPU: none here (MLP GPU figure not measured)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", type=int, default=160, help="snapshot is grid^3 cells")
    parser.add_argument("--cells", type=int, default=1 << 22, help="cells for the C and ONNX runs")
    parser.add_argument(
        "--label-cells", type=int, default=50_000, help="cells for the analytic test"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--only", choices=["all", "3d"], default="all", help="sections to run")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    # training rows of the benchmarked models, and the MLP's epochs
    n_train, mlp_epochs = 20_000, 8
    if args.smoke:
        args.grid, args.cells, args.label_cells, args.workdir = 12, 1 << 16, 400, None
        n_train, mlp_epochs = 2_000, 1

    import torch

    torch.set_num_threads(2)
    from nulearn.flavor.data.labelling import label_moments
    from nulearn.flavor.deploy import flag_snapshot, load_deployable
    from nulearn.flavor.deploy.onnx_export import OnnxKernel, export_onnx
    from nulearn.flavor.deploy.snapshot import synthetic_moments, write_synthetic_snapshot
    from nulearn.flavor.deploy.toolchain import build_kernel
    from nulearn.flavor.physics.species import features_from_moments

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_deploy_"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NULEARN_CACHE_DIR", str(workdir / "cache"))
    rows: list[dict[str, Any]] = []

    def add(
        what: str, cells: int, cores: int, timing: tuple[float, float], agreement: float
    ) -> None:
        wall, cpu = timing
        rows.append(
            {
                "what": what,
                "cells": cells,
                "cores": cores,
                "cells/s": cells / wall,
                "cells/cpu-s": cells / max(cpu, 1e-9),
                "agreement": agreement,
            }
        )

    load = os.getloadavg()[0]
    print(f"# bench_deploy: workdir {workdir}, {os.cpu_count()} CPUs, load average {load:.1f}")
    if args.only == "3d":
        label_rate_3d: dict[str, float] = {}
        _bench_3d(workdir, args.cells, args.label_cells, add, label_rate_3d, n_train)
        _print_table(rows, label_rate_3d, min(args.label_cells, args.cells))
        return
    t0 = time.perf_counter()
    lr_dirs = {s: _train(workdir, s, "lr", n_train, degree=2) for s in ("original", "xln")}
    mlp_config = {
        "hidden_layers": (32, 32),
        "max_epochs": mlp_epochs,
        "num_threads": 2,
        "batch_size": 1024,
    }
    mlp_dir = _train(workdir, "xln", "mlp", n_train, config=mlp_config)
    print(
        f"# models LR(n=2) original/xln, MLP (32, 32) xln ready in {time.perf_counter() - t0:.1f} s"
    )

    n = args.cells
    cells = synthetic_moments((n,), seed=7)  # smooth 1D fields: both classes in regions

    # -- 4. analytic maximum-entropy test on label_cells cells spread over the field --------------
    m = min(args.label_cells, n)
    sub = np.linspace(0, n - 1, m).astype(np.int64)  # the fields are smooth: stride, never truncate
    labels: dict[str, np.ndarray] = {}
    label_rate: dict[str, float] = {}
    for scheme, cols in (
        ("original", ["n_nue", "n_nuebar", "F_nue", "F_nuebar"]),
        ("xln", list(cells)),
    ):
        feats = features_from_moments(pd.DataFrame({c: cells[c][sub] for c in cols}))
        label_moments(feats.iloc[:64], "maxent")  # warm-up: compile-on-first-use kernels
        timing = _best(lambda feats=feats: label_moments(feats, "maxent"), 1)
        labels[scheme] = label_moments(feats, "maxent")["crossing"].to_numpy()
        label_rate[scheme] = m / timing[1]
        add(f"analytic maxent test ({scheme}), label_moments", m, 1, timing, 1.0)

    # -- 1. generated C kernel, one core ------------------------------------------------------------
    for scheme, model_dir in lr_dirs.items():
        model = load_deployable(model_dir)
        kernel = build_kernel(model.plan(), "c", workdir / "kernels")
        out = (np.empty(n), np.empty(n, dtype=np.int8))
        arrays = {k: np.ascontiguousarray(cells[k]) for k in model.raw_names}
        kernel(arrays, out)
        agree = float(np.mean(out[1][sub] == labels[scheme]))
        timing = _best(lambda kernel=kernel, arrays=arrays, out=out: kernel(arrays, out), 5)
        add(f"generated C, LR(n=2) {scheme}, streaming", n, 1, timing, agree)
        block = 1 << 16
        small = {k: v[:block].copy() for k, v in arrays.items()}
        out_small = (np.empty(block), np.empty(block, dtype=np.int8))
        reps = max(1, n // block)

        def run_blocks(kernel=kernel, small=small, out_small=out_small, reps=reps) -> None:  # type: ignore[no-untyped-def]
            for _ in range(reps):
                kernel(small, out_small)

        add(
            f"generated C, LR(n=2) {scheme}, 65k-cell blocks in cache",
            reps * block,
            1,
            _best(run_blocks, 3),
            agree,
        )

    # -- 2. nulearn flavor flag end to end -----------------------------------------------------------
    shape = (args.grid,) * 3
    snap = workdir / f"snapshot_{args.grid}.h5"
    if not snap.exists():
        t_write = time.perf_counter()
        write_synthetic_snapshot(snap, shape)
        print(
            f"# wrote {shape} snapshot ({snap.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t_write:.1f} s"
        )
    n_grid = int(np.prod(shape))
    for scheme, model_dir in lr_dirs.items():
        flags = workdir / f"flags_{scheme}.h5"
        # The synthetic snapshot carries nu_x moments; the ELN model ignores them (a speed figure).
        eln_only = scheme == "original"
        flag_snapshot(
            snap, model_dir, flags, overwrite=True, threads=2, ignore_heavy_leptons=eln_only
        )  # warm: kernel and page cache

        def run_flag(
            model_dir: Path = model_dir, flags: Path = flags, eln_only: bool = eln_only
        ) -> None:
            flag_snapshot(
                snap, model_dir, flags, overwrite=True, threads=2, ignore_heavy_leptons=eln_only
            )

        add(f"flag_snapshot, LR(n=2) {scheme}, HDF5 {shape}", n_grid, 2, _best(run_flag, 3), np.nan)
    exe = Path(sys.executable).parent / "nulearn"  # the console script of this environment
    cmd = [str(exe), "flavor", "flag", str(snap), "--model", str(lr_dirs["original"])]
    cmd += ["--out", str(workdir / "flags_cli.h5"), "--overwrite", "--no-progress"]
    cmd += ["--ignore-heavy-leptons"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    add(
        f"nulearn flavor flag CLI process (with start-up), LR(n=2) original, {shape}",
        n_grid,
        2,
        (wall, cpu),
        np.nan,
    )

    # -- 3. MLP through onnxruntime (2 threads) and as generated C (1 core) ---------------------------
    mlp = load_deployable(mlp_dir)
    n_mlp = min(n, 1 << 20)
    x = {k: np.ascontiguousarray(cells[k][:n_mlp]) for k in mlp.raw_names}
    in_mlp = sub < n_mlp
    for precision in ("float32", "float64"):
        path = export_onnx(mlp, workdir / f"mlp_{precision}.onnx", precision=precision)
        ort_kernel = OnnxKernel(path, mlp.raw_names, threads=2)
        _, flag = ort_kernel(x)
        agree = float(np.mean(flag[sub[in_mlp]] == labels["xln"][in_mlp]))
        add(
            f"MLP (32, 32) xln, onnxruntime {precision}",
            n_mlp,
            2,
            _best(lambda k=ort_kernel: k(x), 3),
            agree,
        )
    c_kernel = build_kernel(mlp.plan(), "c", workdir / "kernels")
    agree = float(np.mean(c_kernel(x)[1][sub[in_mlp]] == labels["xln"][in_mlp]))
    add("MLP (32, 32) xln, generated C", n_mlp, 1, _best(lambda: c_kernel(x), 3), agree)

    _bench_3d(workdir, n, args.label_cells, add, label_rate, n_train)
    _print_table(rows, label_rate, m)


if __name__ == "__main__":
    main()
