"""C code of the plan stages of tree ensembles, kernel machines and the closure features.

Used by :mod:`nulearn.flavor.deploy.codegen_c`. Every emitter takes the C expressions of its
input columns (``cols``) and returns ``(static arrays, loop-body lines, output column
expressions)``.

* :class:`~nulearn.flavor.deploy.trees.TreeEnsemble`: one const array of 16-byte nodes
  ``{threshold, feature, right}`` in depth-first pre-order (the left child is the next node, so
  a path stays in few cache lines), walked tree by tree over blocks of cells
  (:func:`tree_ensemble_code`);
* :class:`~nulearn.flavor.deploy.plan.RBFKernel`: centres as a const array, the squared
  distance summed feature by feature as the NumPy plan sums it;
* :class:`~nulearn.flavor.deploy.moment_features.MomentFeatures`: the lepton-number moments and,
  for the closure, the maximum-entropy inversion (:data:`C_HELPERS`) per species.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nulearn.flavor.deploy.moment_features import (
    CLOSURE_FLUX_CAP,
    JEDYNAK,
    NEWTON_STEPS,
    SERIES_LIMIT,
    TINY,
    MomentFeatures,
    langevin_series_source,
)
from nulearn.flavor.deploy.plan import Coordinates, FeatureDomain, RBFKernel
from nulearn.flavor.deploy.trees import LIGHTGBM_ZERO, TreeEnsemble

__all__ = [
    "C_HELPERS",
    "TREE_BLOCK",
    "PreorderTrees",
    "c_literal",
    "domain_code",
    "lepton_sums",
    "moment_features_code",
    "preorder_trees",
    "rbf_kernel_code",
    "tree_ensemble_code",
]


def c_literal(value: float) -> str:
    """Exact C double literal (17 significant digits round-trip)."""
    if not math.isfinite(value):
        raise ValueError(f"model parameter is not finite: {value!r}")
    return (
        f"{value:.17g}" if "e" in f"{value:.17g}" or "." in f"{value:.17g}" else f"{value:.17g}.0"
    )


def _helpers() -> str:
    value, slope = langevin_series_source(c_literal)
    j0, j1, j2, j3 = (c_literal(v) for v in JEDYNAK)
    return f"""\
#ifndef NULEARN_TREES_DEFINED
#define NULEARN_TREES_DEFINED
/* one node of a decision tree in depth-first pre-order: x[feature] <= threshold goes to the
 * next node (the left child), else to node right; feature < 0 marks a leaf, threshold its value */
typedef struct {{
    double threshold;
    int32_t feature, right;
}} nulearn_node_;

/* Langevin function L(a) = coth a - 1/a and L'(a), a >= 0: odd power series below a = 1
 * (Bernoulli coefficients), closed forms with E = exp(-2a) above. */
static inline void nulearn_langevin_(double a, double *value, double *slope)
{{
    if (a < {c_literal(SERIES_LIMIT)}) {{
        const double s = a * a;
        *value = a * ({value});
        *slope = {slope};
    }} else {{
        const double e = exp(-2.0 * a), one_m = 1.0 - e;
        *value = (1.0 + e) / one_m - 1.0 / a;
        *slope = 1.0 / (a * a) - 4.0 * e / (one_m * one_m);
    }}
}}

/* maximum-entropy shape parameter a with L(a) = f, 0 <= f < 1: Jedynak's rational start
 * (Rheol. Acta 54, 29 (2015)) and {NEWTON_STEPS} Newton steps (nulearn.flavor.deploy.moment_features) */
static inline double nulearn_maxent_a_(double f)
{{
    double a = f * ({j0} + {j1} * f + {j2} * f * f) / ((1.0 - f) * (1.0 + {j3} * f));
    for (int k = 0; k < {NEWTON_STEPS}; ++k) {{
        double value, slope;
        nulearn_langevin_(a, &value, &slope);
        a = a - (value - f) / slope;
    }}
    return a;
}}

