"""The MLP as one PyTorch module from raw moments to (probability, flag), for TorchScript and ONNX.

:class:`RawMomentMLP` runs the :class:`~nulearn.flavor.deploy.plan.DeployPlan` of a fitted
:class:`nulearn.flavor.models.mlp.classifier.MLPClassifier` (BatchNorm folded into the linear layers, dropout
dropped, the prior-shift logit offset in the last bias; exact up to rounding):
raw moments ``(n_cells, n_raw)`` in the order of
:func:`~nulearn.flavor.deploy.raw_moments.raw_moment_names` -> features -> network -> calibrator
-> ``p_crossing (n_cells,)`` and ``flag (n_cells,)`` int8 (1 crossing, 0 none, -1 invalid input
with ``p_crossing = NaN``).

Inference-time graph economy (each elementwise op is a pass over memory in onnxruntime): for
1D moments, features are ``(moments @ A) / (moments @ B + c)`` (``A`` picks numerators, ``B``
the density ``n_nue`` of ratio features, ``c = 1`` for plain flux factors), and validity is one
pair of comparisons of ``moments`` against per-column bounds. For 3D moments the
:class:`~nulearn.flavor.deploy.raw_moments.MomentProgram` runs one op kind at a time on gathered
columns (all divisions at once, then all magnitudes, dot products and cosines), appending to a
table of variables. Physical coordinates (``MLPClassifier.coordinates_``: ``log``, ``atanh``,
lepton-number moments) are computed before the standardization. The isotonic calibrator is evaluated as
``np.interp`` does it: the segment index is the count of knots ``<= p``, then a linear
interpolation with clipping at both ends.
"""

# no "from __future__ import annotations": TorchScript reads the class-level buffer annotations

import numpy as np
import torch
from torch import nn

from nulearn.flavor.deploy.loading import DeployableModel
from nulearn.flavor.deploy.plan import Coordinates, Dense, FeatureDomain, Standardize
from nulearn.flavor.deploy.raw_moments import (
    FEATURE_FORMULAS,
    MIN_DIRECTED_FLUX,
    OP_ORDER,
    MomentProgram,
    moment_program,
)

__all__ = ["RawMomentMLP"]

# F >= 0 written as F > -(smallest subnormal), so that one strict comparison covers n > 0 and F >= 0
_BELOW_ZERO = -np.nextafter(0.0, 1.0)


