"""Generate a dependency-free Fortran 2008 module from a :class:`~nulearn.flavor.deploy.plan.DeployPlan`.

The module ``nulearn_<name>_mod`` exports one subroutine with the interface of the C header
(``bind(C, name="nulearn_<name>")``), callable from C, C++ and Fortran alike::

    call nulearn_<name>(n_nue, n_nuebar, [...,] F_nue, F_nuebar, [...,] n_cells, p_crossing, flag)

with ``real(c_double)`` arrays of raw moments, ``integer(c_int64_t), value :: n_cells``,
``real(c_double) :: p_crossing(n_cells)`` and ``integer(c_int8_t) :: flag(n_cells)`` (1 crossing,
0 none, -1 invalid input with ``p_crossing`` NaN). Models of 3D moments take ``n_<s>`` and the
flux vectors ``flux_x_<s>, flux_y_<s>, flux_z_<s>`` instead of ``F_<s>``. Arithmetic follows the
C header operation for operation (physical coordinates with the ``log``/``atanh`` intrinsics).
"""

from __future__ import annotations

import math

from nulearn.flavor.deploy.codegen_c_stages import lepton_sums
from nulearn.flavor.deploy.fortran_arrays import _continued, fortran_literal, module_array
from nulearn.flavor.deploy.fortran_arrays import lit as _lit
from nulearn.flavor.deploy.fortran_arrays import wrap as _wrap
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

__all__ = [
    "fortran_literal",
    "generate_fortran_module",
    "moment_declarations_fortran",
    "moment_validity_fortran",
]

_UNROLL_LIMIT = 256


def _expr(items: list[str]) -> str:
    return " &\n        + ".join(items)


def _coordinates_code(stage: Coordinates, prev: str, cur: str) -> list[str]:
    """Physical coordinates: log ratios, artanh F, F (+ g0, g1, g1 / (|g0| + softening))."""
    r, m = stage.ratio_columns, stage.n_in - stage.ratio_columns
    lines = [f"      {cur}({i + 1}) = log({prev}({i + 1}))" for i in range(r)]
    lines += [f"      {cur}({r + k + 1}) = atanh({prev}({r + k + 1}))" for k in range(m)]
    lines += [f"      {cur}({r + m + k + 1}) = {prev}({r + k + 1})" for k in range(m)]
    if stage.lepton_terms:
        j = r + 2 * m + 1
        g0, g1 = lepton_sums(stage, lambda i: f"{prev}({i + 1})", "1.0_c_double")
        soft = _lit(stage.softening)
        lines += [
            f"      {cur}({j}) = {_continued(g0)}  ! g0",
            f"      {cur}({j + 1}) = {_continued(g1)}  ! g1",
            f"      {cur}({j + 2}) = {cur}({j + 1}) / (abs({cur}({j})) + {soft})",
        ]
    return lines


