"""Generated C for the learned asymptotic closure (:mod:`nulearn.flavor.models.closure`).

The header holds one function::

    void nulearn_closure_<name>(const double *n_nue, const double *n_nuebar,
                                const double *n_nux, const double *n_nuxbar,
                                const double *F_nue, const double *F_nuebar,
                                const double *F_nux, const double *F_nuxbar,
                                int64_t n_cells,
                                double *n_nue_out, ..., double *F_nuxbar_out,  (8 outputs)
                                int8_t *status);

It reads the raw moments of unstable cells (densities in any positive unit, flux factors in
[0, 1)), computes the features with the same :class:`~nulearn.flavor.deploy.raw_moments.MomentProgram`
as the flaggers, runs the network and rebuilds the asymptotic densities (input unit) and signed
flux factors so that the conserved quantities hold to rounding. ``status`` is 0 for a valid cell
inside the training domain, the domain flag (:data:`~nulearn.ml.domain.DOMAIN_FLAG`) for a valid
cell outside it (outputs still written) and -1 for invalid input (outputs NaN). Call it for the
cells a flagger marks unstable; stable cells keep their moments. The loop is straight-line code
(``tanh`` and the sigmoid through the vectorizable ``nulearn_exp_`` of the flagger headers) so
that GCC vectorizes it across cells.
"""

from __future__ import annotations

import numpy as np

from nulearn.flavor.deploy.codegen_c import _EXP_HELPER, _array, _feature_op_code
from nulearn.flavor.deploy.codegen_c_stages import c_literal, domain_code
from nulearn.flavor.deploy.plan import FeatureDomain
from nulearn.flavor.deploy.raw_moments import moment_program
from nulearn.flavor.models.closure import CLOSURE_INPUTS, ClosureModel
from nulearn.flavor.physics.species import ELN_SIGN, SPECIES
from nulearn.ml.domain import DOMAIN_FLAG

__all__ = ["CLOSURE_OUT_NAMES", "closure_feature_domain", "generate_closure_c"]

#: Output arrays of the generated function, in argument order.
CLOSURE_OUT_NAMES: tuple[str, ...] = (
    *(f"n_{s}_out" for s in SPECIES),
    *(f"F_{s}_out" for s in SPECIES),
)
#: tanh(x) = 1 - 2 / (exp(2x) + 1) is +-1 to double precision beyond |x| = 20
_TANH_CLAMP = 20.0


def closure_feature_domain(model: ClosureModel) -> FeatureDomain | None:
    """The training domain of a closure as the flaggers' :class:`FeatureDomain` (or ``None``)."""
    if model.domain is None:
        return None
    from nulearn.ml.domain import TrainingDomain

    return FeatureDomain.from_training(TrainingDomain.from_dict(model.domain), DOMAIN_FLAG)


def _network(model: ClosureModel) -> tuple[str, list[str]]:
    """Statics and loop lines from the features x0..x6 to the logits z0, z1, z2."""
    statics: list[str] = []
    lines = [
        "        const double c7 = ((1.0 - x0) - x1) + x2; /* g0 */",
        "        const double c8 = ((x3 - x0 * x4) - x1 * x5) + x2 * x6; /* g1 */",
    ]
    cols = [*(f"x{j}" for j in range(7)), "c7", "c8"]
    for i in range(9):
        inv = c_literal(1.0 / float(model.scale[i]))
        lines.append(
            f"        const double h0_{i} = ({cols[i]} - {c_literal(float(model.mean[i]))}) * {inv};"
        )
    src = "hin"
    lines.append(f"        const double hin[9] = {{{', '.join(f'h0_{i}' for i in range(9))}}};")
    n_layers = len(model.weights)
    for k, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        n_out, n_in = w.shape
        statics.append(_array(f"WT{k}", w.T) + _array(f"B{k}", b))
        cur = f"h{k + 1}"
        body = (
            f"        double {cur}[{n_out}];\n"
            f"        for (int j = 0; j < {n_out}; ++j) {cur}[j] = B{k}[j];\n"
            f"        for (int k = 0; k < {n_in}; ++k) {{\n"
            f"            const double xk = {src}[k];\n"
            f"            for (int j = 0; j < {n_out}; ++j) {cur}[j] += WT{k}[k * {n_out} + j] * xk;\n"
            "        }"
        )
        if k < n_layers - 1:
            clamp = c_literal(_TANH_CLAMP)
            body += (
                f"\n        for (int j = 0; j < {n_out}; ++j) {{\n"
                f"            double t = {cur}[j] > {clamp} ? {clamp} : ({cur}[j] < -{clamp} ? -{clamp} : {cur}[j]);\n"
                f"            {cur}[j] = 1.0 - 2.0 / (nulearn_exp_(2.0 * t) + 1.0);\n"
                "        }"
            )
        lines.append(body)
        src = cur
    lines += [f"        const double z{j} = {src}[{j}];" for j in range(3)]
    return "".join(statics), lines


