"""Generate a dependency-free C header from a :class:`~nulearn.flavor.deploy.plan.DeployPlan`.

The header holds one function per model::

    void nulearn_<name>(const double *n_nue, const double *n_nuebar, [...,]
                        const double *F_nue, const double *F_nuebar, [...,]
                        int64_t n_cells, double *p_crossing, int8_t *flag);

It takes raw moments of ``n_cells`` cells (number densities in any positive unit, flux factors
in [0, 1)), computes the features, the model and the calibrated probability, and writes
``flag = 1`` (crossing), ``0`` (none) or ``-1`` (invalid input: non-positive or non-finite
density, flux factor outside [0, 1) or NaN; ``p_crossing`` is NaN there). Models of 3D moments
take ``n_<s>`` and the flux vectors ``flux_x_<s>, flux_y_<s>, flux_z_<s>`` instead of ``F_<s>``
and compute the rotation-invariant features (flux-factor magnitudes, direction cosines) in the
loop, as :mod:`nulearn.flavor.deploy.raw_moments` specifies.

The loop body is branch-free straight-line code over the cell index (selects instead of ``if``,
comparisons instead of ``isfinite``, a polynomial ``exp``), so that ``gcc -O3 -march=native``
vectorizes the polynomial logistic regression across cells. The flux-vector magnitudes of 3D
models call ``sqrt``, which GCC vectorizes only with ``-fno-math-errno`` on the command line (a
function attribute does not do it; values are unchanged, errno is never read); the ``log`` and
``atanh`` of physical coordinates are libm calls that keep the loop scalar. Functions are ``static inline``
unless ``NULEARN_API`` is defined before inclusion (define it empty to export them from a
shared library).
"""

from __future__ import annotations

import math

import numpy as np

from nulearn.flavor.deploy.codegen_c_stages import c_literal, lepton_sums
from nulearn.flavor.deploy.plan import (
    Coordinates,
    Dense,
    DeployPlan,
    MomentFeatures,
    Polynomial,
    RBFKernel,
    RoundToFloat32,
    Standardize,
    TreeEnsemble,
)
from nulearn.flavor.deploy.raw_moments import (
    MIN_DIRECTED_FLUX,
    FeatureOp,
    MomentProgram,
    moment_program,
)

__all__ = ["c_function_name", "c_literal", "generate_c_header", "moment_validity_c"]

# Unroll a one-output dense layer (the logit of the LR or of an MLP) into straight-line code up
# to this many inputs; hidden layers are loops over const arrays (straight-line hidden layers
# cost the compiler seconds and gain nothing once the loop over cells no longer vectorizes).
_UNROLL_LIMIT = 256

_EXP_HELPER = """\
/* exp(x) for |x| <= 708, vectorizable: exp(x) = 2^k exp(r), k = nint(x / ln 2), |r| <= ln(2)/2,
 * exp(r) by its Taylor series to r^11 (relative error < 1e-14); 2^k built in the exponent bits. */
NULEARN_VECTORIZE static inline double nulearn_exp_(double x)
{
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    double kd, r, p, scale;
    uint64_t bits;
    x = x < -708.0 ? -708.0 : x;
    x = x > 708.0 ? 708.0 : x;
    kd = x * 1.4426950408889634 + shift;
    memcpy(&bits, &kd, sizeof bits);
    kd -= shift;
    r = x - kd * 6.93147180369123816490e-01 - kd * 1.90821492927058770002e-10;
    p = 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    bits = (bits + 1023u) << 52; /* the low bits of kd + shift hold k */
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}
"""


def c_function_name(plan: DeployPlan) -> str:
    """Symbol of the generated function: ``nulearn_<plan.name>``."""
    return f"nulearn_{plan.name}"


