"""TorchScript and ONNX exports of the learned closure: raw moments -> asymptotic moments, status.

:class:`RawMomentClosure` takes ``moments`` of shape ``(n_cells, 8)`` (float64, columns
``n_nue, n_nuebar, n_nux, n_nuxbar, F_nue, F_nuebar, F_nux, F_nuxbar``: densities in any unit,
flux factors in [0, 1)) and returns ``asymptotic (n_cells, 8)`` (the same columns after conversion,
densities in the input unit, signed flux factors; NaN for invalid cells) and ``status
(n_cells,)`` int8 (0 valid, the domain flag outside the training domain, -1 invalid), as the
generated C (:mod:`nulearn.flavor.deploy.closure_codegen`). The training-domain check (per-feature
bounds and the mixture density) is inside the graph.
"""

# no "from __future__ import annotations": TorchScript reads the class-level buffer annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from nulearn.flavor.deploy.closure_codegen import closure_feature_domain
from nulearn.flavor.models.closure import ClosureModel

__all__ = [
    "CLOSURE_FORMATS",
    "RAW_COLUMNS",
    "RawMomentClosure",
    "export_closure",
    "export_closure_onnx",
    "export_closure_torchscript",
]

#: Columns of the ``moments`` input and of the ``asymptotic`` output.
RAW_COLUMNS: tuple[str, ...] = (
    "n_nue",
    "n_nuebar",
    "n_nux",
    "n_nuxbar",
    "F_nue",
    "F_nuebar",
    "F_nux",
    "F_nuxbar",
)