def _rebuild() -> list[str]:
    """Loop lines from the logits and the normalized moments to the outputs (model docstring)."""
    return [
        "        const double s0 = 1.0 / (1.0 + nulearn_exp_(-z0));",
        "        const double s1 = 1.0 / (1.0 + nulearn_exp_(-z1));",
        "        const double s2 = 1.0 / (1.0 + nulearn_exp_(-z2));",
        "        const double ne = 1.0, nb = x0, nx = x1, nxb = x2;",
        "        const double lo = -(nx < nxb ? nx : nxb);",
        "        const double hi = ne < nb ? ne : nb;",
        "        const double delta = lo + s0 * (hi - lo);",
        "        const double ne2 = ne - delta, nx2 = nx + delta;",
        "        const double nb2 = nb - delta, nxb2 = nxb + delta;",
        "        const double jt = ne * x3 + nx * x5, jtb = nb * x4 + nxb * x6;",
        "        const double a1 = -ne2 > jt - nx2 ? -ne2 : jt - nx2;",
        "        const double b1 = ne2 < jt + nx2 ? ne2 : jt + nx2;",
        "        const double je2 = a1 + s1 * (b1 - a1), jx2 = jt - je2;",
        "        const double a2 = -nb2 > jtb - nxb2 ? -nb2 : jtb - nxb2;",
        "        const double b2 = nb2 < jtb + nxb2 ? nb2 : jtb + nxb2;",
        "        const double jb2 = a2 + s2 * (b2 - a2), jxb2 = jtb - jb2;",
    ]


