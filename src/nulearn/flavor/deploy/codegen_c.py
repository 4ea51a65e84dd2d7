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
from collections.abc import Callable

import numpy as np

from nulearn.flavor.deploy.plan import Coordinates, Dense, DeployPlan, Polynomial, Standardize
from nulearn.flavor.deploy.raw_moments import MIN_DIRECTED_FLUX, FeatureOp, moment_program

__all__ = ["c_function_name", "c_literal", "generate_c_header", "lepton_sums"]

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


def c_literal(value: float) -> str:
    """Exact C double literal (17 significant digits round-trip)."""
    if not math.isfinite(value):
        raise ValueError(f"model parameter is not finite: {value!r}")
    return (
        f"{value:.17g}" if "e" in f"{value:.17g}" or "." in f"{value:.17g}" else f"{value:.17g}.0"
    )


def c_function_name(plan: DeployPlan) -> str:
    """Symbol of the generated function: ``nulearn_<plan.name>``."""
    return f"nulearn_{plan.name}"


def _array(name: str, values: np.ndarray) -> str:
    flat = [c_literal(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    rows = [", ".join(flat[i : i + 4]) for i in range(0, len(flat), 4)]
    body = ",\n        ".join(rows)
    return f"    static const double {name}[{len(flat)}] = {{\n        {body}\n    }};\n"


def _monomial(powers: np.ndarray, prev: str) -> str:
    factors = [f"{prev}{i}" for i, p in enumerate(powers) for _ in range(int(p))]
    return " * ".join(factors) if factors else "1.0"


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


def _coordinates_code(stage: Coordinates, prev: str, cur: str) -> list[str]:
    """Physical coordinates: log ratios, artanh F, F (+ g0, g1, g1 / (|g0| + softening))."""
    r, m = stage.ratio_columns, stage.n_in - stage.ratio_columns
    lines = [f"        const double {cur}{i} = log({prev}{i});" for i in range(r)]
    lines += [f"        const double {cur}{r + k} = atanh({prev}{r + k});" for k in range(m)]
    lines += [f"        const double {cur}{r + m + k} = {prev}{r + k};" for k in range(m)]
    if stage.lepton_terms:
        j = r + 2 * m
        g0, g1 = lepton_sums(stage, lambda i: f"{prev}{i}", "1.0")
        lines += [
            f"        const double {cur}{j} = {g0}; /* g0 */",
            f"        const double {cur}{j + 1} = {g1}; /* g1 */",
            f"        const double {cur}{j + 2} = {cur}{j + 1} / (fabs({cur}{j}) + "
            f"{c_literal(stage.softening)});",
        ]
    return lines


def _stage_code(plan: DeployPlan) -> tuple[str, str, str]:
    """(static arrays, loop-body code, final logit expression)."""
    statics: list[str] = []
    body: list[str] = []
    width = len(plan.feature_names)
    prev = "x"
    for s, stage in enumerate(plan.stages):
        cur = f"h{s}_"
        if isinstance(stage, Coordinates):
            body.extend(_coordinates_code(stage, prev, cur))
        elif isinstance(stage, Standardize):
            for i in range(width):
                inv = c_literal(1.0 / float(stage.scale[i]))
                body.append(
                    f"        const double {cur}{i} = ({prev}{i} - {c_literal(float(stage.mean[i]))}) * {inv};"
                )
        elif isinstance(stage, Polynomial):
            for j, row in enumerate(stage.powers):
                body.append(f"        const double {cur}{j} = {_monomial(row, prev)};")
        elif isinstance(stage, Dense):
            n_out, n_in = stage.weight.shape
            if n_out == 1 and n_in <= _UNROLL_LIMIT:
                for j in range(n_out):
                    terms = [c_literal(float(stage.bias[j]))] + [
                        f"{c_literal(float(stage.weight[j, k]))} * {prev}{k}" for k in range(n_in)
                    ]
                    expr = "\n            + ".join(terms)
                    if stage.relu:
                        body.append(f"        double {cur}{j} = {expr};")
                        body.append(f"        {cur}{j} = {cur}{j} > 0.0 ? {cur}{j} : 0.0;")
                    else:
                        body.append(f"        const double {cur}{j} = {expr};")
            else:
                statics.append(_array(f"W{s}", stage.weight))
                statics.append(_array(f"B{s}", stage.bias))
                src = f"a{s}_in"
                body.append(f"        double {src}[{n_in}], {cur}[{n_out}];")
                body.extend(f"        {src}[{k}] = {prev}{k};" for k in range(n_in))
                relu = (
                    f"\n            {cur}[j] = acc > 0.0 ? acc : 0.0;"
                    if stage.relu
                    else f"\n            {cur}[j] = acc;"
                )
                body.append(
                    f"        for (int j = 0; j < {n_out}; ++j) {{\n"
                    f"            double acc = B{s}[j];\n"
                    f"            for (int k = 0; k < {n_in}; ++k) acc += W{s}[j * {n_in} + k] * {src}[k];"
                    f"{relu}\n        }}"
                )
                # expose as scalars for the next stage
                body.extend(f"        const double {cur}{j} = {cur}[{j}];" for j in range(n_out))
        width = stage.n_out
        prev = cur
    if width != 1:
        raise ValueError(f"the last stage must give one logit, got {width} outputs")
    return "".join(statics), "\n".join(body), f"{prev}0"


def _calibration_code(plan: DeployPlan) -> tuple[str, str]:
    cal = plan.calibration
    if cal.kind == "none":
        return "", "        double p = 1.0 / (1.0 + nulearn_exp_(-z));"
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


def generate_c_header(plan: DeployPlan) -> str:
    """C99 header source (also valid C++) implementing ``plan``; see the module docstring."""
    program = moment_program(plan.feature_names)
    fn = c_function_name(plan)
    guard = f"NULEARN_{plan.name.upper()}_H"
    raw = program.inputs
    args = ",\n    ".join(f"const double *NULEARN_RESTRICT {r}" for r in raw)
    loads = "\n".join(f"        const double v_{r} = {r}[i];" for r in raw)
    ops = "\n".join(line for op in program.ops for line in _feature_op_code(op))
    checks = " &\n            ".join(
        f"(v_{n} > 0.0) & (v_{n} < HUGE_VAL) & (v_{f} >= 0.0) & (v_{f} < 1.0)"
        for n, f in program.checks
    )
    feats = [
        f"        const double x{j} = v_{name}; /* {name} */"
        for j, name in enumerate(program.features)
    ]
    statics, body, logit = _stage_code(plan)
    cal_statics, cal_code = _calibration_code(plan)
    op = ">=" if plan.threshold_inclusive else ">"
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
 * Densities may be in any unit (only ratios to n_nue enter).
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

NULEARN_VECTORIZE NULEARN_API void {fn}(
    {args},
    int64_t n_cells,
    double *NULEARN_RESTRICT p_crossing,
    int8_t *NULEARN_RESTRICT flag)
{{
{statics}{cal_statics}    for (int64_t i = 0; i < n_cells; ++i) {{
{loads}
{ops}
        const int valid =
            {checks};
{chr(10).join(feats)}
{body}
        const double z = {logit};
{cal_code}
        p_crossing[i] = valid ? p : NAN;
        flag[i] = valid ? (int8_t)(p {op} {c_literal(plan.threshold)}) : (int8_t)-1;
    }}
}}

#ifdef __cplusplus
}}
#endif

#endif /* {guard} */
"""
