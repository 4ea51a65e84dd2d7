"""C code of the plan stages of tree ensembles, kernel machines and the closure features.

Used by :mod:`nulearn.flavor.deploy.codegen_c`. Every emitter takes the C expressions of its
input columns (``cols``) and returns ``(static arrays, loop-body lines, output column
expressions)``.

* :class:`~nulearn.flavor.deploy.trees.TreeEnsemble`: one const array of nodes
  ``{threshold, feature, left, right}`` (in depth-first order, so a path stays in few cache
  lines) and one of leaf values, walked by blocks of cells (:func:`tree_ensemble_code`); an
  if-else chain per tree was slower and took 17x longer to compile;
* :class:`~nulearn.flavor.deploy.plan.RBFKernel`: centres as a const array, the squared
  distance summed feature by feature as the NumPy plan sums it;
* :class:`~nulearn.flavor.deploy.moment_features.MomentFeatures`: the lepton-number moments and,
  for the closure, the maximum-entropy inversion (:data:`C_HELPERS`) per species.
"""

from __future__ import annotations

import numpy as np

from nulearn.flavor.deploy.codegen_c import c_literal
from nulearn.flavor.deploy.moment_features import (
    CLOSURE_FLUX_CAP,
    JEDYNAK,
    LANGEVIN_SERIES,
    NEWTON_STEPS,
    SERIES_LIMIT,
    TINY,
    MomentFeatures,
)
from nulearn.flavor.deploy.plan import RBFKernel
from nulearn.flavor.deploy.trees import LIGHTGBM_ZERO, TreeEnsemble

__all__ = [
    "C_HELPERS",
    "TREE_BLOCK",
    "moment_features_code",
    "rbf_kernel_code",
    "tree_depths",
    "tree_ensemble_code",
]


def _series_horner() -> tuple[str, str]:
    c = LANGEVIN_SERIES
    k = len(c)
    value = c_literal(c[-1])
    slope = c_literal((2 * k - 1) * c[-1])
    for i in range(k - 2, -1, -1):
        value = f"({value}) * s + {c_literal(c[i])}"
        slope = f"({slope}) * s + {c_literal((2 * i + 1) * c[i])}"
    return value, slope