def _stages(
    plan: DeployPlan,
) -> tuple[str, list[str], list[str], str, tuple[list[str], list[str]] | None]:
    """(module constants, local declarations, loop body, logit variable, tree parts).

    A tree ensemble (last stage only) gives ``(per-cell lines, block lines)`` as tree parts and
    ``acc(c)`` as the logit (see :func:`generate_fortran_module`).
    """
    consts: list[str] = []
    decls: list[str] = []
    body: list[str] = []
    width = len(plan.feature_names)
    prev = "x"
    for s, stage in enumerate(plan.stages):
        cur = f"h{s}_"
        decls.append(f"    real(c_double) :: {cur}({stage.n_out})")
        if isinstance(stage, Coordinates):
            body.extend(_coordinates_code(stage, prev, cur))
        elif isinstance(stage, Standardize):
            for i in range(width):
                inv = _lit(1.0 / float(stage.scale[i]))
                body.append(
                    f"      {cur}({i + 1}) = ({prev}({i + 1}) - {_lit(float(stage.mean[i]))}) * {inv}"
                )
        elif isinstance(stage, Polynomial):
            for j, row in enumerate(stage.powers):
                factors = [f"{prev}({i + 1})" for i, p in enumerate(row) for _ in range(int(p))]
                body.append(
                    f"      {cur}({j + 1}) = {' * '.join(factors) if factors else '1.0_c_double'}"
                )
        elif isinstance(stage, RoundToFloat32):
            body.append(f"      {cur} = real(real({prev}, c_float), c_double)")
        elif isinstance(stage, (TreeEnsemble, RBFKernel, MomentFeatures)):
            from nulearn.flavor.deploy import codegen_fortran_stages as fs

            if isinstance(stage, TreeEnsemble):
                if s != len(plan.stages) - 1:
                    raise ValueError("a tree ensemble must be the last stage of a plan")
                tree_consts, tree_decls, store, block = fs.tree_ensemble_code(stage, s, prev, width)
                decls.pop()  # the stage's output is acc(c), not an array h<s>_
                return (
                    "".join([*consts, tree_consts]),
                    decls + tree_decls,
                    body,
                    "acc(c)",
                    (
                        store,
                        block,
                    ),
                )
            if isinstance(stage, RBFKernel):
                emitted = fs.rbf_kernel_code(stage, s, prev, cur)
            else:
                emitted = fs.moment_features_code(stage, s, prev, cur)
            consts.append(emitted[0])
            decls.extend(emitted[1])
            body.extend(emitted[2])
        elif isinstance(stage, Dense):
            n_out, n_in = stage.weight.shape
            if n_out == 1 and n_in <= _UNROLL_LIMIT:
                for j in range(n_out):
                    terms = [_lit(float(stage.bias[j]))] + [
                        f"{_lit(float(stage.weight[j, k]))} * {prev}({k + 1})" for k in range(n_in)
                    ]
                    body.append(f"      {cur}({j + 1}) = {_expr(terms)}")
            else:
                # column k of the weights is WT((k - 1) * n_out + 1 : k * n_out): every output
                # adds its terms in input order while the update over outputs vectorizes
                consts.append(module_array(f"WT{s}", stage.weight.T, "real(c_double)"))
                consts.append(module_array(f"B{s}", stage.bias, "real(c_double)"))
                body.append(f"      {cur} = B{s}")
                body.append(f"      do j = 1, {n_in}")
                body.append(
                    f"        {cur} = {cur} + WT{s}((j - 1) * {n_out} + 1:j * {n_out}) * {prev}(j)"
                )
                body.append("      end do")
            if stage.relu:
                body.append(f"      {cur} = max({cur}, 0.0_c_double)")
        width = stage.n_out
        prev = cur
    if width != 1:
        raise ValueError(f"the last stage must give one logit, got {width} outputs")
    if any(isinstance(stage, RBFKernel) for stage in plan.stages):  # kernel distances
        decls.append("    integer :: ii")
        decls.append("    real(c_double) :: d2, dd")
    return "".join(consts), decls, body, f"{prev}(1)", None


def _calibration(plan: DeployPlan) -> tuple[str, list[str]]:
    cal = plan.calibration
    sig = "      p = 1.0_c_double / (1.0_c_double + exp(-{arg}))"
    if cal.kind == "none":
        return "", [sig.format(arg="z")]
    if cal.kind == "identity":
        return "", ["      p = z"]
    clip: list[str] = []
    if cal.kind in ("temperature", "platt"):
        lo = _lit(cal.logit_min) if math.isfinite(cal.logit_min) else "-huge(1.0_c_double)"
        hi = _lit(cal.logit_max) if math.isfinite(cal.logit_max) else "huge(1.0_c_double)"
        clip = [f"      z = max(min(z, {hi}), {lo})"]
    if cal.kind == "temperature":
        return "", [*clip, sig.format(arg=f"z * {_lit(1.0 / cal.temperature)}")]
    if cal.kind == "platt":
        return "", [*clip, sig.format(arg=f"({_lit(cal.a)} * z + {_lit(cal.b)})")]
    k = cal.x.size
    consts = module_array("ISO_X", cal.x, "real(c_double)") + module_array(
        "ISO_Y", cal.y, "real(c_double)"
    )
    code = [
        sig.format(arg="z"),
        "      ! isotonic calibrator: piecewise-linear through the knots, clipped at the ends",
        "      if (p <= ISO_X(1)) then",
        "        p = ISO_Y(1)",
        f"      else if (p >= ISO_X({k})) then",
        f"        p = ISO_Y({k})",
        "      else if (p == p) then",
        f"        lo = 1; hi = {k}",
        "        do while (hi - lo > 1)",
        "          mid = (lo + hi) / 2",
        "          if (ISO_X(mid) <= p) then",
        "            lo = mid",
        "          else",
        "            hi = mid",
        "          end if",
        "        end do",
        "        p = ISO_Y(lo) + (ISO_Y(hi) - ISO_Y(lo)) * (p - ISO_X(lo)) / (ISO_X(hi) - ISO_X(lo))",
        "      end if",
    ]
    return consts, code


