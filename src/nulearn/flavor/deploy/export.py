"""One entry point for every export format: ``export_model(model_dir, fmt, out)``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nulearn.flavor.deploy.loading import load_deployable

__all__ = [
    "EXPORT_SUFFIXES",
    "FORMATS",
    "ExportResult",
    "check_identifier",
    "export_model",
]

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


#: Output suffixes per format.
EXPORT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "onnx": (".onnx",),
    "torchscript": (".pt", ".ts"),
    "c": (".h", ".hpp"),
    "fortran": (".f90", ".f03", ".f08", ".F90"),
}
#: Longest Fortran 2008 name (the module ``nulearn_<name>_mod`` must fit).
_FORTRAN_NAME_MAX = 63


def check_identifier(name: str) -> None:
    """Refuse a ``--name`` that would not make a C and Fortran identifier.

    The generated names are ``nulearn_<name>`` (C function, Fortran subroutine) and
    ``nulearn_<name>_mod`` (Fortran module): ``name`` must start with a letter, hold only ASCII
    letters, digits and underscores, and keep the module name within Fortran's 63 characters.

    >>> check_identifier("lr_xln")
    >>> check_identifier("1 bad-name;")
    Traceback (most recent call last):
    ...
    ValueError: --name '1 bad-name;' is not a C/Fortran identifier: it must start with a letter and hold only letters, digits and underscores
    """
    import re

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ValueError(
            f"--name {name!r} is not a C/Fortran identifier: it must start with a letter and hold "
            "only letters, digits and underscores"
        )
    if len(f"nulearn_{name}_mod") > _FORTRAN_NAME_MAX:
        raise ValueError(
            f"--name {name!r} is too long: the Fortran module nulearn_{name}_mod would exceed "
            f"{_FORTRAN_NAME_MAX} characters"
        )


def export_model(
    model_dir: str | Path,
    fmt: str,
    out: str | Path,
    *,
    name: str | None = None,
    precision: str = "float64",
    measure: bool = False,
    trusted: bool = False,
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
        trusted: load a model without card checksum or with an unrestricted estimator file.

    Raises:
        ValueError: an unknown format or one the model does not support, an invalid ``name``,
            or an output path that cannot be written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} unknown; allowed: {', '.join(FORMATS)}")
    if precision not in ("float64", "float32"):
        raise ValueError(f"precision {precision!r} unknown; allowed: float64, float32")
    from nulearn.ml.io import atomic_output, check_output

    if name is not None:
        check_identifier(name)
    out = check_output(out, suffixes=EXPORT_SUFFIXES[fmt], what=f"--out ({fmt})")
    model = load_deployable(model_dir, trusted=trusted)
    symbol = None
    if fmt == "onnx":
        from nulearn.flavor.deploy.onnx_export import export_onnx

        with atomic_output(out) as tmp:
            export_onnx(model, tmp, precision=precision)
    elif fmt == "torchscript":
        from nulearn.flavor.deploy.torchscript_export import export_torchscript

        with atomic_output(out) as tmp:
            export_torchscript(model, tmp, precision=precision)
    else:
        from nulearn.flavor.deploy.codegen_c import c_function_name, generate_c_header
        from nulearn.flavor.deploy.codegen_fortran import generate_fortran_module

        plan = model.plan(name)
        source = generate_c_header(plan) if fmt == "c" else generate_fortran_module(plan)
        with atomic_output(out) as tmp:
            tmp.write_text(source)
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