def generate_closure_c(model: ClosureModel, name: str = "closure") -> str:
    """C99 header (also valid C++) implementing ``model``; see the module docstring."""
    program = moment_program(CLOSURE_INPUTS)
    fn = f"nulearn_{name}"
    guard = f"NULEARN_{name.upper()}_H"
    raw = program.inputs
    args = ",\n    ".join(f"const double *NULEARN_RESTRICT {r}" for r in raw)
    outs = ",\n    ".join(f"double *NULEARN_RESTRICT {o}" for o in CLOSURE_OUT_NAMES)
    loads = "\n".join(f"        const double v_{r} = {r}[i];" for r in raw)
    ops = "\n".join(line for op in program.ops for line in _feature_op_code(op))
    checks = " &\n            ".join(
        f"(v_{n} > 0.0) & (v_{n} < HUGE_VAL) & (v_{f} >= 0.0) & (v_{f} < 1.0)"
        for n, f in program.checks
    )
    feats = [
        f"        const double x{j} = v_{fname}; /* {fname} */"
        for j, fname in enumerate(program.features)
    ]
    statics, net = _network(model)
    domain = closure_feature_domain(model)
    status = "(int8_t)(valid ? 0.0 : -1.0)"
    if domain is not None:
        dom_statics, dom_lines = domain_code(domain, 7)
        statics += dom_statics
        feats += dom_lines
        status = f"(int8_t)(valid ? (inside > 0.5 ? 0.0 : {float(domain.flag)!r}) : -1.0)"
    scale = "v_n_nue"
    n_after = {"nue": "ne2", "nuebar": "nb2", "nux": "nx2", "nuxbar": "nxb2"}
    j_after = {"nue": "je2", "nuebar": "jb2", "nux": "jx2", "nuxbar": "jxb2"}
    stores = []
    for s in SPECIES:
        stores.append(f"        n_{s}_out[i] = valid ? {n_after[s]} * {scale} : NAN;")
        stores.append(
            f"        F_{s}_out[i] = valid & ({n_after[s]} > 0.0) ? {j_after[s]} / "
            f"({n_after[s]} > 0.0 ? {n_after[s]} : 1.0) : NAN;"
        )
    cell = "\n".join(
        [
            loads,
            ops,
            f"        const int valid =\n            {checks};",
            *feats,
            *net,
            *_rebuild(),
            *stores,
            f"        status[i] = {status};",
        ]
    )
    signs = ", ".join(f"{s} {'+' if ELN_SIGN[s] > 0 else '-'}" for s in SPECIES)
    return f"""\
/* Generated by nulearn.flavor.deploy.closure_codegen -- do not edit.
 *
 * Learned asymptotic closure of fast flavor conversion (two-flavor fast limit), network
 * {" -> ".join(str(w.shape[1]) for w in model.weights)} -> 3, {model.n_multiply_adds} multiply-adds per cell.
 * void {fn}(n_nue, n_nuebar, n_nux, n_nuxbar, F_nue, F_nuebar, F_nux, F_nuxbar, n_cells,
 *           n_*_out (4), F_*_out (4), status)
 *   inputs: raw moments of unstable cells, shape (n_cells,); densities in any unit, 0 <= F < 1
 *   n_*_out: densities after conversion (input unit); F_*_out: signed flux factors
 *   status: 0 valid, {DOMAIN_FLAG} outside the training domain (outputs written), -1 invalid (NaN)
 * Conserved to rounding: n_nue + n_nux, n_nuebar + n_nuxbar, the number fluxes summed over
 * flavors per helicity, and the ELN-XLN number (signs {signs}).
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
    {outs},
    int8_t *NULEARN_RESTRICT status)
{{
{statics}    for (int64_t i = 0; i < n_cells; ++i) {{
{cell}
    }}
}}

#ifdef __cplusplus
}}
#endif

#endif /* {guard} */
"""


def closure_reference(model: ClosureModel, moments: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What the generated function writes, computed in NumPy (for golden tests and benchmarks).

    Args:
        moments: raw ``n_<s>``, ``F_<s>`` arrays, shape (n_cells,).

    Returns:
        The :data:`CLOSURE_OUT_NAMES` arrays and ``status``.
    """
    import pandas as pd

    from nulearn.flavor.deploy.raw_moments import features_from_raw

    x, valid = features_from_raw(moments, CLOSURE_INPUTS)
    n = x.shape[0]
    out = {name: np.full(n, np.nan) for name in CLOSURE_OUT_NAMES}
    status = np.where(valid, 0, -1).astype(np.int8)
    if valid.any():
        frame = pd.DataFrame(x[valid], columns=list(CLOSURE_INPUTS))
        pred = model.predict(frame)
        scale = np.asarray(moments["n_nue"], dtype=np.float64).reshape(-1)[valid]
        for s in SPECIES:
            out[f"n_{s}_out"][valid] = pred[f"n_{s}"].to_numpy() * scale
            out[f"F_{s}_out"][valid] = pred[f"F_{s}"].to_numpy()
        domain = closure_feature_domain(model)
        if domain is not None:
            inside = domain.contains(x[valid])
            status[np.flatnonzero(valid)[~inside]] = domain.flag
    return {**out, "status": status}