class _Closure(torch.nn.Module):
    """The closure on raw moments (see :func:`RawMomentClosure`)."""

    mean: torch.Tensor
    scale: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor
    dcenter: torch.Tensor
    dscale: torch.Tensor
    log_norm: torch.Tensor
    dmeans: torch.Tensor
    inv_var: torch.Tensor

    def __init__(self, model: ClosureModel) -> None:
        super().__init__()
        f64 = torch.float64
        self.register_buffer("mean", torch.tensor(model.mean, dtype=f64))
        self.register_buffer("scale", torch.tensor(model.scale, dtype=f64))
        self.layers = torch.nn.ModuleList()
        for w, b in zip(model.weights, model.biases, strict=True):
            lin = torch.nn.Linear(w.shape[1], w.shape[0]).to(f64)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(w, dtype=f64))
                lin.bias.copy_(torch.tensor(b, dtype=f64))
            lin.requires_grad_(False)  # inference only: outputs need no graph
            self.layers.append(lin)
        dom = closure_feature_domain(model)
        self.has_domain = dom is not None
        self.has_density = dom is not None and dom.has_density
        z = np.zeros(0)
        self.register_buffer("lower", torch.tensor(dom.lower if dom else z, dtype=f64))
        self.register_buffer("upper", torch.tensor(dom.upper if dom else z, dtype=f64))
        self.register_buffer("dcenter", torch.tensor(dom.center if dom else z, dtype=f64))
        self.register_buffer("dscale", torch.tensor(dom.scale if dom else z, dtype=f64))
        self.register_buffer("log_norm", torch.tensor(dom.log_norm if dom else z, dtype=f64))
        zz = np.zeros((0, 0))
        self.register_buffer("dmeans", torch.tensor(dom.means if dom else zz, dtype=f64))
        self.register_buffer("inv_var", torch.tensor(dom.inv_variances if dom else zz, dtype=f64))
        self.threshold = float(dom.log_density_threshold) if dom else 0.0
        self.flag = float(dom.flag) if dom else 0.0

    def forward(self, moments: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n_e, n_b, n_x, n_xb = moments[:, 0], moments[:, 1], moments[:, 2], moments[:, 3]
        f_e, f_b, f_x, f_xb = moments[:, 4], moments[:, 5], moments[:, 6], moments[:, 7]
        valid = torch.ones_like(n_e, dtype=torch.bool)
        for k in range(4):
            n = moments[:, k]
            f = moments[:, 4 + k]
            valid = valid & (n > 0.0) & (n < float("inf")) & (f >= 0.0) & (f < 1.0)
        a, ax, axb = n_b / n_e, n_x / n_e, n_xb / n_e
        x = torch.stack([a, ax, axb, f_e, f_b, f_x, f_xb], dim=1)
        g0 = ((1.0 - a) - ax) + axb
        g1 = ((f_e - a * f_b) - ax * f_x) + axb * f_xb
        h = (torch.cat([x, g0[:, None], g1[:, None]], dim=1) - self.mean) / self.scale
        n_layers = len(self.layers)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < n_layers - 1:
                h = torch.tanh(h)
        s = torch.sigmoid(h)
        one = torch.ones_like(a)
        lo = -torch.minimum(ax, axb)
        hi = torch.minimum(one, a)
        delta = lo + s[:, 0] * (hi - lo)
        ne2, nx2, nb2, nxb2 = one - delta, ax + delta, a - delta, axb + delta
        jt = f_e + ax * f_x
        jtb = a * f_b + axb * f_xb
        a1 = torch.maximum(-ne2, jt - nx2)
        b1 = torch.minimum(ne2, jt + nx2)
        je2 = a1 + s[:, 1] * (b1 - a1)
        a2 = torch.maximum(-nb2, jtb - nxb2)
        b2 = torch.minimum(nb2, jtb + nxb2)
        jb2 = a2 + s[:, 2] * (b2 - a2)
        n_after = torch.stack([ne2, nb2, nx2, nxb2], dim=1)
        j_after = torch.stack([je2, jb2, jt - je2, jtb - jb2], dim=1)
        safe = torch.where(n_after > 0.0, n_after, torch.ones_like(n_after))
        flux = torch.where(n_after > 0.0, j_after / safe, torch.full_like(n_after, float("nan")))
        out = torch.cat([n_after * n_e[:, None], flux], dim=1)
        out = torch.where(valid[:, None], out, torch.full_like(out, float("nan")))
        status = torch.where(valid, torch.zeros_like(a), -torch.ones_like(a))
        if self.has_domain:
            inside = ((x >= self.lower) & (x <= self.upper)).all(dim=1)
            if self.has_density:
                z = (x - self.dcenter) / self.dscale
                quad = (((z[:, None, :] - self.dmeans[None]) ** 2) * self.inv_var[None]).sum(2)
                score = (self.log_norm[None, :] - 0.5 * quad).max(dim=1).values
                inside = inside & (score >= self.threshold)
            status = torch.where(valid & ~inside, torch.full_like(a, self.flag), status)
        return out, status.to(torch.int8)


def RawMomentClosure(model: ClosureModel) -> Any:
    """The closure as a ``torch.nn.Module`` on raw moments (module docstring)."""
    return _Closure(model)


def export_closure_torchscript(model: ClosureModel, out: str | Path) -> Path:
    """Script :func:`RawMomentClosure` and save it (loads with ``torch.jit.load``)."""
    scripted = torch.jit.script(RawMomentClosure(model))
    path = Path(out)
    scripted.save(str(path))
    return path


def export_closure_onnx(model: ClosureModel, out: str | Path) -> Path:
    """Export :func:`RawMomentClosure` to ONNX (input ``moments``, outputs ``asymptotic``,
    ``status``; dynamic number of cells)."""
    from nulearn.flavor.deploy.onnx_export import OPSET

    module = RawMomentClosure(model)
    example = torch.full((4, 8), 0.5, dtype=torch.float64)
    path = Path(out)
    torch.onnx.export(
        module,
        (example,),
        str(path),
        input_names=["moments"],
        output_names=["asymptotic", "status"],
        dynamic_axes={
            "moments": {0: "n_cells"},
            "asymptotic": {0: "n_cells"},
            "status": {0: "n_cells"},
        },
        opset_version=OPSET,
        dynamo=False,
    )
    return path


#: Export formats of :func:`export_closure` and the file each writes.
CLOSURE_FORMATS: dict[str, str] = {
    "c": "nulearn_closure.h",
    "fortran": "nulearn_closure.f90",
    "onnx": "closure.onnx",
    "torchscript": "closure.pt",
}


def export_closure(
    closure: str | Path, out: str | Path, formats: tuple[str, ...] = ("c", "onnx", "torchscript")
) -> list[Path]:
    """Write a saved closure in each format to the folder ``out`` (files of
    :data:`CLOSURE_FORMATS`); the one library call of ``nulearn flavor closure export``.

    Raises:
        ValueError: an unknown format, or ``out`` a folder holding other files.
    """
    from nulearn.flavor.deploy.closure_codegen import generate_closure_c
    from nulearn.flavor.deploy.closure_fortran import generate_closure_fortran
    from nulearn.ml.io import atomic_output, check_output

    unknown = [f for f in formats if f not in CLOSURE_FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"closure export formats {unknown or formats}; allowed: {', '.join(CLOSURE_FORMATS)}"
        )
    names = list(CLOSURE_FORMATS.values())
    target = check_output(out, directory=True, what="--out", replaceable=names)
    model = ClosureModel.load(closure)
    with atomic_output(target, directory=True, replaceable=names) as tmp:
        for fmt in formats:
            path = tmp / CLOSURE_FORMATS[fmt]
            if fmt == "c":
                path.write_text(generate_closure_c(model))
            elif fmt == "fortran":
                path.write_text(generate_closure_fortran(model))
            elif fmt == "onnx":
                export_closure_onnx(model, path)
            else:
                export_closure_torchscript(model, path)
    return [target / CLOSURE_FORMATS[f] for f in formats]
