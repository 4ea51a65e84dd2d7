"""The MLP as one PyTorch module from raw moments to (probability, flag), for TorchScript and ONNX.

:class:`RawMomentMLP` runs the :class:`~nulearn.flavor.deploy.plan.DeployPlan` of a fitted
:class:`nulearn.flavor.mlp.MLPClassifier` (BatchNorm folded into the linear layers, dropout
dropped, the prior-shift logit offset in the last bias; exact up to rounding):
raw moments ``(n_cells, n_raw)`` in the order of
:func:`~nulearn.flavor.deploy.raw_moments.raw_moment_names` -> features -> network -> calibrator
-> ``p_crossing (n_cells,)`` and ``flag (n_cells,)`` int8 (1 crossing, 0 none, -1 invalid input
with ``p_crossing = NaN``).

Inference-time graph economy (each elementwise op is a pass over memory in onnxruntime):
features are ``(moments @ A) / (moments @ B + c)`` (``A`` picks numerators, ``B`` the density
``n_nue`` of ratio features, ``c = 1`` for plain flux factors), and validity is one pair of
comparisons of ``moments`` against per-column bounds. The isotonic calibrator is evaluated as
``np.interp`` does it: the segment index is the count of knots ``<= p``, then a linear
interpolation with clipping at both ends.
"""

# no "from __future__ import annotations": TorchScript reads the class-level buffer annotations

import numpy as np
import torch
from torch import nn

from nulearn.flavor.deploy.loading import DeployableModel
from nulearn.flavor.deploy.plan import Dense, Standardize
from nulearn.flavor.deploy.raw_moments import FEATURE_FORMULAS

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
    mean: torch.Tensor
    inv_scale: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor
    knots_x: torch.Tensor
    knots_y: torch.Tensor

    def __init__(self, model: DeployableModel, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        if model.kind != "mlp":
            raise ValueError(f"RawMomentMLP needs an mlp model, got {model.kind!r}")
        plan = model.plan()
        raw = list(plan.raw_names)
        k = len(plan.feature_names)
        a = np.zeros((len(raw), k))
        b = np.zeros((len(raw), k))
        c = np.zeros(k)
        for j, name in enumerate(plan.feature_names):
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
        for stage in plan.stages:
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
        valid = ((moments > self.lower) & (moments < self.upper)).all(dim=1)
        x = (moments @ self.numerator) / (moments @ self.denominator + self.offset)
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
        return p_out, flag
