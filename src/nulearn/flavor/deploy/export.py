"""One entry point for every export format: ``export_model(model_dir, fmt, out)``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nulearn.flavor.deploy.loading import load_deployable

__all__ = ["FORMATS", "ExportResult", "export_model"]

#: formats of ``nulearn flavor export --format``
FORMATS: tuple[str, ...] = ("onnx", "torchscript", "c", "fortran")


@dataclass(frozen=True)
class ExportResult:
    """What was written: ``path``, ``fmt``, the generated ``symbol`` (C/Fortran), ``raw_names``
    (the raw moment inputs in argument/column order), the model ``kind`` and, when measured,
    ``cells_per_second`` on one core and a one-line ``speed`` note for the user."""

    path: Path
    fmt: str
    symbol: str | None
    raw_names: tuple[str, ...]
    kind: str
    cells_per_second: float | None = None
    speed: str = ""


def export_model(
    model_dir: str | Path,
    fmt: str,
    out: str | Path,
    *,
    name: str | None = None,
    precision: str = "float64",
    measure: bool = False,
) -> ExportResult:
    """Export a saved model.

    Args:
        model_dir: model directory (``card.yaml`` + ``estimator.joblib``).
        fmt: ``onnx`` (every model), ``torchscript`` (MLP), ``c`` or ``fortran`` (a header
            ``.h`` / module ``.f90``: LR, MLP, LightGBM, SVM, decision tree; not KNN).
        out: output file.
        name: C identifier part of the generated function (default ``<model>_<scheme>``).
        precision: MLP arithmetic in ONNX/TorchScript, ``float64`` (default: agrees with the
            float64 reference to ~1e-13) or ``float32`` (faster; ~1e-7 in the logit, more after
            an isotonic calibrator).
        measure: time the written file on synthetic cells
            (:func:`~nulearn.flavor.deploy.throughput.measure_throughput`; compiles C/Fortran).

    Raises:
        ValueError: an unknown format or one the model does not support.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} unknown; allowed: {', '.join(FORMATS)}")
    if precision not in ("float64", "float32"):
        raise ValueError(f"precision {precision!r} unknown; allowed: float64, float32")
    model = load_deployable(model_dir)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    symbol = None
    if fmt == "onnx":
        from nulearn.flavor.deploy.onnx_export import export_onnx

        export_onnx(model, out, precision=precision)
    elif fmt == "torchscript":
        from nulearn.flavor.deploy.torchscript_export import export_torchscript

        export_torchscript(model, out, precision=precision)
    else:
        from nulearn.flavor.deploy.codegen_c import c_function_name, generate_c_header
        from nulearn.flavor.deploy.codegen_fortran import generate_fortran_module

        plan = model.plan(name)
        out.write_text(generate_c_header(plan) if fmt == "c" else generate_fortran_module(plan))
        symbol = c_function_name(plan)
    result = ExportResult(
        path=out, fmt=fmt, symbol=symbol, raw_names=model.raw_names, kind=model.kind
    )
    if measure:
        from dataclasses import replace

        from nulearn.flavor.deploy.throughput import measure_throughput, speed_note

        rate = measure_throughput(model, fmt, out, symbol)
        result = replace(result, cells_per_second=rate, speed=speed_note(model, fmt, rate))
    return result
