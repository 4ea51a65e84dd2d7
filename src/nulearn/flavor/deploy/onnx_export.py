"""ONNX exports that take raw moments and return (probability, flag), run with onnxruntime.

Every exported graph has one input ``moments`` of shape ``(n_cells, n_raw)`` (columns in the
order of :func:`~nulearn.flavor.deploy.raw_moments.raw_moment_names`, float64) and two outputs:
``p_crossing (n_cells,)`` float64 (NaN for invalid cells) and ``flag (n_cells,)`` int8 (1, 0, or
-1 for invalid input). The model's feature engineering (1D or 3D moments, the
:class:`~nulearn.flavor.deploy.raw_moments.MomentProgram`), validity check and card threshold
(``p >= threshold``) are inside the graph, so a simulation code needs nothing else.

* scikit-learn models (the polynomial LR, the decision tree, KNN): the estimator is
  converted by skl2onnx in double precision and wrapped with pre- and post-processing nodes;
  leading :class:`~nulearn.flavor.models.coordinates.PhysicalCoordinates` steps (which skl2onnx does not
  know) become nodes of the pre-processing (``artanh F`` as ``0.5 log((1 + F) / (1 - F))``:
  onnxruntime has no double ``Atanh``) and the rest of the pipeline is converted;
* the MLP: :class:`~nulearn.flavor.deploy.torch_module.RawMomentMLP` through ``torch.onnx``;
* LightGBM boosted trees and the RBF SVM (exact or Nystroem): built from their deploy plan by
  :mod:`nulearn.flavor.deploy.onnx_plan` (the same arrays as the generated C).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.extract import coordinates_stage
from nulearn.flavor.deploy.loading import DeployableModel
from nulearn.flavor.deploy.plan import Coordinates
from nulearn.flavor.deploy.raw_moments import MIN_DIRECTED_FLUX, FeatureOp, moment_program

__all__ = ["OPSET", "PLAN_ONNX_KINDS", "OnnxKernel", "export_onnx", "sklearn_onnx_model"]

OPSET = 17
#: models whose graph is built from their deploy plan (skl2onnx has no converter for them)
PLAN_ONNX_KINDS: tuple[str, ...] = ("gbt", "svm")


def _feature_op_nodes(op: FeatureOp) -> list[Any]:
    """ONNX nodes of one :class:`FeatureOp` on 1-D tensors ``v_<name>`` (same operation order)."""
    from onnx import helper

    a = [f"v_{name}" for name in op.args]
    out, t = f"v_{op.out}", f"t_{op.out}"
    node = helper.make_node
    if op.kind == "div":
        return [node("Div", a, [out])]
    if op.kind == "norm3":
        return [
            node("Mul", [a[0], a[0]], [f"{t}_xx"]),
            node("Mul", [a[1], a[1]], [f"{t}_yy"]),
            node("Add", [f"{t}_xx", f"{t}_yy"], [f"{t}_xy"]),
            node("Mul", [a[2], a[2]], [f"{t}_zz"]),
            node("Add", [f"{t}_xy", f"{t}_zz"], [f"{t}_sq"]),
            node("Sqrt", [f"{t}_sq"], [out]),
        ]
    if op.kind == "dot3":
        return [
            node("Mul", [a[0], a[3]], [f"{t}_x"]),
            node("Mul", [a[1], a[4]], [f"{t}_y"]),
            node("Add", [f"{t}_x", f"{t}_y"], [f"{t}_xy"]),
            node("Mul", [a[2], a[5]], [f"{t}_z"]),
            node("Add", [f"{t}_xy", f"{t}_z"], [out]),
        ]
    dot, fa, fb = a
    return [
        node("Greater", [fa, "c_min_flux"], [f"{t}_oka"]),
        node("Greater", [fb, "c_min_flux"], [f"{t}_okb"]),
        node("And", [f"{t}_oka", f"{t}_okb"], [f"{t}_ok"]),
        node("Mul", [fa, fb], [f"{t}_ab"]),
        node("Where", [f"{t}_ok", f"{t}_ab", "c_one"], [f"{t}_den"]),
        node("Div", [dot, f"{t}_den"], [f"{t}_q"]),
        node("Max", [f"{t}_q", "c_minus_one"], [f"{t}_lo"]),
        node("Min", [f"{t}_lo", "c_one"], [f"{t}_clip"]),
        node("Where", [f"{t}_ok", f"{t}_clip", "c_zero"], [out]),
    ]


def _leading_coordinates(estimator: Any, n_in: int) -> tuple[Any, Coordinates | None]:
    """``(estimator without a leading PhysicalCoordinates step, that step's plan stage or None)``."""
    from sklearn.pipeline import Pipeline

    from nulearn.flavor.models.coordinates import PhysicalCoordinates

    if not isinstance(estimator, Pipeline) or not isinstance(
        estimator.steps[0][1], PhysicalCoordinates
    ):
        return estimator, None
    stage = coordinates_stage(estimator.steps[0][1], n_in)
    rest = estimator.steps[1:]
    return (rest[0][1] if len(rest) == 1 else Pipeline(rest)), stage


def _coordinate_nodes(stage: Coordinates, columns: list[str]) -> tuple[list[Any], list[str]]:
    """Nodes of physical coordinates on 1-D feature tensors, and the output columns in order."""
    from onnx import helper

    node = helper.make_node
    r = stage.ratio_columns
    logs = [f"log_{c}" for c in columns[:r]]
    nodes = [node("Log", [c], [o]) for c, o in zip(columns[:r], logs, strict=True)]
    # onnxruntime has no double-precision Atanh kernel: artanh F = 0.5 log((1 + F) / (1 - F))
    # (absolute error ~1e-16 against libm's atanh)
    rapidities = []
    for c in columns[r:]:
        nodes += [
            node("Add", ["c_one", c], [f"{c}_1p"]),
            node("Sub", ["c_one", c], [f"{c}_1m"]),
            node("Div", [f"{c}_1p", f"{c}_1m"], [f"{c}_odds"]),
            node("Log", [f"{c}_odds"], [f"{c}_logodds"]),
            node("Mul", [f"{c}_logodds", "c_half"], [f"atanh_{c}"]),
        ]
        rapidities.append(f"atanh_{c}")
    out = [*logs, *rapidities, *columns[r:]]
    if stage.lepton_terms:  # g0, g1 summed left to right, then g1 / (|g0| + softening)
        acc = "c_one"
        for k, (sign, i) in enumerate(stage.g0_terms):
            nodes.append(node("Add" if sign > 0 else "Sub", [acc, columns[i]], [f"g0_{k}"]))
            acc = f"g0_{k}"
        g0 = acc
        acc = "c_zero"
        for k, (sign, a, b) in enumerate(stage.g1_terms):
            term = columns[a]
            if b >= 0:
                term = f"g1_term_{k}"
                nodes.append(node("Mul", [columns[a], columns[b]], [term]))
            nodes.append(node("Add" if sign > 0 else "Sub", [acc, term], [f"g1_{k}"]))
            acc = f"g1_{k}"
        g1 = acc
        nodes += [
            node("Abs", [g0], ["g0_abs"]),
            node("Add", ["g0_abs", "c_softening"], ["g0_soft"]),
            node("Div", [g1, "g0_soft"], ["g_ratio"]),
        ]
        out += [g0, g1, "g_ratio"]
    return nodes, out


def _wrap_sklearn_graph(core: Any, model: DeployableModel, coordinates: Coordinates | None) -> Any:
    """Add raw-moment preprocessing (and physical coordinates) and thresholding around a skl2onnx graph."""
    from onnx import TensorProto, helper, numpy_helper

    g = core.graph
    program = moment_program(model.feature_names)
    raw = list(program.inputs)
    nodes: list[Any] = []
    inits = [
        numpy_helper.from_array(np.array(0.0), "c_zero"),
        numpy_helper.from_array(np.array(1.0), "c_one"),
        numpy_helper.from_array(np.array(-1.0), "c_minus_one"),
        numpy_helper.from_array(np.array(MIN_DIRECTED_FLUX), "c_min_flux"),
        numpy_helper.from_array(np.array(np.inf), "c_inf"),
        numpy_helper.from_array(np.array(np.nan), "c_nan"),
        numpy_helper.from_array(np.array(model.threshold, dtype=np.float64), "c_threshold"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "c_axis1"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "c_index1"),
        numpy_helper.from_array(np.array(-1, dtype=np.int8), "c_invalid"),
    ]
    for j, name in enumerate(raw):
        inits.append(numpy_helper.from_array(np.array(j, dtype=np.int64), f"idx_{name}"))
        nodes.append(helper.make_node("Gather", ["moments", f"idx_{name}"], [f"v_{name}"], axis=1))
    for op in program.ops:
        nodes.extend(_feature_op_nodes(op))
    columns = [f"v_{name}" for name in program.features]
    if coordinates is not None:
        coordinate_nodes, columns = _coordinate_nodes(coordinates, columns)
        nodes.extend(coordinate_nodes)
        inits.append(numpy_helper.from_array(np.array(coordinates.softening), "c_softening"))
        inits.append(numpy_helper.from_array(np.array(0.5), "c_half"))
    cols = []
    for k, col in enumerate(columns):
        nodes.append(helper.make_node("Unsqueeze", [col, "c_axis1"], [f"col{k}_2d"]))
        cols.append(f"col{k}_2d")
    feature_input = g.input[0].name
    nodes.append(helper.make_node("Concat", cols, [feature_input], axis=1))
    checks = []
    for n, f in program.checks:
        for op_type, quantity, const, tag in (
            ("Greater", n, "c_zero", "pos"),
            ("Less", n, "c_inf", "fin"),
            ("GreaterOrEqual", f, "c_zero", "nonneg"),
            ("Less", f, "c_one", "below1"),
        ):
            out = f"ok_{quantity}_{tag}"
            nodes.append(helper.make_node(op_type, [f"v_{quantity}", const], [out]))
            checks.append(out)
    acc = checks[0]
    for k, name in enumerate(checks[1:]):
        nxt = f"valid_{k}"
        nodes.append(helper.make_node("And", [acc, name], [nxt]))
        acc = nxt
    nodes.extend(g.node)
    prob_output = next(o.name for o in g.output if "prob" in o.name)
    post = [
        helper.make_node("Gather", [prob_output, "c_index1"], ["p_model"], axis=1),
        helper.make_node("Cast", ["p_model"], ["p_double"], to=TensorProto.DOUBLE),
        helper.make_node("Where", [acc, "p_double", "c_nan"], ["p_crossing"]),
        helper.make_node("GreaterOrEqual", ["p_double", "c_threshold"], ["above"]),
        helper.make_node("Cast", ["above"], ["above_i8"], to=TensorProto.INT8),
        helper.make_node("Where", [acc, "above_i8", "c_invalid"], ["flag"]),
    ]
    nodes.extend(post)
    if model.domain is not None:
        from nulearn.flavor.deploy.onnx_plan import _Graph, domain_inside

        opset = next(o.version for o in core.opset_import if o.domain in ("", "ai.onnx"))
        dom = _Graph(prefix="dom_", opset=opset)
        raw_features = [f"v_{name}" for name in program.features]
        x = dom.stack(raw_features)
        inside = domain_inside(dom, model.domain, x)
        outside = dom.op("And", acc, dom.op("Not", inside))
        code = dom.const(model.domain.flag, np.int8)
        nodes[-1] = helper.make_node("Where", [acc, "above_i8", "c_invalid"], ["flag_in"])
        nodes.extend(dom.nodes)
        nodes.append(helper.make_node("Where", [outside, code, "flag_in"], ["flag"]))
        inits.extend(dom.inits)
    graph = helper.make_graph(
        nodes,
        f"nulearn_{model.name}",
        [helper.make_tensor_value_info("moments", TensorProto.DOUBLE, ["n_cells", len(raw)])],
        [
            helper.make_tensor_value_info("p_crossing", TensorProto.DOUBLE, ["n_cells"]),
            helper.make_tensor_value_info("flag", TensorProto.INT8, ["n_cells"]),
        ],
        initializer=[*inits, *g.initializer],
    )
    wrapped = helper.make_model(
        graph, opset_imports=list(core.opset_import), producer_name="nulearn"
    )
    wrapped.ir_version = core.ir_version
    return wrapped


def sklearn_onnx_model(model: DeployableModel) -> Any:
    """ONNX ``ModelProto`` of a scikit-learn model, raw moments in (see the module docstring).

    Raises:
        ValueError: when skl2onnx has no converter for the estimator.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType

    k = len(model.feature_names)
    est, coordinates = _leading_coordinates(model.estimator, k)
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    width = k if coordinates is None else coordinates.n_out
    try:
        core = convert_sklearn(
            est,
            initial_types=[("features", DoubleTensorType([None, width]))],
            options={id(final): {"zipmap": False}},
            target_opset={"": OPSET, "ai.onnx.ml": 3},
        )
    except Exception as err:  # skl2onnx raises several types for unsupported models
        raise ValueError(f"skl2onnx cannot convert {type(est).__name__}: {err}") from err
    if getattr(final, "weights", None) == "distance":
        _fix_knn_distance_sign(core)
        _check_core(core, est, width)
    return _wrap_sklearn_graph(core, model, coordinates)


def _fix_knn_distance_sign(core: Any) -> None:
    """Undo skl2onnx's sign flip of the neighbour distances (opset >= 11).

    skl2onnx 1.20 takes the k smallest distances with ``TopK(largest=0)`` and then multiplies
    them by -1 (a leftover of the older ``TopK`` of negated distances), so the inverse-distance
    weights ``1 / max(d, 1e-6)`` all become 1e6 and the vote is uniform; this sets the factor to
    +1. (The 1e-6 floor stays: it differs from scikit-learn only for a cell within 1e-6 of a
    training sample.)
    """
    from onnx import numpy_helper

    topk_values = {node.output[0] for node in core.graph.node if node.op_type == "TopK"}
    inits = {init.name: init for init in core.graph.initializer}
    for node in core.graph.node:
        if node.op_type != "Mul" or not topk_values & set(node.input):
            continue
        for name in node.input:
            init = inits.get(name)
            if init is not None and np.all(numpy_helper.to_array(init) == -1):
                init.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(init), name))


def _check_core(core: Any, estimator: Any, width: int) -> None:
    """The converted KNN graph must give the estimator's own probabilities on probe features
    (guards the repair of :func:`_fix_knn_distance_sign` against a changed converter)."""
    import onnxruntime as ort

    fitted = getattr(estimator, "_fit_X", None)
    if fitted is None and hasattr(estimator, "steps"):
        fitted = getattr(estimator.steps[-1][1], "_fit_X", None)
    rng = np.random.default_rng(0)
    if fitted is not None:  # probes near (not on) training samples, where the weights matter
        rows = np.asarray(fitted)[rng.integers(0, len(fitted), 64)]
        probe = rows + rng.normal(0.0, 1e-3, rows.shape)
    else:
        probe = rng.uniform(0.3, 2.0, (64, width))
    session = ort.InferenceSession(core.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {core.graph.input[0].name: probe})
    got = next(np.asarray(o) for o in outputs if np.asarray(o).ndim == 2)[:, 1]
    expected = np.asarray(estimator.predict_proba(probe), dtype=np.float64)[:, 1]
    if not np.allclose(got, expected, rtol=0, atol=1e-6):
        worst = float(np.max(np.abs(got - expected)))
        raise ValueError(
            f"skl2onnx's graph of {type(estimator).__name__} differs from the model by up to "
            f"{worst:.3g} in probability on probe features; it cannot be exported to ONNX"
        )


def export_onnx(model: DeployableModel, out: str | Path, *, precision: str = "float64") -> Path:
    """Write the ONNX graph of ``model`` to ``out`` and return the path.

    Args:
        precision: MLP arithmetic, ``"float64"`` (default, matches the reference to ~1e-10) or
            ``"float32"`` (faster); scikit-learn models always run in float64.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if model.kind == "mlp":
        import torch

        from nulearn.flavor.deploy.torch_module import RawMomentMLP

        dtype = {"float64": torch.float64, "float32": torch.float32}[precision]
        module = RawMomentMLP(model, dtype=dtype)
        example = torch.full((4, len(model.raw_names)), 0.5, dtype=torch.float64)
        torch.onnx.export(
            module,
            (example,),
            str(out),
            input_names=["moments"],
            output_names=["p_crossing", "flag"],
            dynamic_axes={
                "moments": {0: "n_cells"},
                "p_crossing": {0: "n_cells"},
                "flag": {0: "n_cells"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        if precision == "float32":  # keep the float64 interface: cast p back
            _cast_output_to_double(out)
    elif model.kind in PLAN_ONNX_KINDS:
        from nulearn.flavor.deploy.onnx_plan import plan_onnx_model

        out.write_bytes(plan_onnx_model(model.plan()).SerializeToString())
    else:
        out.write_bytes(sklearn_onnx_model(model).SerializeToString())
    return out


def _cast_output_to_double(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    m = onnx.load(str(path))
    out = next(o for o in m.graph.output if o.name == "p_crossing")
    if out.type.tensor_type.elem_type == TensorProto.DOUBLE:
        return
    for node in m.graph.node:
        node.output[:] = ["p_crossing_f32" if o == "p_crossing" else o for o in node.output]
        node.input[:] = ["p_crossing_f32" if i == "p_crossing" else i for i in node.input]
    m.graph.node.append(
        helper.make_node("Cast", ["p_crossing_f32"], ["p_crossing"], to=TensorProto.DOUBLE)
    )
    out.type.tensor_type.elem_type = TensorProto.DOUBLE
    onnx.save(m, str(path))


class OnnxKernel:
    """An exported graph in an onnxruntime session; call with raw moments ``{name: (n,)}``.

    Args:
        path: the ``.onnx`` file.
        raw_names: raw moment names in column order.
        threads: intra-op threads (``None``: onnxruntime's default).
        providers: onnxruntime execution providers (default: CPU).
    """

    def __init__(
        self,
        path: str | Path,
        raw_names: tuple[str, ...],
        threads: int | None = None,
        providers: list[str] | None = None,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.raw_names = raw_names
        self.session = ort.InferenceSession(
            str(path), options, providers=providers or ["CPUExecutionProvider"]
        )

    def __call__(
        self, moments: Mapping[str, NDArray[np.floating]]
    ) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
        """``(p_crossing, flag)`` of shape ``(n_cells,)``."""
        x = np.stack(
            [np.asarray(moments[k], dtype=np.float64).reshape(-1) for k in self.raw_names], axis=1
        )
        p, flag = self.session.run(["p_crossing", "flag"], {"moments": x})
        return np.asarray(p, dtype=np.float64), np.asarray(flag, dtype=np.int8)
