"""How fast an exported model flags cells: a quick timing of the written file on one core.

:func:`measure_throughput` loads what :func:`~nulearn.flavor.deploy.export.export_model` wrote (the
C header or Fortran module compiled with the kernel flags, the ONNX graph in onnxruntime with one
thread, the TorchScript module with one thread) and times it on synthetic valid cells
(:func:`synthetic_cells`), growing the batch until a run takes long enough to time. KNN through
ONNX compares each cell with every training sample and is flagged as slow in the note.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.loading import DeployableModel

__all__ = ["measure_throughput", "speed_note", "synthetic_cells"]

Kernel = Callable[[Mapping[str, NDArray[np.float64]]], object]


def synthetic_cells(
    raw_names: tuple[str, ...], n: int, seed: int = 0
) -> dict[str, NDArray[np.float64]]:
    """Valid raw moments of ``n`` cells: densities in [0.3, 2], flux factors in [0, 0.95)
    (3D: flux vectors of such magnitude in random directions)."""
    rng = np.random.default_rng(seed)
    out: dict[str, NDArray[np.float64]] = {}
    for name in raw_names:
        if name.startswith("n_"):
            out[name] = rng.uniform(0.3, 2.0, n)
        elif name.startswith("F_"):
            out[name] = rng.uniform(0.0, 0.95, n)
    for name in raw_names:
        if name.startswith("flux_x_"):
            s = name.removeprefix("flux_x_")
            direction = rng.normal(size=(n, 3))
            direction /= np.linalg.norm(direction, axis=1, keepdims=True)
            flux = (rng.uniform(0.0, 0.95, n) * out[f"n_{s}"])[:, None] * direction
            for j, ax in enumerate("xyz"):
                out[f"flux_{ax}_{s}"] = flux[:, j].copy()
    return out


def _runtime_kernel(model: DeployableModel, fmt: str, path: Path) -> Kernel:
    """onnxruntime or TorchScript, one thread."""
    if fmt == "onnx":
        from nulearn.flavor.deploy.onnx_export import OnnxKernel

        return OnnxKernel(path, model.raw_names, threads=1)
    import torch

    module = torch.jit.load(str(path))

    def run(moments: Mapping[str, NDArray[np.float64]]) -> object:
        x = np.stack([moments[k] for k in model.raw_names], axis=1)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                return module(torch.from_numpy(x))
        finally:
            torch.set_num_threads(threads)

    return run


def measure_throughput(
    model: DeployableModel,
    fmt: str,
    path: str | Path,
    symbol: str | None = None,
    min_seconds: float = 0.2,
    max_cells: int = 1 << 17,
) -> float:
    """Cells per second of the exported file at ``path`` (format ``fmt``) on one core.

    Args:
        symbol: the generated function (C/Fortran), ``nulearn_<name>``.
        min_seconds: grow the batch (from 256 cells, x4) until one run takes this long.
        max_cells: ... or the batch reaches this size.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        kernel = _load(model, fmt, path, Path(tmp), symbol)
        n = 256
        while True:
            cells = synthetic_cells(model.raw_names, n)
            kernel(cells)  # warm up (first-call allocations, lazy initialization)
            t0 = time.perf_counter()
            kernel(cells)
            seconds = time.perf_counter() - t0
            if seconds >= min_seconds or n >= max_cells:
                return n / max(seconds, 1e-9)
            n *= 4


def _load(
    model: DeployableModel, fmt: str, path: Path, workdir: Path, symbol: str | None
) -> Kernel:
    if fmt not in ("c", "fortran"):
        return _runtime_kernel(model, fmt, path)
    from dataclasses import replace

    from nulearn.flavor.deploy.toolchain import CompiledKernel, compile_shared

    plan = model.plan()
    if symbol is not None:
        plan = replace(plan, name=symbol.removeprefix("nulearn_"))
    library = compile_shared(path, workdir / "kernel.so", fmt)
    return CompiledKernel(library, plan)


def speed_note(model: DeployableModel, fmt: str, cells_per_second: float) -> str:
    """One line for the export command: the measured rate, and a warning where it is slow."""
    rate = f"{cells_per_second:.3g} cells/s on one core ({1e9 / cells_per_second:.3g} ns per cell)"
    if model.kind == "knn":
        n_train = getattr(model.estimator, "n_samples_fit_", None)
        return (
            f"measured {rate}: SLOW, KNN compares every cell with all {n_train or 'the'} training "
            "samples; use it for offline snapshots, or export lr, gbt or mlp as C for in-situ flagging"
        )
    return f"measured {rate}"
