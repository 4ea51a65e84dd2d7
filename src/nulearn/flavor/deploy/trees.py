"""Tree ensembles as flat arrays: the :class:`TreeEnsemble` plan stage, read from LightGBM or scikit-learn.

Every target (NumPy, generated C and Fortran, ONNX) walks the same arrays. An internal node ``k``
sends a cell to ``left[k]`` when ``x[feature[k]] <= threshold[k]`` and to ``right[k]`` otherwise
(LightGBM's and scikit-learn's rule). A child ``c >= 0`` is another internal node; ``c < 0`` is
the leaf ``~c = -c - 1`` with value ``leaf_value[~c]``. Tree ``t`` starts at ``roots[t]`` (negative
for a tree that is a single leaf). The output is ``base + leaf(tree 0) + leaf(tree 1) + ...``,
summed in tree order as LightGBM's ``predict(raw_score=True)`` sums (its initial score is folded
into the first tree's leaves).

Missing values, LightGBM's rules for dense inputs (``Tree::NumericalDecision``), per node
``missing_type``: 0 (``None``: a NaN feature is read as 0.0), 1 (``Zero``: NaN is read as 0.0 and
``|x| <= 1e-35`` goes to the default side), 2 (``NaN``: NaN goes to the default side). Features of
valid cells are finite, so these rules only matter for models trained on data with gaps.
scikit-learn trees read their inputs in float32 (``float32_inputs``): the comparison is
``float32(x) <= threshold``.

>>> import numpy as np
>>> stump = TreeEnsemble(
...     feature=np.array([0]), threshold=np.array([0.5]), left=np.array([-1]),
...     right=np.array([-2]), leaf_value=np.array([-1.0, 2.0]), roots=np.array([0]))
>>> tree_ensemble_output(stump, np.array([[0.2], [0.5], [0.7]])).tolist()
[-1.0, -1.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LIGHTGBM_ZERO",
    "TreeEnsemble",
    "tree_ensemble_from_lightgbm",
    "tree_ensemble_from_sklearn",
    "tree_ensemble_output",
]

#: LightGBM's ``kZeroThreshold`` (a float literal in its C++ source): ``|x| <= 1e-35f`` is zero
LIGHTGBM_ZERO = float(np.float32(1e-35))

_MISSING_TYPES = {"None": 0, "Zero": 1, "NaN": 2}


def _empty_int8() -> NDArray[np.int8]:
    return np.zeros(0, dtype=np.int8)


def _empty_bool() -> NDArray[np.bool_]:
    return np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class TreeEnsemble:
    """Sum of binary decision trees -> one output (see the module docstring).

    Attributes:
        feature, threshold, left, right: internal nodes, shape ``(n_nodes,)`` each.
        leaf_value: ``(n_leaves,)``.
        roots: ``(n_trees,)``, first node of each tree.
        base: added before the trees.
        missing_type, default_left: per internal node (empty: all ``None``, default left).
        float32_inputs: compare ``float32(x)`` (scikit-learn trees).
    """

    feature: NDArray[np.int64]
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    leaf_value: NDArray[np.float64]
    roots: NDArray[np.int64]
    base: float = 0.0
    missing_type: NDArray[np.int8] = field(default_factory=_empty_int8)
    default_left: NDArray[np.bool_] = field(default_factory=_empty_bool)
    float32_inputs: bool = False

    def __post_init__(self) -> None:
        n = self.feature.size
        for name in ("threshold", "left", "right"):
            if getattr(self, name).size != n:
                raise ValueError(
                    f"TreeEnsemble.{name} has {getattr(self, name).size} entries, not {n}"
                )
        for name in ("missing_type", "default_left"):
            if getattr(self, name).size not in (0, n):
                raise ValueError(f"TreeEnsemble.{name} must be empty or have {n} entries")
        children = np.concatenate([self.left, self.right, self.roots])
        leaves = ~children[children < 0]
        if children.size and (
            children.max() >= n or leaves.max(initial=-1) >= self.leaf_value.size
        ):
            raise ValueError("TreeEnsemble child index out of range")

    @property
    def n_out(self) -> int:
        return 1

    @property
    def n_trees(self) -> int:
        return int(self.roots.size)

    @property
    def plain_missing(self) -> bool:
        """Every node has LightGBM's missing type ``None`` (NaN read as 0, no default side)."""
        return not self.missing_type.size or not self.missing_type.any()

    def depths(self) -> NDArray[np.int64]:
        """Depth of every leaf, shape ``(n_leaves,)`` (the cost of reaching it)."""
        depth = np.zeros(self.leaf_value.size, dtype=np.int64)
        stack = [(int(r), 0) for r in self.roots]
        while stack:
            k, d = stack.pop()
            if k < 0:
                depth[~k] = d
            else:
                stack += [(int(self.left[k]), d + 1), (int(self.right[k]), d + 1)]
        return depth