/* ln Z(a) - a = ln(-expm1(-2a) / a), ln 2 at a = 0 */
static inline double nulearn_maxent_lognorm_(double a)
{{
    return a > 0.0 ? log(-expm1(-2.0 * a) / a) : 0.69314718055994529;
}}
#endif
"""


#: helper types and functions of these stages (guarded: several headers may be included)
C_HELPERS = _helpers()


def _int_array(name: str, values: np.ndarray, ctype: str = "int32_t") -> str:
    flat = [str(int(v)) for v in np.asarray(values).ravel()]
    rows = [", ".join(flat[i : i + 16]) for i in range(0, len(flat), 16)]
    body = ",\n        ".join(rows)
    return f"    static const {ctype} {name}[{len(flat)}] = {{\n        {body}\n    }};\n"


def _double_array(name: str, values: np.ndarray) -> str:
    flat = [c_literal(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    rows = [", ".join(flat[i : i + 4]) for i in range(0, len(flat), 4)]
    body = ",\n        ".join(rows)
    return f"    static const double {name}[{len(flat)}] = {{\n        {body}\n    }};\n"


#: cells walked through one tree before the next tree: the tree stays in L1 and, as neighbouring
#: cells of a simulation grid mostly take the same path, the branches are predicted
TREE_BLOCK = 256


@dataclass(frozen=True)
class PreorderTrees:
    """Nodes of all trees in depth-first pre-order, leaves inline: the left child of internal
    node ``k`` is ``k + 1``; ``feature < 0`` marks a leaf, whose ``threshold`` holds its value."""

    feature: np.ndarray
    threshold: np.ndarray
    right: np.ndarray
    roots: np.ndarray
    missing_type: np.ndarray
    default_left: np.ndarray


def preorder_trees(stage: TreeEnsemble) -> PreorderTrees:
    """The layout every generated walker uses (C and Fortran), built from the plan's arrays."""
    feature: list[int] = []
    threshold: list[float] = []
    right: list[int] = []
    missing: list[int] = []
    default_left: list[bool] = []
    mt = stage.missing_type if stage.missing_type.size else np.zeros(stage.feature.size, np.int8)
    dl = stage.default_left if stage.default_left.size else np.ones(stage.feature.size, bool)

    def emit(k: int) -> int:
        me = len(feature)
        feature.append(-1 if k < 0 else int(stage.feature[k]))
        threshold.append(float(stage.leaf_value[~k]) if k < 0 else float(stage.threshold[k]))
        right.append(me)
        missing.append(0 if k < 0 else int(mt[k]))
        default_left.append(True if k < 0 else bool(dl[k]))
        if k >= 0:
            emit(int(stage.left[k]))  # lands at me + 1
            right[me] = emit(int(stage.right[k]))
        return me

    roots = [emit(int(r)) for r in stage.roots]
    return PreorderTrees(
        feature=np.asarray(feature, dtype=np.int64),
        threshold=np.asarray(threshold, dtype=np.float64),
        right=np.asarray(right, dtype=np.int64),
        roots=np.asarray(roots, dtype=np.int64),
        missing_type=np.asarray(missing, dtype=np.int8),
        default_left=np.asarray(default_left, dtype=bool),
    )


def _node_array(name: str, trees: PreorderTrees) -> str:
    rows = [
        f"{{{c_literal(float(t))}, {int(f)}, {int(r)}}}"
        for t, f, r in zip(trees.threshold, trees.feature, trees.right, strict=True)
    ]
    body = ",\n        ".join(rows)
    return f"    static const nulearn_node_ {name}[{len(rows)}] = {{\n        {body}\n    }};\n"


