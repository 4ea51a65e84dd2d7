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
cells a flagger marks unstable; stable cells keep their moments. The cells run in tiles of
:data:`TILE`: the features of the whole tile, then the network layer by layer over the tile
(each weight multiplies a row of cells, so the multiply-adds vectorize across cells; ``tanh``
and the sigmoid through the vectorizable ``nulearn_exp_`` of the flagger headers), then the
rebuild. A network written per cell would leave the compiler vectorizing across units instead,
four to five times slower for a (16, 16) network.
"""

from __future__ import annotations

import numpy as np

from nulearn.flavor.deploy.codegen_c import (
    _EXP_HELPER,
    _array,
    _feature_op_code,
    moment_validity_c,
)
from nulearn.flavor.deploy.codegen_c_stages import c_literal, domain_code
from nulearn.flavor.deploy.plan import FeatureDomain
from nulearn.flavor.deploy.raw_moments import moment_program
from nulearn.flavor.models.closure import CLOSURE_INPUTS, ClosureModel
from nulearn.flavor.physics.species import ELN_SIGN, SPECIES
from nulearn.ml.domain import DOMAIN_FLAG

__all__ = ["CLOSURE_OUT_NAMES", "TILE", "closure_feature_domain", "generate_closure_c"]

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


#: Cells per tile: the network runs layer by layer over a tile of cells, each weight applied to a
#: whole row of the tile, so that the multiply-adds vectorize across cells.
TILE = 64


def _network(model: ClosureModel) -> tuple[str, list[str]]:
    """Statics and tile-level lines from the standardized inputs ``X[9][TILE]`` to the logits
    ``Z[3][TILE]``: per unit, a row of the tile accumulated one weight at a time."""
    statics: list[str] = []
    lines: list[str] = []
    src = "X"
    n_layers = len(model.weights)
    clamp = c_literal(_TANH_CLAMP)
    t = TILE
    for k, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        n_out, n_in = w.shape
        statics.append(_array(f"W{k}", w) + _array(f"B{k}", b))
        cur = "Z" if k == n_layers - 1 else f"H{k + 1}"
        if k < n_layers - 1:
            act = [
                f"            double u = {cur}[j][b];",
                f"            u = u > {clamp} ? {clamp} : (u < -{clamp} ? -{clamp} : u);",
                f"            {cur}[j][b] = 1.0 - 2.0 / (nulearn_exp_(2.0 * u) + 1.0);",
            ]
        else:
            act = []
        lines += [
            f"    double {cur}[{n_out}][{t}];",
            f"    for (int j = 0; j < {n_out}; ++j) {{",
            f"        double *NULEARN_RESTRICT acc = {cur}[j];",
            f"        for (int b = 0; b < {t}; ++b) acc[b] = B{k}[j];",
            f"        for (int k = 0; k < {n_in}; ++k) {{",
            f"            const double w = W{k}[j * {n_in} + k];",
            f"            const double *NULEARN_RESTRICT xk = {src}[k];",
            f"            for (int b = 0; b < {t}; ++b) acc[b] += w * xk[b];",
            "        }",
        ]
        if act:
            lines += [f"        for (int b = 0; b < {t}; ++b) {{", *act, "        }"]
        lines.append("    }")
        src = cur
    return "".join(statics), lines


def _inputs(model: ClosureModel) -> list[str]:
    """Per-cell lines from the features x0..x6 to the standardized inputs ``X[0..8][b]``."""
    lines = [
        "        const double c7 = ((1.0 - x0) - x1) + x2; /* g0 */",
        "        const double c8 = ((x3 - x0 * x4) - x1 * x5) + x2 * x6; /* g1 */",
    ]
    cols = [*(f"x{j}" for j in range(7)), "c7", "c8"]
    for i in range(9):
        inv = c_literal(1.0 / float(model.scale[i]))
        lines.append(
            f"        X[{i}][b] = ({cols[i]} - {c_literal(float(model.mean[i]))}) * {inv};"
        )
    return lines


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


def _tile_loop(raw: tuple[str, ...], first: list[str], network: list[str], last: list[str]) -> str:
    """The cell loop, tile by tile: features of every cell of the tile (``first``), the network
    over the tile, then the rebuild and stores (``last``). A short last tile is copied into
    padded buffers (its last cell repeated) so that every inner loop has the fixed trip count
    :data:`TILE`; only its real cells are copied back."""
    from textwrap import indent

    t = TILE
    outs = [*CLOSURE_OUT_NAMES]
    pad = "    "
    head = [
        f"for (int64_t i0 = 0; i0 < n_cells; i0 += {t}) {{",
        f"    const int m = n_cells - i0 < {t} ? (int)(n_cells - i0) : {t};",
        *(f"    const double *t_{r} = {r} + i0;" for r in raw),
        *(f"    double tb_{r}[{t}];" for r in raw),
        f"    if (m < {t}) {{",
        f"        for (int b = 0; b < {t}; ++b) {{",
        *(f"            tb_{r}[b] = {r}[i0 + (b < m ? b : m - 1)];" for r in raw),
        "        }",
        *(f"        t_{r} = tb_{r};" for r in raw),
        "    }",
        f"    double X[9][{t}], XS[7][{t}], SC[{t}], INS[{t}], VAL[{t}];",
        f"    double OUT[{len(outs)}][{t}], ST[{t}];",
        f"    for (int b = 0; b < {t}; ++b) {{",
    ]
    # The outputs go through the tile buffer OUT: stores through pointers that a short tile
    # would redirect defeat the compiler's alias analysis, and the copy-out vectorizes.
    tail = [
        "    for (int b = 0; b < m; ++b) {",
        *(f"        {o}[i0 + b] = OUT[{k}][b];" for k, o in enumerate(outs)),
        "        status[i0 + b] = (int8_t)ST[b];",
        "    }",
        "}",
    ]
    body = [
        *head,
        *(pad + line for line in first),
        "    }",
        *network,
        f"    for (int b = 0; b < {t}; ++b) {{",
        *(pad + line for line in last),
        "    }",
        *tail,
    ]
    return indent("\n".join(body), "    ")


def generate_closure_c(model: ClosureModel, name: str = "closure") -> str:
    """C99 header (also valid C++) implementing ``model``; see the module docstring."""
    program = moment_program(CLOSURE_INPUTS)
    fn = f"nulearn_{name}"
    guard = f"NULEARN_{name.upper()}_H"
    raw = program.inputs
    args = ",\n    ".join(f"const double *NULEARN_RESTRICT {r}" for r in raw)
    outs = ",\n    ".join(f"double *NULEARN_RESTRICT {o}" for o in CLOSURE_OUT_NAMES)
    loads = [f"        const double v_{r} = t_{r}[b];" for r in raw]
    ops = [line for op in program.ops for line in _feature_op_code(op)]
    checks = moment_validity_c(program)
    feats = [
        f"        const double x{j} = v_{fname}; /* {fname} */"
        for j, fname in enumerate(program.features)
    ]
    statics, net = _network(model)
    domain = closure_feature_domain(model)
    status = "valid ? 0.0 : -1.0"
    inside = "        INS[b] = 1.0;"
    if domain is not None:
        dom_statics, dom_lines = domain_code(domain, 7)
        statics += dom_statics
        feats += dom_lines
        inside = "        INS[b] = inside;"
        status = f"valid ? (INS[b] > 0.5 ? 0.0 : {float(domain.flag)!r}) : -1.0"
    first = [
        *loads,
        *ops,
        f"        const int valid =\n            {checks};",
        *feats,
        *_inputs(model),
        *(f"        XS[{j}][b] = x{j};" for j in range(7)),
        "        VAL[b] = (double)valid;",
        "        SC[b] = v_n_nue;",
        inside,
    ]
    n_after = {"nue": "ne2", "nuebar": "nb2", "nux": "nx2", "nuxbar": "nxb2"}
    j_after = {"nue": "je2", "nuebar": "jb2", "nux": "jx2", "nuxbar": "jxb2"}
    last = [
        *(f"        const double x{j} = XS[{j}][b];" for j in range(7)),
        *(f"        const double z{j} = Z[{j}][b];" for j in range(3)),
        "        const int valid = VAL[b] > 0.5;",
        *_rebuild(),
    ]
    k_n = {s: CLOSURE_OUT_NAMES.index(f"n_{s}_out") for s in SPECIES}
    k_f = {s: CLOSURE_OUT_NAMES.index(f"F_{s}_out") for s in SPECIES}
    for s in SPECIES:
        last.append(f"        OUT[{k_n[s]}][b] = valid ? {n_after[s]} * SC[b] : NAN;")
        last.append(
            f"        OUT[{k_f[s]}][b] = valid & ({n_after[s]} > 0.0) ? {j_after[s]} / "
            f"({n_after[s]} > 0.0 ? {n_after[s]} : 1.0) : NAN;"
        )
    last.append(f"        ST[b] = {status};")
    loop = _tile_loop(raw, first, net, last)
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
{statics}{loop}
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
