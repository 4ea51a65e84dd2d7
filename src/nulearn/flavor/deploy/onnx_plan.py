"""ONNX graph of a :class:`~nulearn.flavor.deploy.plan.DeployPlan`: the same arrays as the generated C.

Used for the models that skl2onnx cannot convert (LightGBM boosted trees, the RBF SVM and its
Nystroem approximation): raw moments ``(n_cells, n_raw)`` in, ``p_crossing`` and ``flag`` out, as
every export of :mod:`nulearn.flavor.deploy.onnx_export`. Stages map to standard operators on a
``(n_cells, width)`` double tensor; the tree ensemble to ``ai.onnx.ml`` ``TreeEnsemble`` (opset 5,
double thresholds and leaf weights; onnxruntime's older ``TreeEnsembleRegressor`` returns float32);
the RBF kernel to ``|x|^2 - 2 x.c + |c|^2`` (a matrix product; scikit-learn's form) clipped at 0;
the maximum-entropy inversion of the closure features to the fixed Newton iteration of
:mod:`nulearn.flavor.deploy.moment_features`, both branches evaluated and selected with ``Where``,
``expm1`` by Kahan's ``(u - 1) x / log u`` with ``u = exp x`` (ONNX has no ``Expm1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nulearn.flavor.deploy.moment_features import (
    CLOSURE_FLUX_CAP,
    JEDYNAK,
    LANGEVIN_SERIES,
    NEWTON_STEPS,
    SERIES_LIMIT,
    TINY,
    MomentFeatures,
)
from nulearn.flavor.deploy.plan import (
    Calibration,
    Coordinates,
    Dense,
    DeployPlan,
    RBFKernel,
    RoundToFloat32,
    Standardize,
    TreeEnsemble,
)
from nulearn.flavor.deploy.raw_moments import MIN_DIRECTED_FLUX, moment_program

__all__ = ["ML_OPSET", "domain_inside", "plan_onnx_model"]

#: ``ai.onnx.ml`` opset of ``TreeEnsemble`` with double thresholds
ML_OPSET = 5
#: default-domain opset paired with it
PLAN_OPSET = 21


class _Graph:
    """Nodes and constants with unique names."""

    def __init__(self, prefix: str = "", opset: int = PLAN_OPSET) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._count = 0
        self._prefix = prefix
        self.opset = opset

    def reduce(self, op_type: str, x: str, axis: int) -> str:
        """``op_type`` (ReduceMin, ReduceMax, ReduceSum) over ``axis``, dropping it; the axes
        are an input from opset 18 (13 for ReduceSum), an attribute before."""
        as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if as_input:
            return self.op(op_type, x, self.const([axis], np.int64), keepdims=0)
        return self.op(op_type, x, axes=[axis], keepdims=0)

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{self._prefix}{hint}_{self._count}"

    def const(self, value: Any, dtype: Any = np.float64, hint: str = "c") -> str:
        from onnx import numpy_helper

        name = self._name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, *inputs: str, hint: str = "", domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        out = self._name(hint or op_type.lower())
        kwargs = {"domain": domain} if domain else {}
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **kwargs, **attrs))
        return out

    def column(self, matrix: str, j: int) -> str:
        """Column ``j`` of a ``(n, w)`` tensor as ``(n,)``."""
        return self.op("Gather", matrix, self.const(j, np.int64), axis=1)

    def stack(self, columns: list[str]) -> str:
        """``(n,)`` tensors -> ``(n, len(columns))``."""
        axis = self.const([1], np.int64)
        return self.op("Concat", *[self.op("Unsqueeze", c, axis) for c in columns], axis=1)


def domain_inside(g: _Graph, domain: Any, x: str) -> str:
    """``(n,)`` bool: the features ``x (n, d)`` lie in the training domain (bounds and density)."""
    lower, upper = g.const(domain.lower[None, :]), g.const(domain.upper[None, :])
    ok = g.op("And", g.op("GreaterOrEqual", x, lower), g.op("LessOrEqual", x, upper))
    share = g.reduce("ReduceMin", g.op("Cast", ok, to=11), 1)
    inside = g.op("Greater", share, g.const(0.5))
    if domain.has_density:
        inside = g.op("And", inside, _density_inside(g, domain, x))
    return inside


def _density_inside(g: _Graph, domain: Any, x: str) -> str:
    """``(n,)`` bool: the density score (most likely mixture component) of ``x (n, d)`` reaches the threshold
    (:meth:`~nulearn.flavor.deploy.plan.FeatureDomain.log_density`)."""
    z = g.op("Div", g.op("Sub", x, g.const(domain.center[None, :])), g.const(domain.scale[None, :]))
    z3 = g.op("Unsqueeze", z, g.const([1], np.int64))  # (n, 1, d)
    diff = g.op("Sub", z3, g.const(domain.means[None, :, :]))  # (n, k, d)
    quad = g.reduce(
        "ReduceSum",
        g.op("Mul", g.op("Mul", diff, diff), g.const(domain.inv_variances[None, :, :])),
        2,
    )  # (n, k)
    terms = g.op("Sub", g.const(domain.log_norm[None, :]), g.op("Mul", g.const(0.5), quad))
    log_density = g.reduce("ReduceMax", terms, 1)
    return g.op("GreaterOrEqual", log_density, g.const(domain.log_density_threshold))


def _lepton_sums(
    g: _Graph,
    cols: list[str],
    g0_terms: tuple[tuple[float, int], ...],
    g1_terms: tuple[tuple[float, int, int], ...],
) -> tuple[str, str]:
    """g0 = 1 +- x_i ..., g1 = +- x_a [x_b] ..., summed left to right (as the C code)."""
    acc = g.const(1.0)
    for sign, i in g0_terms:
        acc = g.op("Add" if sign > 0 else "Sub", acc, cols[i])
    g0 = acc
    acc = g.const(0.0)
    for sign, a, b in g1_terms:
        term = cols[a] if b < 0 else g.op("Mul", cols[a], cols[b])
        acc = g.op("Add" if sign > 0 else "Sub", acc, term)
    return g0, acc


def _coordinates(g: _Graph, stage: Coordinates, cols: list[str]) -> list[str]:
    r = stage.ratio_columns
    out = [g.op("Log", c) for c in cols[:r]]
    one = g.const(1.0)
    for c in cols[r:]:  # no double Atanh in onnxruntime: artanh F = 0.5 log((1 + F) / (1 - F))
        odds = g.op("Div", g.op("Add", one, c), g.op("Sub", one, c))
        out.append(g.op("Mul", g.op("Log", odds), g.const(0.5)))
    out += cols[r:]
    if stage.lepton_terms:
        g0, g1 = _lepton_sums(g, cols, stage.g0_terms, stage.g1_terms)
        soft = g.op("Add", g.op("Abs", g0), g.const(stage.softening))
        out += [g0, g1, g.op("Div", g1, soft)]
    return out


def _langevin(g: _Graph, a: str) -> tuple[str, str]:
    """``(L(a), L'(a))`` elementwise: series below 1, closed forms above, selected by ``Where``."""
    c = LANGEVIN_SERIES
    s = g.op("Mul", a, a)
    poly = g.const(c[-1])
    slope = g.const((2 * len(c) - 1) * c[-1])
    for k in range(len(c) - 2, -1, -1):
        poly = g.op("Add", g.op("Mul", poly, s), g.const(c[k]))
        slope = g.op("Add", g.op("Mul", slope, s), g.const((2 * k + 1) * c[k]))
    one = g.const(1.0)
    e = g.op("Exp", g.op("Mul", g.const(-2.0), a))
    one_m = g.op("Sub", one, e)
    closed = g.op("Sub", g.op("Div", g.op("Add", one, e), one_m), g.op("Div", one, a))
    four_e = g.op("Mul", g.const(4.0), e)
    closed_slope = g.op("Sub", g.op("Div", one, s), g.op("Div", four_e, g.op("Mul", one_m, one_m)))
    small = g.op("Less", a, g.const(SERIES_LIMIT))
    return g.op("Where", small, g.op("Mul", a, poly), closed), g.op(
        "Where", small, slope, closed_slope
    )


def _maxent(g: _Graph, f: str) -> str:
    """Shape parameters of flux factors ``f`` (any shape): Jedynak's start and Newton steps."""
    j0, j1, j2, j3 = (g.const(v) for v in JEDYNAK)
    one = g.const(1.0)
    num = g.op("Add", g.op("Add", j0, g.op("Mul", j1, f)), g.op("Mul", g.op("Mul", j2, f), f))
    den = g.op("Mul", g.op("Sub", one, f), g.op("Add", one, g.op("Mul", j3, f)))
    a = g.op("Div", g.op("Mul", f, num), den)
    for _ in range(NEWTON_STEPS):
        value, slope = _langevin(g, a)
        a = g.op("Sub", a, g.op("Div", g.op("Sub", value, f), slope))
    return a


def _log_normalization(g: _Graph, a: str) -> str:
    """``ln(-expm1(-2a) / a)``, ``ln 2`` at ``a = 0``; expm1 by Kahan's formula."""
    positive = g.op("Greater", a, g.const(0.0))
    safe = g.op("Where", positive, a, g.const(1.0))
    x = g.op("Mul", g.const(-2.0), safe)
    u = g.op("Exp", x)
    kahan = g.op("Div", g.op("Mul", g.op("Sub", u, g.const(1.0)), x), g.op("Log", u))
    expm1 = g.op("Where", g.op("Equal", u, g.const(1.0)), x, kahan)
    value = g.op("Log", g.op("Div", g.op("Neg", expm1), safe))
    return g.op("Where", positive, value, g.const(np.log(2.0)))


def _moment_features(g: _Graph, stage: MomentFeatures, h: str) -> str:
    cols = [g.column(h, j) for j in range(stage.n_in)]
    g0, g1 = _lepton_sums(g, cols, stage.g0_terms, stage.g1_terms)
    ratio = g.op("Div", g1, g.op("Add", g.op("Abs", g0), g.const(stage.softening)))
    log_alpha = g.op("Log", g.op("Max", cols[0], g.const(TINY)))
    out = [h, g.stack([g0, g1, ratio, log_alpha])]
    if stage.closure:
        flux = g.stack([cols[fl] for _, fl, _ in stage.species])  # (n, S)
        a = _maxent(g, g.op("Min", flux, g.const(CLOSURE_FLUX_CAP)))
        lz = _log_normalization(g, a)
        zeros = g.op("Mul", cols[0], g.const(0.0))
        log_n = g.stack([zeros if d < 0 else g.op("Log", cols[d]) for d, _, _ in stage.species])
        m1 = g.const((stage.mu - 1.0)[None, None, :])
        shape = g.op(
            "Add",
            g.op("Neg", g.op("Unsqueeze", lz, g.const([2], np.int64))),
            g.op("Mul", g.op("Unsqueeze", a, g.const([2], np.int64)), m1),
        )
        f = g.op("Exp", g.op("Add", g.op("Unsqueeze", log_n, g.const([2], np.int64)), shape))
        gsum, total = g.const(0.0), g.const(0.0)
        for i, (_, _, sign) in enumerate(stage.species):  # (n, P) per species, summed in order
            fi = g.op("Gather", f, g.const(i, np.int64), axis=1)
            gsum = g.op("Add" if sign > 0 else "Sub", gsum, fi)
            total = g.op("Add", total, fi)
        out.append(g.op("Div", gsum, g.op("Max", total, g.const(TINY))))
    return g.op("Concat", *out, axis=1)


def _tree_ensemble(g: _Graph, stage: TreeEnsemble, h: str) -> str:
    from onnx import numpy_helper

    if not stage.plain_missing:
        raise ValueError(
            "trees with missing-value branches (LightGBM missing_type Zero/NaN) have no ONNX "
            "equivalent here; use --format c or fortran"
        )
    x = g.op("Cast", g.op("Cast", h, to=1), to=11) if stage.float32_inputs else h
    if not stage.float32_inputs:  # LightGBM reads NaN as 0
        x = g.op("Where", g.op("IsNaN", x), g.const(0.0), x)
    feature, split = list(stage.feature), list(stage.threshold)
    true_ids, true_leaf, false_ids, false_leaf = [], [], [], []
    for lo, hi in zip(stage.left, stage.right, strict=True):
        true_ids.append(int(lo) if lo >= 0 else int(~lo))
        true_leaf.append(int(lo < 0))
        false_ids.append(int(hi) if hi >= 0 else int(~hi))
        false_leaf.append(int(hi < 0))
    roots = []
    for r in stage.roots:
        if r >= 0:
            roots.append(int(r))
            continue
        # a one-leaf tree: a node that sends every finite input to that leaf
        roots.append(len(feature))
        feature.append(0)
        split.append(np.inf)
        true_ids.append(int(~r))
        true_leaf.append(1)
        false_ids.append(int(~r))
        false_leaf.append(1)
    out = g.op(
        "TreeEnsemble",
        x,
        domain="ai.onnx.ml",
        aggregate_function=1,  # sum
        post_transform=0,
        n_targets=1,
        tree_roots=roots,
        nodes_featureids=[int(v) for v in feature],
        nodes_splits=numpy_helper.from_array(np.asarray(split, dtype=np.float64), "splits"),
        nodes_modes=numpy_helper.from_array(np.zeros(len(feature), dtype=np.uint8), "modes"),
        nodes_truenodeids=true_ids,
        nodes_trueleafs=true_leaf,
        nodes_falsenodeids=false_ids,
        nodes_falseleafs=false_leaf,
        leaf_targetids=[0] * stage.leaf_value.size,
        leaf_weights=numpy_helper.from_array(stage.leaf_value.astype(np.float64), "weights"),
    )
    return g.op("Add", out, g.const(stage.base)) if stage.base else out


def _rbf_kernel(g: _Graph, stage: RBFKernel, h: str) -> str:
    centers = stage.centers
    xx = g.op("ReduceSum", g.op("Mul", h, h), g.const([1], np.int64), keepdims=1)
    cross = g.op("MatMul", h, g.const(centers.T.copy()))
    d2 = g.op(
        "Add",
        g.op("Add", g.op("Mul", cross, g.const(-2.0)), xx),
        g.const(np.einsum("ij,ij->i", centers, centers)[None, :]),
    )
    d2 = g.op("Max", d2, g.const(0.0))
    return g.op("Exp", g.op("Mul", d2, g.const(-stage.gamma)))


def _stages(g: _Graph, plan: DeployPlan, x: str, features: list[str]) -> str:
    h = x
    for i, stage in enumerate(plan.stages):
        if isinstance(stage, Coordinates):
            cols = features if i == 0 else [g.column(h, j) for j in range(stage.n_in)]
            h = g.stack(_coordinates(g, stage, cols))
        elif isinstance(stage, MomentFeatures):
            h = _moment_features(g, stage, h)
        elif isinstance(stage, Standardize):
            h = g.op(
                "Div", g.op("Sub", h, g.const(stage.mean[None, :])), g.const(stage.scale[None, :])
            )
        elif isinstance(stage, RBFKernel):
            h = _rbf_kernel(g, stage, h)
        elif isinstance(stage, RoundToFloat32):
            h = g.op("Cast", g.op("Cast", h, to=1), to=11)
        elif isinstance(stage, Dense):
            h = g.op(
                "Add",
                g.op("MatMul", h, g.const(stage.weight.T.copy())),
                g.const(stage.bias[None, :]),
            )
            if stage.relu:
                h = g.op("Relu", h)
        elif isinstance(stage, TreeEnsemble):
            h = _tree_ensemble(g, stage, h)
        else:
            raise ValueError(f"stage {type(stage).__name__} has no ONNX form here; use --format c")
    return g.op("Squeeze", h, g.const([1], np.int64))


def _calibrate(g: _Graph, cal: Calibration, z: str) -> str:
    if cal.kind == "identity":
        return z
    if cal.kind in ("temperature", "platt"):
        z = g.op("Clip", z, g.const(max(cal.logit_min, -1e308)), g.const(min(cal.logit_max, 1e308)))
        if cal.kind == "temperature":
            return g.op("Sigmoid", g.op("Div", z, g.const(cal.temperature)))
        return g.op("Sigmoid", g.op("Add", g.op("Mul", g.const(cal.a), z), g.const(cal.b)))
    p = g.op("Sigmoid", z)
    if cal.kind == "none":
        return p
    # isotonic: segment = number of knots <= p, linear interpolation, clipped at both ends
    kx, ky = cal.x, cal.y
    if kx.size == 1:
        kx, ky = np.repeat(kx, 2), np.repeat(ky, 2)
    last = kx.size - 1
    above = g.op(
        "GreaterOrEqual", g.op("Unsqueeze", p, g.const([1], np.int64)), g.const(kx[None, :])
    )
    count = g.op("ReduceSum", g.op("Cast", above, to=7), g.const([1], np.int64), keepdims=0)
    j = g.op(
        "Clip",
        g.op("Sub", count, g.const(1, np.int64)),
        g.const(0, np.int64),
        g.const(last - 1, np.int64),
    )
    j1 = g.op("Add", j, g.const(1, np.int64))
    x0, x1 = g.op("Gather", g.const(kx), j), g.op("Gather", g.const(kx), j1)
    y0, y1 = g.op("Gather", g.const(ky), j), g.op("Gather", g.const(ky), j1)
    width = g.op("Where", g.op("Greater", x1, x0), g.op("Sub", x1, x0), g.const(1.0))
    inner = g.op(
        "Add", y0, g.op("Div", g.op("Mul", g.op("Sub", y1, y0), g.op("Sub", p, x0)), width)
    )
    out = g.op("Where", g.op("GreaterOrEqual", p, g.const(kx[last])), g.const(ky[last]), inner)
    return g.op("Where", g.op("LessOrEqual", p, g.const(kx[0])), g.const(ky[0]), out)


def plan_onnx_model(plan: DeployPlan) -> Any:
    """ONNX ``ModelProto`` of ``plan``: input ``moments (n_cells, n_raw)`` float64, outputs
    ``p_crossing (n_cells,)`` float64 (NaN for invalid cells) and ``flag (n_cells,)`` int8.

    Raises:
        ValueError: for a stage without an ONNX form here (the polynomial expansion: the
            polynomial LR exports through skl2onnx) or trees with missing-value branches.
    """
    from onnx import TensorProto, helper

    program = moment_program(plan.feature_names)
    g = _Graph()
    v = {name: g.column("moments", j) for j, name in enumerate(program.inputs)}
    for op in program.ops:  # the MomentProgram, operation for operation
        a = [v[name] for name in op.args]
        if op.kind == "div":
            v[op.out] = g.op("Div", a[0], a[1])
        elif op.kind == "norm3":
            sq = g.op("Add", g.op("Mul", a[0], a[0]), g.op("Mul", a[1], a[1]))
            v[op.out] = g.op("Sqrt", g.op("Add", sq, g.op("Mul", a[2], a[2])))
        elif op.kind == "dot3":
            xy = g.op("Add", g.op("Mul", a[0], a[3]), g.op("Mul", a[1], a[4]))
            v[op.out] = g.op("Add", xy, g.op("Mul", a[2], a[5]))
        else:
            dot, fa, fb = a
            tiny = g.const(MIN_DIRECTED_FLUX)
            ok = g.op("And", g.op("Greater", fa, tiny), g.op("Greater", fb, tiny))
            q = g.op("Div", dot, g.op("Where", ok, g.op("Mul", fa, fb), g.const(1.0)))
            clipped = g.op("Min", g.op("Max", q, g.const(-1.0)), g.const(1.0))
            v[op.out] = g.op("Where", ok, clipped, g.const(0.0))
    zero, one, inf = g.const(0.0), g.const(1.0), g.const(np.inf)
    checks = []
    for n, f in program.checks:
        checks += [
            g.op("Greater", v[n], zero),
            g.op("Less", v[n], inf),
            g.op("GreaterOrEqual", v[f], zero),
            g.op("Less", v[f], one),
        ]
    valid = checks[0]
    for c in checks[1:]:
        valid = g.op("And", valid, c)
    features = [v[name] for name in program.features]
    x = g.stack(features)
    p = _calibrate(g, plan.calibration, _stages(g, plan, x, features))
    above = g.op(
        "GreaterOrEqual" if plan.threshold_inclusive else "Greater", p, g.const(plan.threshold)
    )
    decision = g.op("Cast", above, to=3)
    if plan.domain is not None:
        inside = domain_inside(g, plan.domain, x)
        decision = g.op("Where", inside, decision, g.const(plan.domain.flag, np.int8))
    g.nodes.append(helper.make_node("Where", [valid, p, g.const(np.nan)], ["p_crossing"]))
    g.nodes.append(helper.make_node("Where", [valid, decision, g.const(-1, np.int8)], ["flag"]))
    graph = helper.make_graph(
        g.nodes,
        f"nulearn_{plan.name}",
        [
            helper.make_tensor_value_info(
                "moments", TensorProto.DOUBLE, ["n_cells", len(program.inputs)]
            )
        ],
        [
            helper.make_tensor_value_info("p_crossing", TensorProto.DOUBLE, ["n_cells"]),
            helper.make_tensor_value_info("flag", TensorProto.INT8, ["n_cells"]),
        ],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", PLAN_OPSET),
            helper.make_opsetid("ai.onnx.ml", ML_OPSET),
        ],
        producer_name="nulearn",
    )
    model.ir_version = 10
    return model