def tree_ensemble_output(stage: TreeEnsemble, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Output of the ensemble for inputs ``x`` of shape ``(n, n_features)``; shape ``(n,)``.

    Vectorized over cells: all cells step down one level per iteration.
    """
    x = np.asarray(x, dtype=np.float64)
    if stage.float32_inputs:
        x = x.astype(np.float32).astype(np.float64)
    n = x.shape[0]
    rows = np.arange(n)
    missing = (
        stage.missing_type if stage.missing_type.size else np.zeros(stage.feature.size, np.int8)
    )
    default_left = (
        stage.default_left if stage.default_left.size else np.ones(stage.feature.size, dtype=bool)
    )
    out = np.full(n, float(stage.base))
    for root in stage.roots:
        node = np.full(n, int(root), dtype=np.int64)
        active = node >= 0
        while active.any():
            k = node[active]
            value = x[rows[active], stage.feature[k]]
            mt = missing[k]
            isnan = np.isnan(value)
            value = np.where(isnan & (mt != 2), 0.0, value)
            to_default = ((mt == 1) & (np.abs(value) <= LIGHTGBM_ZERO)) | ((mt == 2) & isnan)
            go_left = np.where(to_default, default_left[k], value <= stage.threshold[k])
            node[active] = np.where(go_left, stage.left[k], stage.right[k])
            active = node >= 0
        out = out + stage.leaf_value[~node]
    return out


def tree_ensemble_from_lightgbm(booster: Any) -> TreeEnsemble:
    """The trees of a fitted binary LightGBM ``Booster`` (its ``dump_model()``), raw score out.

    The iterations are those ``predict`` uses by default: up to the best iteration when early
    stopping found one, else all.

    Raises:
        ValueError: for a multiclass, averaged (random forest), linear-tree or categorical
            model, or an objective other than a binary logistic one with sigmoid 1.
    """
    dump = booster.dump_model()
    objective = str(dump.get("objective", ""))
    if dump.get("num_class", 1) != 1 or dump.get("num_tree_per_iteration", 1) != 1:
        raise ValueError(
            f"only binary LightGBM models can be exported, got {dump.get('num_class')} classes"
        )
    if objective.split(" ")[:1] != ["binary"] or "sigmoid:1" not in objective.split(" "):
        raise ValueError(
            f"LightGBM objective {objective!r} is not a binary logistic one with sigmoid 1"
        )
    if dump.get("average_output"):
        raise ValueError("LightGBM random-forest mode (averaged trees) cannot be exported")
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    missing: list[int] = []
    default_left: list[bool] = []
    leaves: list[float] = []

    def visit(node: dict[str, Any]) -> int:
        if "leaf_value" in node:
            if node.get("leaf_coeff"):
                raise ValueError("LightGBM linear trees cannot be exported")
            leaves.append(float(node["leaf_value"]))
            return ~(len(leaves) - 1)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(
                f"LightGBM split {node.get('decision_type')!r} (categorical) cannot be exported"
            )
        k = len(feature)
        feature.append(int(node["split_feature"]))
        threshold.append(float(node["threshold"]))
        missing.append(_MISSING_TYPES[str(node.get("missing_type", "None"))])
        default_left.append(bool(node.get("default_left", True)))
        left.append(0)
        right.append(0)
        left[k] = visit(node["left_child"])
        right[k] = visit(node["right_child"])
        return k

    roots = []
    for tree in dump["tree_info"]:  # leaf values already include the shrinkage
        roots.append(visit(tree["tree_structure"]))
    return TreeEnsemble(
        feature=np.asarray(feature, dtype=np.int64),
        threshold=np.asarray(threshold, dtype=np.float64),
        left=np.asarray(left, dtype=np.int64),
        right=np.asarray(right, dtype=np.int64),
        leaf_value=np.asarray(leaves, dtype=np.float64),
        roots=np.asarray(roots, dtype=np.int64),
        missing_type=np.asarray(missing, dtype=np.int8),
        default_left=np.asarray(default_left, dtype=bool),
    )


def tree_ensemble_from_sklearn(tree: Any) -> TreeEnsemble:
    """A fitted binary ``DecisionTreeClassifier`` as one tree whose leaves hold P(class 1).

    Leaf values are the class fractions that ``predict_proba`` returns (``value[:, 1] /
    value.sum()``); inputs are compared in float32 as scikit-learn does.

    Raises:
        ValueError: for a multi-output or non-binary tree.
    """
    t = tree.tree_
    if t.n_outputs != 1 or len(tree.classes_) != 2:
        raise ValueError(
            f"only binary single-output trees can be exported, got classes {tree.classes_}"
        )
    is_leaf = t.children_left < 0
    node_index = np.cumsum(~is_leaf) - 1  # internal nodes renumbered in sklearn's order
    leaf_index = np.cumsum(is_leaf) - 1

    def ref(j: int) -> int:
        return int(~leaf_index[j]) if is_leaf[j] else int(node_index[j])

    internal = np.flatnonzero(~is_leaf)
    value = np.asarray(t.value[:, 0, :], dtype=np.float64)
    total = value.sum(axis=1)
    proba = value[:, 1] / np.where(total == 0.0, 1.0, total)
    return TreeEnsemble(
        feature=np.asarray(t.feature[internal], dtype=np.int64),
        threshold=np.asarray(t.threshold[internal], dtype=np.float64),
        left=np.array([ref(j) for j in t.children_left[internal]], dtype=np.int64),
        right=np.array([ref(j) for j in t.children_right[internal]], dtype=np.int64),
        leaf_value=proba[is_leaf],
        roots=np.array([ref(0)], dtype=np.int64),
        float32_inputs=True,
    )