def _array(name: str, values: np.ndarray) -> str:
    flat = [c_literal(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    rows = [", ".join(flat[i : i + 4]) for i in range(0, len(flat), 4)]
    body = ",\n        ".join(rows)
    return f"    static const double {name}[{len(flat)}] = {{\n        {body}\n    }};\n"


def _monomial(powers: np.ndarray, cols: list[str]) -> str:
    factors = [cols[i] for i, p in enumerate(powers) for _ in range(int(p))]
    return " * ".join(factors) if factors else "1.0"


def _coordinates_code(stage: Coordinates, cols: list[str], cur: str) -> list[str]:
    """Physical coordinates: log ratios, artanh F, F (+ g0, g1, g1 / (|g0| + softening))."""
    r, m = stage.ratio_columns, stage.n_in - stage.ratio_columns
    lines = [f"        const double {cur}{i} = log({cols[i]});" for i in range(r)]
    lines += [f"        const double {cur}{r + k} = atanh({cols[r + k]});" for k in range(m)]
    lines += [f"        const double {cur}{r + m + k} = {cols[r + k]};" for k in range(m)]
    if stage.lepton_terms:
        j = r + 2 * m
        g0, g1 = lepton_sums(stage, lambda i: cols[i], "1.0")
        lines += [
            f"        const double {cur}{j} = {g0}; /* g0 */",
            f"        const double {cur}{j + 1} = {g1}; /* g1 */",
            f"        const double {cur}{j + 2} = {cur}{j + 1} / (fabs({cur}{j}) + "
            f"{c_literal(stage.softening)});",
        ]
    return lines


def _as_array(cols: list[str], name: str, body: list[str]) -> str:
    """An array holding the columns: the array they already index, or a new local one."""
    base = cols[0].split("[")[0]
    if all(c == f"{base}[{j}]" for j, c in enumerate(cols)):
        return base
    body.append(f"        const double {name}[{len(cols)}] = {{{', '.join(cols)}}};")
    return name


def _dense_code(stage: Dense, s: int, cols: list[str]) -> tuple[str, list[str], list[str]]:
    cur = f"h{s}_"
    n_out, n_in = stage.weight.shape
    body: list[str] = []
    if n_out == 1 and n_in <= _UNROLL_LIMIT:
        terms = [c_literal(float(stage.bias[0]))] + [
            f"{c_literal(float(stage.weight[0, k]))} * {cols[k]}" for k in range(n_in)
        ]
        expr = "\n            + ".join(terms)
        if stage.relu:
            body.append(f"        double {cur}0 = {expr};")
            body.append(f"        {cur}0 = {cur}0 > 0.0 ? {cur}0 : 0.0;")
        else:
            body.append(f"        const double {cur}0 = {expr};")
        return "", body, [f"{cur}0"]
    src = _as_array(cols, f"a{s}_in", body)
    body.append(f"        double {cur}[{n_out}];")
    if n_out == 1:  # one long dot product (support vectors)
        statics = _array(f"W{s}", stage.weight) + _array(f"B{s}", stage.bias)
        body.append(
            f"        {{ double acc = B{s}[0];\n"
            f"          for (int k = 0; k < {n_in}; ++k) acc += W{s}[k] * {src}[k];\n"
            f"          {cur}[0] = {'acc > 0.0 ? acc : 0.0' if stage.relu else 'acc'}; }}"
        )
        return statics, body, [f"{cur}[0]"]
    # a hidden layer: out += W[:, k] in_k for k in order, with the transposed weights, so that
    # the loop over outputs vectorizes while every output still sums its terms in input order
    # (a dot product per output cannot vectorize without reassociating, i.e. -ffast-math)
    statics = _array(f"WT{s}", stage.weight.T) + _array(f"B{s}", stage.bias)
    relu = (
        f"\n        for (int j = 0; j < {n_out}; ++j) {cur}[j] = {cur}[j] > 0.0 ? {cur}[j] : 0.0;"
        if stage.relu
        else ""
    )
    body.append(
        f"        for (int j = 0; j < {n_out}; ++j) {cur}[j] = B{s}[j];\n"
        f"        for (int k = 0; k < {n_in}; ++k) {{\n"
        f"            const double xk = {src}[k];\n"
        f"            for (int j = 0; j < {n_out}; ++j) {cur}[j] += WT{s}[k * {n_out} + j] * xk;\n"
        f"        }}{relu}"
    )
    return statics, body, [f"{cur}[{j}]" for j in range(n_out)]


def _stage_code(plan: DeployPlan) -> tuple[str, str, str, tuple[list[str], list[str]] | None]:
    """(static arrays, loop-body code, final output expression, tree parts).

    Each stage reads the C expressions of its input columns (``cols``: scalars ``x0``, ... or
    elements of an array) and yields those of its outputs. A tree ensemble (last stage only)
    returns ``(per-cell lines, block lines)`` as tree parts instead, and ``acc[c]`` as output.
    """
    from nulearn.flavor.deploy.codegen_c_stages import (
        moment_features_code,
        rbf_kernel_code,
        tree_ensemble_code,
    )

    statics: list[str] = []
    body: list[str] = []
    cols = [f"x{j}" for j in range(len(plan.feature_names))]
    for s, stage in enumerate(plan.stages):
        cur = f"h{s}_"
        if isinstance(stage, Coordinates):
            body.extend(_coordinates_code(stage, cols, cur))
            cols = [f"{cur}{j}" for j in range(stage.n_out)]
        elif isinstance(stage, Standardize):
            for i, col in enumerate(cols):
                inv = c_literal(1.0 / float(stage.scale[i]))
                body.append(
                    f"        const double {cur}{i} = ({col} - {c_literal(float(stage.mean[i]))}) * {inv};"
                )
            cols = [f"{cur}{j}" for j in range(len(cols))]
        elif isinstance(stage, Polynomial):
            for j, row in enumerate(stage.powers):
                body.append(f"        const double {cur}{j} = {_monomial(row, cols)};")
            cols = [f"{cur}{j}" for j in range(stage.n_out)]
        elif isinstance(stage, RoundToFloat32):
            src = _as_array(cols, f"a{s}_in", body)
            body.append(f"        double {cur}[{len(cols)}];")
            body.append(
                f"        for (int j = 0; j < {len(cols)}; ++j) {cur}[j] = (double)(float){src}[j];"
            )
            cols = [f"{cur}[{j}]" for j in range(len(cols))]
        else:
            if isinstance(stage, Dense):
                emitted = _dense_code(stage, s, cols)
            elif isinstance(stage, TreeEnsemble):
                if s != len(plan.stages) - 1:
                    raise ValueError("a tree ensemble must be the last stage of a plan")
                tree_statics, store, block = tree_ensemble_code(stage, s, cols)
                statics.append(tree_statics)
                return "".join(statics), "\n".join(body), "acc[c]", (store, block)
            elif isinstance(stage, RBFKernel):
                emitted = rbf_kernel_code(stage, s, cols)
            elif isinstance(stage, MomentFeatures):
                emitted = moment_features_code(stage, s, cols)
            else:
                raise ValueError(f"stage {type(stage).__name__} has no C generator")
            statics.append(emitted[0])
            body.extend(emitted[1])
            cols = emitted[2]
    if len(cols) != 1:
        raise ValueError(f"the last stage must give one output, got {len(cols)}")
    return "".join(statics), "\n".join(body), cols[0], None


def _calibration_code(plan: DeployPlan) -> tuple[str, str]:
    cal = plan.calibration
    if cal.kind == "none":
        return "", "        double p = 1.0 / (1.0 + nulearn_exp_(-z));"
    if cal.kind == "identity":
        return "", "        double p = z;"
    clip = ""
    if cal.kind in ("temperature", "platt"):
        lo = c_literal(cal.logit_min) if math.isfinite(cal.logit_min) else "-HUGE_VAL"
        hi = c_literal(cal.logit_max) if math.isfinite(cal.logit_max) else "HUGE_VAL"
        clip = f"        const double zc = z < {lo} ? {lo} : (z > {hi} ? {hi} : z);\n"
    if cal.kind == "temperature":
        inv_t = c_literal(1.0 / cal.temperature)
        return "", clip + f"        double p = 1.0 / (1.0 + nulearn_exp_(-zc * {inv_t}));"
    if cal.kind == "platt":
        return "", clip + (
            f"        double p = 1.0 / (1.0 + nulearn_exp_(-({c_literal(cal.a)} * zc + {c_literal(cal.b)})));"
        )
    k = cal.x.size
    statics = _array("ISO_X", cal.x) + _array("ISO_Y", cal.y)
    code = f"""\
        double p = 1.0 / (1.0 + nulearn_exp_(-z));
        {{ /* isotonic calibrator: piecewise-linear through the knots, clipped at the ends */
            int lo = 0, hi = {k - 1};
            if (p <= ISO_X[0]) p = ISO_Y[0];
            else if (p >= ISO_X[{k - 1}]) p = ISO_Y[{k - 1}];
            else if (p == p) {{
                while (hi - lo > 1) {{ int mid = (lo + hi) / 2; if (ISO_X[mid] <= p) lo = mid; else hi = mid; }}
                p = ISO_Y[lo] + (ISO_Y[hi] - ISO_Y[lo]) * (p - ISO_X[lo]) / (ISO_X[hi] - ISO_X[lo]);
            }}
        }}"""
    return statics, code


def _feature_op_code(op: FeatureOp) -> list[str]:
    """C statements of one :class:`FeatureOp` (variables ``v_<name>``)."""
    a = [f"v_{name}" for name in op.args]
    out = f"v_{op.out}"
    if op.kind == "div":
        return [f"        const double {out} = {a[0]} / {a[1]};"]
    if op.kind == "norm3":
        return [
            f"        const double {out} = sqrt({a[0]} * {a[0]} + {a[1]} * {a[1]} + {a[2]} * {a[2]});"
        ]
    if op.kind == "dot3":
        return [
            f"        const double {out} = {a[0]} * {a[3]} + {a[1]} * {a[4]} + {a[2]} * {a[5]};"
        ]
    dot, fa, fb = a
    tiny = c_literal(MIN_DIRECTED_FLUX)
    return [
        f"        const int ok_{op.out} = ({fa} > {tiny}) & ({fb} > {tiny});",
        f"        const double q_{op.out} = {dot} / (ok_{op.out} ? {fa} * {fb} : 1.0);",
        f"        const double {out} = ok_{op.out} ? (q_{op.out} < -1.0 ? -1.0 : "
        f"(q_{op.out} > 1.0 ? 1.0 : q_{op.out})) : 0.0;",
    ]


def _blocked_loop(
    cell: str, tree: tuple[list[str], list[str]], finish: str, width: int, domain: bool
) -> str:
    """Cell loop of a plan ending in a tree ensemble: per block of cells, features first, then
    the trees for the whole block, then calibration and flags
    (:func:`~nulearn.flavor.deploy.codegen_c_stages.tree_ensemble_code`)."""
    from textwrap import indent

    from nulearn.flavor.deploy.codegen_c_stages import TREE_BLOCK

    store, block = tree
    keep = ["valid_b[c] = valid;"] + (["inside_b[c] = inside;"] if domain else [])
    restore = ["const int valid = valid_b[c];"] + (
        ["const double inside = inside_b[c];"] if domain else []
    )
    pad = "        "
    first = "\n".join([cell, *store, *(pad + line for line in keep)])
    last = "\n".join([*(pad + line for line in restore), pad + "const double z = acc[c];", finish])
    b = TREE_BLOCK
    return (
        f"    for (int64_t i0 = 0; i0 < n_cells; i0 += {b}) {{\n"
        f"        const int nb = n_cells - i0 < {b} ? (int)(n_cells - i0) : {b};\n"
        f"        double tin[{b} * {width}], acc[{b}];\n"
        f"        int valid_b[{b}];\n"
        + (f"        double inside_b[{b}];\n" if domain else "")
        + "        for (int c = 0; c < nb; ++c) {\n"
        "            const int64_t i = i0 + c;\n"
        f"{indent(first, '    ')}\n"
        "        }\n"
        f"{chr(10).join(block)}\n"
        "        for (int c = 0; c < nb; ++c) {\n"
        "            const int64_t i = i0 + c;\n"
        f"{indent(last, '    ')}\n"
        "        }\n"
        "    }"
    )


def moment_validity_c(program: MomentProgram) -> str:
    """The C expression, over the ``v_<raw>`` variables, that is true for a cell whose raw
    moments are physical (every density > 0 and finite, every flux factor in [0, 1)): the one
    check the flaggers and the closure share."""
    return " &\n            ".join(
        f"(v_{n} > 0.0) & (v_{n} < HUGE_VAL) & (v_{f} >= 0.0) & (v_{f} < 1.0)"
        for n, f in program.checks
    )


def generate_c_header(plan: DeployPlan) -> str:
    """C99 header source (also valid C++) implementing ``plan``; see the module docstring."""
    program = moment_program(plan.feature_names)
    fn = c_function_name(plan)
    guard = f"NULEARN_{plan.name.upper()}_H"
    raw = program.inputs
    args = ",\n    ".join(f"const double *NULEARN_RESTRICT {r}" for r in raw)
    loads = "\n".join(f"        const double v_{r} = {r}[i];" for r in raw)
    ops = "\n".join(line for op in program.ops for line in _feature_op_code(op))
    checks = moment_validity_c(program)
    feats = [
        f"        const double x{j} = v_{name}; /* {name} */"
        for j, name in enumerate(program.features)
    ]
    statics, body, logit, tree = _stage_code(plan)
    cal_statics, cal_code = _calibration_code(plan)
    op = ">=" if plan.threshold_inclusive else ">"
    decision = f"(int8_t)(p {op} {c_literal(plan.threshold)})"
    domain_doc = ""
    if plan.domain is not None:
        from nulearn.flavor.deploy.codegen_c_stages import domain_code

        dom_statics, dom_lines = domain_code(plan.domain, len(program.features))
        statics += dom_statics
        feats.extend(dom_lines)
        domain_doc = f" *   flag {plan.domain.flag}: valid input outside the training domain of the features\n"
    cell = "\n".join(
        [loads, ops, f"        const int valid =\n            {checks};", *feats, body]
    )
    flag_line = f"        flag[i] = valid ? {decision} : (int8_t)-1;"
    if plan.domain is not None:
        # decided in doubles: an int mask beside the double lanes keeps GCC from vectorizing
        above = f"(p {op} {c_literal(plan.threshold)} ? 1.0 : 0.0)"
        flag_line = (
            f"        flag[i] = (int8_t)(valid ? (inside > 0.5 ? {above} : "
            f"{float(plan.domain.flag)!r}) : -1.0);"
        )
    finish = f"{cal_code}\n        p_crossing[i] = valid ? p : NAN;\n{flag_line}"
    if tree is None:
        loop = (
            "    for (int64_t i = 0; i < n_cells; ++i) {\n"
            f"{cell}\n        const double z = {logit};\n{finish}\n    }}"
        )
    else:
        loop = _blocked_loop(cell, tree, finish, len(tree[0]), plan.domain is not None)
    stage_types = {type(stage) for stage in plan.stages}
    helpers = ""
    if stage_types & {TreeEnsemble, MomentFeatures}:
        from nulearn.flavor.deploy.codegen_c_stages import C_HELPERS

        helpers = "\n" + C_HELPERS
    doc_args = "\n".join(f" *   {r}: raw moment, shape (n_cells,)" for r in raw)
    if program.dimension == 3:
        moment_doc = (
            " * 3D moments: flux vectors in units of n c (flux factor vector F = flux / n, |F| < 1);\n"
            " * features are rotation invariant (|F|, density ratios, cosines between flux directions).\n"
            " * Compile with -fno-math-errno (values unchanged) so that GCC vectorizes sqrt and the loop."
        )
        invalid = "n <= 0, n not finite, |flux| / n >= 1 or not finite"
    else:
        moment_doc = " * Flux factor F = |I_1| / I_0."
        invalid = "n <= 0, n or F not finite, F outside [0, 1)"
    return f"""\
/* Generated by nulearn.flavor.deploy.codegen_c -- do not edit.
 *
 * Model: {plan.kind}, scheme {plan.scheme}, features ({", ".join(plan.feature_names)})
 * Model card hash: {plan.card_hash or "n/a"}; plan digest: {plan.digest()}
 * Calibration: {plan.calibration.kind}; threshold: p {op} {c_literal(plan.threshold)}
 *
 * void {fn}(raw moments..., int64_t n_cells, double *p_crossing, int8_t *flag)
{doc_args}
 *   n_cells: number of cells
 *   p_crossing: out, calibrated probability of an ELN crossing (NaN for invalid cells)
 *   flag: out, 1 = crossing, 0 = none, -1 = invalid input ({invalid})
{domain_doc} * Densities may be in any unit (only ratios to n_nue enter).
{moment_doc}
 */
#ifndef {guard}
#define {guard}

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef NULEARN_API
#define NULEARN_API static inline
#endif
#ifndef NULEARN_RESTRICT
#define NULEARN_RESTRICT __restrict
#endif
/* GCC if-converts (and so vectorizes) the branch-free selects below only when it may assume
 * that comparisons do not trap; results are unchanged (no fast-math value changes). */
#ifndef NULEARN_VECTORIZE
#if defined(__GNUC__) && !defined(__clang__)
#define NULEARN_VECTORIZE __attribute__((optimize("no-trapping-math")))
#else
#define NULEARN_VECTORIZE
#endif
#endif

#ifdef __cplusplus
extern "C" {{
#endif

#ifndef NULEARN_EXP_DEFINED
#define NULEARN_EXP_DEFINED
{_EXP_HELPER}#endif
{helpers}
NULEARN_VECTORIZE NULEARN_API void {fn}(
    {args},
    int64_t n_cells,
    double *NULEARN_RESTRICT p_crossing,
    int8_t *NULEARN_RESTRICT flag)
{{
{statics}{cal_statics}{loop}
}}

#ifdef __cplusplus
}}
#endif

#endif /* {guard} */
"""
