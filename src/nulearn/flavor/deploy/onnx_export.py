"""ONNX exports that take raw moments and return (probability, flag), run with onnxruntime.

Every exported graph has one input ``moments`` of shape ``(n_cells, n_raw)`` (columns in the
order of :func:`~nulearn.flavor.deploy.raw_moments.raw_moment_names`, float64) and two outputs:
``p_crossing (n_cells,)`` float64 (NaN for invalid cells) and ``flag (n_cells,)`` int8 (1, 0, or
-1 for invalid input). The model's feature engineering, validity check and card threshold
(``p >= threshold``) are inside the graph, so a simulation code needs nothing else.

* scikit-learn models (the polynomial LR, trees, KNN, gradient boosting): the estimator is
  converted by skl2onnx in double precision and wrapped with pre- and post-processing nodes;
* the MLP: :class:`~nulearn.flavor.deploy.torch_module.RawMomentMLP` through ``torch.onnx``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.loading import DeployableModel
from nulearn.flavor.deploy.raw_moments import FEATURE_FORMULAS, species_for_features

__all__ = ["OPSET", "OnnxKernel", "export_onnx", "sklearn_onnx_model"]

OPSET = 17


def _wrap_sklearn_graph(core: Any, model: DeployableModel) -> Any:
    """Add raw-moment preprocessing and thresholding around a skl2onnx graph."""
    from onnx import TensorProto, helper, numpy_helper

    g = core.graph
    raw = list(model.raw_names)
    nodes: list[Any] = []
    inits = [
        numpy_helper.from_array(np.array(0.0), "c_zero"),
        numpy_helper.from_array(np.array(1.0), "c_one"),
        numpy_helper.from_array(np.array(np.inf), "c_inf"),
        numpy_helper.from_array(np.array(np.nan), "c_nan"),
        numpy_helper.from_array(np.array(model.threshold, dtype=np.float64), "c_threshold"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "c_axis1"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "c_index1"),
        numpy_helper.from_array(np.array(-1, dtype=np.int8), "c_invalid"),
    ]
    for j, name in enumerate(raw):
        inits.append(numpy_helper.from_array(np.array(j, dtype=np.int64), f"idx_{name}"))
        nodes.append(
            helper.make_node("Gather", ["moments", f"idx_{name}"], [f"raw_{name}"], axis=1)
        )
    cols = []
    for name in model.feature_names:
        num, den = FEATURE_FORMULAS[name]
        col = f"feat_{name}"
        if den is None:
            nodes.append(helper.make_node("Identity", [f"raw_{num}"], [col]))
        else:
            nodes.append(helper.make_node("Div", [f"raw_{num}", f"raw_{den}"], [col]))
        nodes.append(helper.make_node("Unsqueeze", [col, "c_axis1"], [f"{col}_2d"]))
        cols.append(f"{col}_2d")
    feature_input = g.input[0].name
    nodes.append(helper.make_node("Concat", cols, [feature_input], axis=1))
    checks = []
    for s in species_for_features(model.feature_names):
        for op, quantity, const, tag in (
            ("Greater", f"n_{s}", "c_zero", "pos"),
            ("Less", f"n_{s}", "c_inf", "fin"),
            ("GreaterOrEqual", f"F_{s}", "c_zero", "nonneg"),
            ("Less", f"F_{s}", "c_one", "below1"),
        ):
            out = f"ok_{quantity}_{tag}"
            nodes.append(helper.make_node(op, [f"raw_{quantity}", const], [out]))
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

    est = model.estimator
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    try:
        core = convert_sklearn(
            est,
            initial_types=[("features", DoubleTensorType([None, len(model.feature_names)]))],
            options={id(final): {"zipmap": False}},
            target_opset={"": OPSET, "ai.onnx.ml": 3},
        )
    except Exception as err:  # skl2onnx raises several types for unsupported models
        raise ValueError(f"skl2onnx cannot convert {type(est).__name__}: {err}") from err
    return _wrap_sklearn_graph(core, model)


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