def tree_ensemble_code(
    stage: TreeEnsemble, s: int, cols: list[str]
) -> tuple[str, list[str], list[str]]:
    """Tree ensemble over a block of cells: ``(statics, per-cell lines, block lines)``.

    The per-cell lines store the cell's inputs in ``tin`` (row ``c`` of the block); the block
    lines walk one tree for every cell of the block, then the next tree, and leave ``acc[c] =
    base + sum of the leaves`` in tree order. On the smooth fields of a simulation (the in-situ
    example's final state, 1531 LightGBM trees) this is 3x faster than walking every tree for
    one cell at a time and than a branch-free walk of fixed depth per tree; on cells in random
    order the fixed-depth walk is 1.4x faster, and an if-else chain per tree was slower than
    both and 17x slower to compile.
    """
    k = len(cols)
    trees = preorder_trees(stage)
    statics = _node_array(f"NODE{s}", trees) + _int_array(f"ROOT{s}", trees.roots)
    if stage.float32_inputs:  # scikit-learn compares float32(x) with double thresholds
        inputs = [f"(double)(float)({c})" for c in cols]
    elif stage.plain_missing:  # LightGBM reads NaN as 0.0 when a feature had no missing values
        inputs = [f"({c} == {c} ? {c} : 0.0)" for c in cols]
    else:
        inputs = list(cols)
    store = [f"        tin[c * {k} + {j}] = {value};" for j, value in enumerate(inputs)]
    if stage.plain_missing:
        step = "q = x[nd->feature] <= nd->threshold ? q + 1 : nd->right;"
    else:
        statics += _int_array(f"MISS{s}", trees.missing_type, "int8_t")
        statics += _int_array(f"DLEFT{s}", trees.default_left.astype(np.int8), "int8_t")
        step = (
            f"const int mt = MISS{s}[q];\n"
            "                    double v = x[nd->feature];\n"
            "                    int left;\n"
            "                    if (v != v && mt != 2) v = 0.0;\n"
            f"                    if ((mt == 1 && fabs(v) <= {c_literal(LIGHTGBM_ZERO)}) || (mt == 2 && v != v))\n"
            f"                        left = DLEFT{s}[q];\n"
            "                    else\n"
            "                        left = v <= nd->threshold;\n"
            "                    q = left ? q + 1 : nd->right;"
        )
    block = [
        f"        for (int c = 0; c < nb; ++c) acc[c] = {c_literal(float(stage.base))};",
        f"        for (int t = 0; t < {stage.n_trees}; ++t) {{",
        f"            const int32_t root = ROOT{s}[t];",
        "            for (int c = 0; c < nb; ++c) {",
        f"                const double *x = tin + c * {k};",
        "                int32_t q = root;",
        f"                const nulearn_node_ *nd = &NODE{s}[q];",
        "                while (nd->feature >= 0) {",
        f"                    {step}",
        f"                    nd = &NODE{s}[q];",
        "                }",
        "                acc[c] += nd->threshold; /* a leaf holds its value there */",
        "            }",
        "        }",
    ]
    return statics, store, block


def rbf_kernel_code(stage: RBFKernel, s: int, cols: list[str]) -> tuple[str, list[str], list[str]]:
    """``h<s>_[j] = exp(-gamma sum_i (x_i - c_ji)^2)``, summed feature by feature."""
    m, k = stage.centers.shape
    statics = _double_array(f"CENTER{s}", stage.centers)
    x = f"r{s}_x"
    body = [
        f"        const double {x}[{k}] = {{{', '.join(cols)}}};",
        f"        double h{s}_[{m}];",
        f"        for (int j = 0; j < {m}; ++j) {{",
        "            double d2 = 0.0;",
        f"            for (int i = 0; i < {k}; ++i) {{",
        f"                const double t = {x}[i] - CENTER{s}[j * {k} + i];",
        "                d2 += t * t;",
        "            }",
        f"            h{s}_[j] = nulearn_exp_(-{c_literal(stage.gamma)} * d2);",
        "        }",
    ]
    return statics, body, [f"h{s}_[{j}]" for j in range(m)]