def _helpers() -> str:
    value, slope = _series_horner()
    j0, j1, j2, j3 = (c_literal(v) for v in JEDYNAK)
    return f"""\
#ifndef NULEARN_TREES_DEFINED
#define NULEARN_TREES_DEFINED
/* one internal node of a decision tree: x[feature] <= threshold goes to left, else right;
 * a negative child c is the leaf ~c */
typedef struct {{
    double threshold;
    int32_t feature, left_right[2];
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


#: cells walked through one tree together (independent walks overlap in the CPU)
TREE_BLOCK = 32


def _node_array(name: str, stage: TreeEnsemble) -> str:
    """Internal nodes, then one node per leaf that loops onto itself (threshold +inf)."""
    n = stage.feature.size

    def child(c: int) -> int:
        return int(c) if c >= 0 else n + int(~c)

    rows = [
        f"{{{c_literal(float(t))}, {int(f)}, {{{child(lo)}, {child(hi)}}}}}"
        for t, f, lo, hi in zip(
            stage.threshold, stage.feature, stage.left, stage.right, strict=True
        )
    ]
    rows += [f"{{HUGE_VAL, 0, {{{n + j}, {n + j}}}}}" for j in range(stage.leaf_value.size)]
    body = ",\n        ".join(rows)
    return f"    static const nulearn_node_ {name}[{len(rows)}] = {{\n        {body}\n    }};\n"


def tree_depths(stage: TreeEnsemble) -> np.ndarray:
    """Longest path (internal nodes passed) of every tree."""
    depth = np.zeros(stage.n_trees, dtype=np.int64)
    for t, root in enumerate(stage.roots):
        stack = [(int(root), 0)]
        while stack:
            k, d = stack.pop()
            if k < 0:
                depth[t] = max(depth[t], d)
            else:
                stack += [(int(stage.left[k]), d + 1), (int(stage.right[k]), d + 1)]
    return depth


def tree_ensemble_code(
    stage: TreeEnsemble, s: int, cols: list[str]
) -> tuple[str, list[str], list[str]]:
    """Tree ensemble over a block of cells: ``(statics, per-cell lines, block lines)``.

    The per-cell lines store the cell's inputs in ``tin`` (row ``c`` of the block); the block
    lines walk every tree for all ``nb`` cells of the block at once, a fixed number of steps
    (the tree's depth; leaves loop onto themselves), innermost over cells, so that the walks of
    different cells are independent and overlap (about 4x the speed of walking the trees cell
    by cell, 2x that of an if-else chain per tree, on 1238 LightGBM trees), and leave
    ``acc[c] = base + sum of the leaves`` in tree order.
    """
    n, k = stage.feature.size, len(cols)
    statics = _node_array(f"NODE{s}", stage) + _double_array(f"LEAF{s}", stage.leaf_value)
    roots = [int(r) if r >= 0 else n + int(~r) for r in stage.roots]
    statics += _int_array(f"ROOT{s}", np.asarray(roots)) + _int_array(
        f"DEPTH{s}", tree_depths(stage)
    )
    if stage.float32_inputs:  # scikit-learn compares float32(x) with double thresholds
        inputs = [f"(double)(float)({c})" for c in cols]
    elif stage.plain_missing:  # LightGBM reads NaN as 0.0 when a feature had no missing values
        inputs = [f"({c} == {c} ? {c} : 0.0)" for c in cols]
    else:
        inputs = list(cols)
    store = [f"        tin[c * {k} + {j}] = {value};" for j, value in enumerate(inputs)]
    if stage.plain_missing:
        step = (
            f"const nulearn_node_ *nd = &NODE{s}[q[c]];\n"
            f"                    q[c] = nd->left_right[!(tin[c * {k} + nd->feature] <= nd->threshold)];"
        )
    else:
        missing = np.concatenate([stage.missing_type, np.zeros(stage.leaf_value.size, np.int8)])
        dleft = np.concatenate([stage.default_left, np.ones(stage.leaf_value.size, bool)])
        statics += _int_array(f"MISS{s}", missing, "int8_t")
        statics += _int_array(f"DLEFT{s}", dleft.astype(np.int8), "int8_t")
        step = (
            f"const nulearn_node_ *nd = &NODE{s}[q[c]];\n"
            f"                    const int mt = MISS{s}[q[c]];\n"
            f"                    double v = tin[c * {k} + nd->feature];\n"
            "                    int right;\n"
            "                    if (v != v && mt != 2) v = 0.0;\n"
            f"                    if ((mt == 1 && fabs(v) <= {c_literal(LIGHTGBM_ZERO)}) || (mt == 2 && v != v))\n"
            f"                        right = !DLEFT{s}[q[c]];\n"
            "                    else\n"
            "                        right = !(v <= nd->threshold);\n"
            "                    q[c] = nd->left_right[right];"
        )
    block = [
        f"        for (int c = 0; c < nb; ++c) acc[c] = {c_literal(float(stage.base))};",
        f"        for (int t = 0; t < {stage.n_trees}; ++t) {{",
        f"            int32_t q[{TREE_BLOCK}];",
        f"            for (int c = 0; c < nb; ++c) q[c] = ROOT{s}[t];",
        f"            for (int d = 0; d < DEPTH{s}[t]; ++d)",
        "                for (int c = 0; c < nb; ++c) {",
        f"                    {step}",
        "                }",
        f"            for (int c = 0; c < nb; ++c) acc[c] += LEAF{s}[q[c] - {n}];",
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
    from nulearn.flavor.deploy.codegen_c import lepton_sums
    from nulearn.flavor.deploy.plan import Coordinates

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