class RawMomentMLP(nn.Module):
    """Raw moments -> ``(p_crossing, flag)`` for a fitted MLPClassifier (see the module docstring).

    Args:
        model: a loaded ``mlp`` model directory.
        dtype: ``torch.float64`` (default; agrees with the float64 Python reference to ~1e-12)
            or ``torch.float32`` (the training precision; faster, ~1e-7 in the logit). Features
            and the validity check are computed in float64 either way.
    """

    numerator: torch.Tensor
    denominator: torch.Tensor
    offset: torch.Tensor
    div_a: torch.Tensor
    div_b: torch.Tensor
    norm_args: torch.Tensor
    dot_args: torch.Tensor
    cos_args: torch.Tensor
    feature_index: torch.Tensor
    density_index: torch.Tensor
    flux_index: torch.Tensor
    g0_index: torch.Tensor
    g0_sign: torch.Tensor
    g1_a: torch.Tensor
    g1_b: torch.Tensor
    g1_sign: torch.Tensor
    mean: torch.Tensor
    inv_scale: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor
    knots_x: torch.Tensor
    knots_y: torch.Tensor
    dom_lower: torch.Tensor
    dom_upper: torch.Tensor
    dom_center: torch.Tensor
    dom_scale: torch.Tensor
    dom_log_norm: torch.Tensor
    dom_means: torch.Tensor
    dom_inv_var: torch.Tensor

    def __init__(self, model: DeployableModel, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        if model.kind != "mlp":
            raise ValueError(f"RawMomentMLP needs an mlp model, got {model.kind!r}")
        plan = model.plan()
        self._register_domain(plan.domain, len(plan.feature_names))
        raw = list(plan.raw_names)
        k = len(plan.feature_names)
        program = moment_program(plan.feature_names)
        self.three_dimensional = program.dimension == 3
        self._register_program(program)
        a = np.zeros((len(raw), k))
        b = np.zeros((len(raw), k))
        c = np.zeros(k)
        for j, name in enumerate([] if self.three_dimensional else plan.feature_names):
            num, den = FEATURE_FORMULAS[name]
            a[raw.index(num), j] = 1.0
            if den is None:
                c[j] = 1.0
            else:
                b[raw.index(den), j] = 1.0
        self.register_buffer("numerator", torch.tensor(a, dtype=torch.float64))
        self.register_buffer("denominator", torch.tensor(b, dtype=torch.float64))
        self.register_buffer("offset", torch.tensor(c, dtype=torch.float64))
        is_density = np.array([r.startswith("n_") for r in raw])
        self.register_buffer(
            "lower", torch.tensor(np.where(is_density, 0.0, _BELOW_ZERO), dtype=torch.float64)
        )
        self.register_buffer(
            "upper", torch.tensor(np.where(is_density, np.inf, 1.0), dtype=torch.float64)
        )

        layers: list[nn.Module] = []
        mean, scale = np.zeros(k), np.ones(k)
        self._register_coordinates(None)
        for i, stage in enumerate(plan.stages):
            if isinstance(stage, Coordinates):
                if i != 0:
                    raise ValueError("RawMomentMLP expects physical coordinates as the first stage")
                self._register_coordinates(stage)
                mean, scale = np.zeros(stage.n_out), np.ones(stage.n_out)
                continue
            if isinstance(stage, Standardize):
                if layers:
                    raise ValueError(
                        "RawMomentMLP expects the standardization before the first layer"
                    )
                mean, scale = stage.mean, stage.scale
                continue
            if not isinstance(stage, Dense):
                raise ValueError(
                    f"RawMomentMLP runs standardization and dense layers, not {type(stage).__name__}"
                )
            linear = nn.Linear(stage.weight.shape[1], stage.weight.shape[0], dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(stage.weight))
                linear.bias.copy_(torch.tensor(stage.bias))
            layers.append(linear)
            if stage.relu:
                layers.append(nn.ReLU())
        # standardization kept apart from the first layer (folding it would perturb the logit at
        # the 1e-16 level, which the steep segments of an isotonic calibrator amplify to ~1e-6)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float64))
        self.register_buffer("inv_scale", torch.tensor(1.0 / scale, dtype=torch.float64))
        self.network = nn.Sequential(*layers).to(dtype).eval().requires_grad_(False)
        cal = plan.calibration
        self.calibration = cal.kind
        self.inv_temperature = 1.0 / cal.temperature
        self.logit_min = float(max(cal.logit_min, -1e300))
        self.logit_max = float(min(cal.logit_max, 1e300))
        knots_x = cal.x if cal.kind == "isotonic" else np.zeros(2)
        knots_y = cal.y if cal.kind == "isotonic" else np.zeros(2)
        if knots_x.size == 1:  # a constant map: two equal knots keep one code path
            knots_x, knots_y = np.repeat(knots_x, 2), np.repeat(knots_y, 2)
        self.register_buffer("knots_x", torch.tensor(knots_x, dtype=dtype))
        self.register_buffer("knots_y", torch.tensor(knots_y, dtype=dtype))
        self.threshold = float(plan.threshold)

    def _register_domain(self, domain: FeatureDomain | None, k: int) -> None:
        """Buffers of the training-domain check (:class:`~nulearn.flavor.deploy.plan.FeatureDomain`)."""
        dom = domain or FeatureDomain(np.full(k, -np.inf), np.full(k, np.inf), flag=2)
        self.has_domain = domain is not None
        self.has_density = domain is not None and dom.has_density
        self.domain_flag = int(dom.flag)
        self.log_density_threshold = float(dom.log_density_threshold) if self.has_density else 0.0
        values = {
            "dom_lower": dom.lower,
            "dom_upper": dom.upper,
            "dom_center": dom.center,
            "dom_scale": dom.scale,
            "dom_log_norm": dom.log_norm,
            "dom_means": dom.means if self.has_density else np.zeros((0, k)),
            "dom_inv_var": dom.inv_variances if self.has_density else np.zeros((0, k)),
        }
        for name, value in values.items():
            self.register_buffer(name, torch.tensor(np.asarray(value), dtype=torch.float64))

    def _inside(self, x: torch.Tensor) -> torch.Tensor:
        """``(n,)`` bool: features within the training domain (bounds and density)."""
        inside = ((x >= self.dom_lower) & (x <= self.dom_upper)).all(dim=1)
        if self.has_density:
            z = (x - self.dom_center) / self.dom_scale
            diff = z.unsqueeze(1) - self.dom_means.unsqueeze(0)
            quad = (diff * diff * self.dom_inv_var.unsqueeze(0)).sum(dim=2)
            log_density = (self.dom_log_norm.unsqueeze(0) - 0.5 * quad).max(dim=1).values
            inside = inside & (log_density >= self.log_density_threshold)
        return inside

    def _register_program(self, program: MomentProgram) -> None:
        """Index buffers of the program's op groups (columns of the variable table ``v``)."""
        # columns: the inputs, then each kind's outputs in the order forward() appends them
        names = list(program.inputs)
        for kind in OP_ORDER:
            names.extend(op.out for op in program.ops if op.kind == kind)
        groups: dict[str, list[list[int]]] = {kind: [] for kind in OP_ORDER}
        for op in program.ops:  # each kind reads only inputs and earlier kinds' outputs
            groups[op.kind].append([names.index(arg) for arg in op.args])
        for kind, buffer, width in (
            ("div", "div_args", 2),
            ("norm3", "norm_args", 3),
            ("dot3", "dot_args", 6),
            ("cosine", "cos_args", 3),
        ):
            index = torch.tensor(groups[kind], dtype=torch.int64).reshape(-1, width).T
            if kind == "div":
                self.register_buffer("div_a", index[0].contiguous())
                self.register_buffer("div_b", index[1].contiguous())
            else:
                self.register_buffer(buffer, index.contiguous())
        # op counts as plain ints: constants for TorchScript and the ONNX tracer
        self.n_div, self.n_norm3 = len(groups["div"]), len(groups["norm3"])
        self.n_dot3, self.n_cosine = len(groups["dot3"]), len(groups["cosine"])
        self.register_buffer(
            "feature_index", torch.tensor([names.index(f) for f in program.features])
        )
        self.register_buffer(
            "density_index", torch.tensor([names.index(n) for n, _ in program.checks])
        )
        self.register_buffer(
            "flux_index", torch.tensor([names.index(f) for _, f in program.checks])
        )
        self.min_flux = float(MIN_DIRECTED_FLUX)

    def _register_coordinates(self, stage: Coordinates | None) -> None:
        """Physical coordinates: ``ratio_columns`` (-1: none) and the lepton-number terms."""
        self.ratio_columns = -1 if stage is None else stage.ratio_columns
        self.softening = 0.0 if stage is None else float(stage.softening)
        g0 = [] if stage is None else list(stage.g0_terms)
        g1 = [] if stage is None else list(stage.g1_terms)
        n_in = 0 if stage is None else stage.n_in
        self.register_buffer("g0_index", torch.tensor([i for _, i in g0], dtype=torch.int64))
        self.register_buffer("g0_sign", torch.tensor([s for s, _ in g0], dtype=torch.float64))
        self.register_buffer("g1_a", torch.tensor([a for _, a, _ in g1], dtype=torch.int64))
        # a single factor multiplies a column of ones appended at index n_in
        self.register_buffer(
            "g1_b", torch.tensor([b if b >= 0 else n_in for _, _, b in g1], dtype=torch.int64)
        )
        self.register_buffer("g1_sign", torch.tensor([s for s, _, _ in g1], dtype=torch.float64))
        self.n_g0, self.n_g1 = len(g0), len(g1)

    def _coordinates(self, x: torch.Tensor) -> torch.Tensor:
        """``[log ratios, artanh F, F (, g0, g1, g1 / (|g0| + softening))]``, sums left to right."""
        r = self.ratio_columns
        f = x[:, r:]
        # artanh F = 0.5 log((1 + F) / (1 - F)): onnxruntime has no double-precision Atanh
        parts = [torch.log(x[:, :r]), 0.5 * torch.log((1.0 + f) / (1.0 - f)), f]
        if self.n_g0 > 0:
            g0 = torch.ones_like(x[:, 0])
            for k in range(self.n_g0):  # +- x exactly: sign * x is exact
                g0 = g0 + self.g0_sign[k] * x[:, self.g0_index[k]]
            xe = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
            g1 = torch.zeros_like(x[:, 0])
            for k in range(self.n_g1):
                g1 = g1 + self.g1_sign[k] * (xe[:, self.g1_a[k]] * xe[:, self.g1_b[k]])
            ratio = g1 / (torch.abs(g0) + self.softening)
            parts.append(torch.stack([g0, g1, ratio], dim=1))
        return torch.cat(parts, dim=1)

    def _features3d(self, moments: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """3D program: ``(features (n, k), valid (n,))``, same operations as the C kernel."""
        v = moments
        if self.n_div > 0:
            v = torch.cat([v, v[:, self.div_a] / v[:, self.div_b]], dim=1)
        if self.n_norm3 > 0:
            i = self.norm_args
            x, y, z = v[:, i[0]], v[:, i[1]], v[:, i[2]]
            v = torch.cat([v, torch.sqrt(x * x + y * y + z * z)], dim=1)
        if self.n_dot3 > 0:
            i = self.dot_args
            dot = v[:, i[0]] * v[:, i[3]] + v[:, i[1]] * v[:, i[4]] + v[:, i[2]] * v[:, i[5]]
            v = torch.cat([v, dot], dim=1)
        if self.n_cosine > 0:
            i = self.cos_args
            dot, fa, fb = v[:, i[0]], v[:, i[1]], v[:, i[2]]
            ok = (fa > self.min_flux) & (fb > self.min_flux)
            q = dot / torch.where(ok, fa * fb, torch.ones_like(fa))
            cos = torch.where(ok, torch.clamp(q, -1.0, 1.0), torch.zeros_like(q))
            v = torch.cat([v, cos], dim=1)
        n = v[:, self.density_index]
        f = v[:, self.flux_index]
        valid = ((n > 0.0) & (n < float("inf")) & (f >= 0.0) & (f < 1.0)).all(dim=1)
        return v[:, self.feature_index], valid

    def _isotonic(self, p: torch.Tensor) -> torch.Tensor:
        kx, ky = self.knots_x, self.knots_y
        last = int(kx.shape[0]) - 1
        # count in float32 (exact below 2^24 knots): half the memory traffic of int64 in onnxruntime
        j = (p.unsqueeze(1) >= kx.unsqueeze(0)).to(torch.float32).sum(dim=1).to(torch.int64) - 1
        j = torch.clamp(j, 0, last - 1)
        x0, x1 = kx[j], kx[j + 1]
        y0, y1 = ky[j], ky[j + 1]
        width = torch.where(x1 > x0, x1 - x0, torch.ones_like(x0))
        inner = y0 + (y1 - y0) * (p - x0) / width
        out = torch.where(p >= kx[last], ky[last].expand_as(p), inner)
        return torch.where(p <= kx[0], ky[0].expand_as(p), out)

    def forward(self, moments: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``moments (n_cells, n_raw)`` -> ``(p_crossing (n_cells,), flag (n_cells,) int8)``."""
        moments = moments.to(torch.float64)
        if self.three_dimensional:
            x, valid = self._features3d(moments)
        else:
            valid = ((moments > self.lower) & (moments < self.upper)).all(dim=1)
            x = (moments @ self.numerator) / (moments @ self.denominator + self.offset)
        inside = self._inside(x) if self.has_domain else valid
        if self.ratio_columns >= 0:
            x = self._coordinates(x)
        z = self.network(((x - self.mean) * self.inv_scale).to(self.knots_x.dtype)).squeeze(-1)
        if self.calibration == "temperature":
            p = torch.sigmoid(torch.clamp(z, self.logit_min, self.logit_max) * self.inv_temperature)
        elif self.calibration == "isotonic":
            p = self._isotonic(torch.sigmoid(z))
        else:
            p = torch.sigmoid(z)
        p = torch.clamp(p, 0.0, 1.0)
        p_out = torch.where(valid, p, torch.full_like(p, float("nan")))
        flag = torch.where(
            valid, (p >= self.threshold).to(torch.int8), torch.full_like(p, -1, dtype=torch.int8)
        )
        if self.has_domain:
            outside = valid & ~inside
            flag = torch.where(outside, torch.full_like(flag, self.domain_flag), flag)
        return p_out, flag