def _feature_op_code(op: FeatureOp) -> list[str]:
    """Fortran statements of one :class:`FeatureOp` (local scalars ``v_<name>``)."""
    a = [f"v_{name}" for name in op.args]
    out = f"v_{op.out}"
    if op.kind == "div":
        return [f"      {out} = {a[0]} / {a[1]}"]
    if op.kind == "norm3":
        return [
            f"      {out} = sqrt({a[0]} * {a[0]} + {a[1]} * {a[1]} &\n        + {a[2]} * {a[2]})"
        ]
    if op.kind == "dot3":
        return [f"      {out} = {a[0]} * {a[3]} + {a[1]} * {a[4]} &\n        + {a[2]} * {a[5]}"]
    dot, fa, fb = a
    tiny = _lit(MIN_DIRECTED_FLUX)
    return [
        f"      if (({fa} > {tiny}) .and. ({fb} > {tiny})) then",
        f"        {out} = max(min({dot} / ({fa} * {fb}), 1.0_c_double), -1.0_c_double)",
        "      else",
        f"        {out} = 0.0_c_double",
        "      end if",
    ]


def moment_validity_fortran(program: MomentProgram) -> str:
    """The Fortran logical expression, over the ``v_<raw>`` variables, true for a cell whose raw
    moments are physical (the check of :func:`~nulearn.flavor.deploy.codegen_c.moment_validity_c`)."""
    checks = []
    for n, f in program.checks:
        checks.append(f"(v_{n} > 0.0_c_double) .and. (v_{n} <= huge(1.0_c_double))")
        checks.append(f"(v_{f} >= 0.0_c_double) .and. (v_{f} < 1.0_c_double)")
    return " &\n        .and. ".join(checks)


def moment_declarations_fortran(program: MomentProgram) -> str:
    """Declarations of the ``v_<name>`` variables: raw moments and the program's intermediates."""
    variables = [*program.inputs, *(op.out for op in program.ops)]
    return "\n".join(
        _wrap("    real(c_double) :: ", [f"v_{v}" for v in variables[i : i + 6]])
        for i in range(0, len(variables), 6)
    )