def moment_features_code(
    stage: MomentFeatures, s: int, cols: list[str]
) -> tuple[str, list[str], list[str]]:
    """Inputs, g0, g1, g1 / (|g0| + softening), log(max(alpha, 1e-300)) (+ closure columns)."""

    sums = Coordinates(
        ratio_columns=1 if stage.n_in == 3 else 3,
        n_in=stage.n_in,
        g0_terms=stage.g0_terms,
        g1_terms=stage.g1_terms,
    )
    g0, g1 = lepton_sums(sums, lambda i: cols[i], "1.0")
    p = f"m{s}_"
    tiny = c_literal(TINY)
    body = [
        f"        const double {p}g0 = {g0};",
        f"        const double {p}g1 = {g1};",
        f"        const double {p}ratio = {p}g1 / (fabs({p}g0) + {c_literal(stage.softening)});",
        f"        const double {p}log_alpha = log({cols[0]} > {tiny} ? {cols[0]} : {tiny});",
    ]
    out = [*cols, f"{p}g0", f"{p}g1", f"{p}ratio", f"{p}log_alpha"]
    if stage.closure:
        cap = c_literal(CLOSURE_FLUX_CAP)
        for i, (density, flux, _) in enumerate(stage.species):
            f = cols[flux]
            log_n = "0.0" if density < 0 else f"log({cols[density]})"
            body += [
                f"        const double {p}a{i} = nulearn_maxent_a_({f} < {cap} ? {f} : {cap});",
                f"        const double {p}lz{i} = nulearn_maxent_lognorm_({p}a{i});",
                f"        const double {p}ln{i} = {log_n};",
            ]
        for k, mu in enumerate(stage.mu):
            m1 = c_literal(float(mu - 1.0))
            g, total = "0.0", "0.0"
            for i, (_, _, sign) in enumerate(stage.species):
                fk = f"{p}f{i}_{k}"
                body.append(
                    f"        const double {fk} = exp({p}ln{i} + (-{p}lz{i} + {p}a{i} * {m1}));"
                )
                g = f"({g} {'+' if sign > 0 else '-'} {fk})"
                total = f"({total} + {fk})"
            body += [
                f"        const double {p}t{k} = {total};",
                f"        const double {p}G{k} = {g} / ({p}t{k} > {tiny} ? {p}t{k} : {tiny});",
            ]
            out.append(f"{p}G{k}")
    return "", body, out


def lepton_sums(stage: Coordinates, name: Callable[[int], str], one: str) -> tuple[str, str]:
    """``(g0, g1)`` expressions of a :class:`Coordinates` stage, summed left to right as
    :func:`nulearn.flavor.models.coordinates.lepton_number_moments` does (C and Fortran alike).

    Args:
        stage: the stage.
        name: input column ``i`` (0-based) -> its variable in the target language.
        one: the literal 1 in the target language.
    """
    g0 = one + "".join(f" {'+' if sign > 0 else '-'} {name(i)}" for sign, i in stage.g0_terms)
    g1 = ""
    for k, (sign, a, b) in enumerate(stage.g1_terms):
        term = name(a) if b < 0 else f"{name(a)} * {name(b)}"
        op = ("" if sign > 0 else "-") if k == 0 else (" + " if sign > 0 else " - ")
        g1 += f"{op}{term}"
    return g0, g1


def domain_code(domain: FeatureDomain, n_features: int) -> tuple[str, list[str]]:
    """C for the training-domain check of the features ``x0 .. x{n-1}``.

    Returns function-level statics (none: every constant is a literal) and per-cell lines that
    end in ``const double inside = ...;`` (1.0 inside, 0.0 outside: a double, like the other
    lanes of the vectorized loop): the per-feature bounds and, with a density model, the
    score of the most likely mixture component against its threshold
    (:meth:`FeatureDomain.log_density`), unrolled into straight-line multiply-adds and maxima so
    that the cell loop still vectorizes.
    """
    bounds = []
    for j, (lo, hi) in enumerate(zip(domain.lower, domain.upper, strict=True)):
        if math.isfinite(lo):
            bounds.append(f"(double)(x{j} >= {c_literal(float(lo))})")
        if math.isfinite(hi):
            bounds.append(f"(double)(x{j} <= {c_literal(float(hi))})")
    if domain.has_density:
        bounds.append(f"(double)(dtop >= {c_literal(domain.log_density_threshold)})")
    inside = " * ".join(bounds) or "1.0"
    if not domain.has_density:
        return "", [f"        const double inside = {inside};"]
    lines = [
        f"        const double dz{j} = (x{j} - {c_literal(float(domain.center[j]))}) * "
        f"{c_literal(1.0 / float(domain.scale[j]))};"
        for j in range(n_features)
    ]
    for k in range(domain.log_norm.size):
        terms = " + ".join(
            f"(dz{j} - {c_literal(float(domain.means[k, j]))}) * "
            f"(dz{j} - {c_literal(float(domain.means[k, j]))}) * "
            f"{c_literal(float(domain.inv_variances[k, j]))}"
            for j in range(n_features)
        )
        lines.append(
            f"        const double ds{k} = {c_literal(float(domain.log_norm[k]))} - 0.5 * ({terms});"
        )
    lines.append("        double dtop = ds0;")
    lines += [
        f"        dtop = ds{k} > dtop ? ds{k} : dtop;" for k in range(1, domain.log_norm.size)
    ]
    lines.append(f"        const double inside = {inside};")
    return "", lines