def generate_fortran_module(plan: DeployPlan) -> str:
    """Fortran 2008 source of module ``nulearn_<name>_mod``; see the module docstring."""
    program = moment_program(plan.feature_names)
    fn = f"nulearn_{plan.name}"
    raw = list(program.inputs)
    arglist = (
        ", &\n      ".join(", ".join(raw[i : i + 4]) for i in range(0, len(raw), 4))
        + ", &\n      n_cells, p_crossing, flag"
    )
    arg_doc = ", ".join([*raw, "n_cells", "p_crossing", "flag"])
    consts, decls, body, logit, tree = _stages(plan)
    cal_consts, cal_code = _calibration(plan)
    valid = moment_validity_fortran(program)
    var_decl = moment_declarations_fortran(program)
    loads = "\n".join(f"      v_{r} = {r}(i)" for r in raw)
    ops = "\n".join(line for op in program.ops for line in _feature_op_code(op))
    feats = [f"      x({j + 1}) = v_{name}  ! {name}" for j, name in enumerate(program.features)]
    op = ">=" if plan.threshold_inclusive else ">"
    raw_decl = "\n".join(f"    real(c_double), intent(in) :: {r}(n_cells)" for r in raw)
    iso_locals = "    integer :: lo, hi, mid\n" if plan.calibration.kind == "isotonic" else ""
    nl = "\n"
    decision = [
        f"        if (p {op} {_lit(plan.threshold)}) then",
        "          flag(i) = 1_c_int8_t",
        "        else",
        "          flag(i) = 0_c_int8_t",
        "        end if",
    ]
    domain_doc = ""
    if plan.domain is not None:
        from nulearn.flavor.deploy.codegen_fortran_stages import domain_code

        dom_consts, dom_decls, dom_lines = domain_code(plan.domain, len(program.features))
        consts += dom_consts
        decls.extend(dom_decls)
        feats.extend(dom_lines)
        decision = [
            "        if (.not. inside) then",
            f"          flag(i) = {plan.domain.flag}_c_int8_t",
            f"        else if (p {op} {_lit(plan.threshold)}) then",
            *decision[1:],
        ]
        domain_doc = f"!   flag {plan.domain.flag}: valid input outside the training domain of the features\n"
    cell = [loads, ops, f"      valid = {valid}", *feats, *body]
    finish = [
        f"      z = max(min({logit}, 708.0_c_double), -708.0_c_double)",
        *cal_code,
        "      if (valid) then",
        "        p_crossing(i) = p",
        *decision,
        "      else",
        "        p_crossing(i) = nan",
        "        flag(i) = -1_c_int8_t",
        "      end if",
    ]
    if tree is None:
        loop = ["    do i = 1, n_cells", *cell, *finish, "    end do"]
    else:
        from nulearn.flavor.deploy.codegen_fortran_stages import TREE_BLOCK as b

        store, block = tree
        domain = plan.domain is not None
        decls.append(f"    logical :: valid_b({b}){f', inside_b({b})' if domain else ''}")
        loop = [
            f"    do i0 = 1, n_cells, {b}",
            f"      nb = int(min(int({b}, c_int64_t), n_cells - i0 + 1))",
            "      do c = 1, nb",
            "        i = i0 + c - 1",
            *cell,
            *store,
            "        valid_b(c) = valid",
            *(["        inside_b(c) = inside"] if domain else []),
            "      end do",
            *block,
            "      do c = 1, nb",
            "        i = i0 + c - 1",
            "        valid = valid_b(c)",
            *(["        inside = inside_b(c)"] if domain else []),
            *finish,
            "      end do",
            "    end do",
        ]
    closure = any(isinstance(st, MomentFeatures) and st.closure for st in plan.stages)
    helpers, expm1 = "", ""
    if closure:
        from nulearn.flavor.deploy.codegen_fortran_stages import FORTRAN_EXPM1, FORTRAN_HELPERS

        helpers, expm1 = FORTRAN_HELPERS, FORTRAN_EXPM1
    return f"""\
! Generated by nulearn.flavor.deploy.codegen_fortran -- do not edit.
!
! Model: {plan.kind}, scheme {plan.scheme}, features ({", ".join(plan.feature_names)})
! Model card hash: {plan.card_hash or "n/a"}; plan digest: {plan.digest()}
! Calibration: {plan.calibration.kind}; threshold: p {op} {fortran_literal(plan.threshold)}
!
! subroutine {fn}(raw moments..., n_cells, p_crossing, flag) bind(C):
!   arguments in order: {arg_doc}
!   raw moments: real(c_double) arrays of shape (n_cells); densities in any unit,
!     {"flux vectors in units of n c (|flux| / n < 1)" if program.dimension == 3 else "F = |I_1| / I_0"}
!   p_crossing: out, calibrated probability of an ELN crossing (NaN for invalid cells)
!   flag: out, 1 = crossing, 0 = none, -1 = invalid input (n <= 0, not finite, F outside [0, 1))
{domain_doc}module {fn}_mod
  use, intrinsic :: iso_c_binding, only: c_double, c_float, c_int8_t, c_int32_t, c_int64_t
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan
  implicit none
  private
  public :: {fn}
{expm1}
{consts}{cal_consts}
contains
{helpers}
  subroutine {fn}({arglist}) &
      bind(C, name="{fn}")
    integer(c_int64_t), value, intent(in) :: n_cells
{raw_decl}
    real(c_double), intent(out) :: p_crossing(n_cells)
    integer(c_int8_t), intent(out) :: flag(n_cells)
    integer(c_int64_t) :: i
    integer :: j
    logical :: valid
    real(c_double) :: x({len(plan.feature_names)}), z, p, nan
{var_decl}
{nl.join(decls)}
{iso_locals}
    nan = ieee_value(nan, ieee_quiet_nan)
{nl.join(loop)}
  end subroutine {fn}

end module {fn}_mod
"""
