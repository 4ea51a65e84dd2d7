"""Fortran code of the plan stages of tree ensembles, kernel machines and the closure features.

Used by :mod:`nulearn.flavor.deploy.codegen_fortran`; the same operations as
:mod:`nulearn.flavor.deploy.codegen_c_stages` (trees as 0-based parameter arrays walked in a
``do while`` loop, the squared distance summed feature by feature, the maximum-entropy inversion
as private module procedures, ``expm1`` from the C library through ``bind(C)``). Every emitter
takes the input array name ``prev`` and writes the stage's output array ``cur``; it returns
``(module constants, local declarations, loop-body lines)``.
"""

from __future__ import annotations

import numpy as np

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
    "FORTRAN_HELPERS",
    "moment_features_code",
    "parameter_array",
    "rbf_kernel_code",
    "tree_ensemble_code",
]

_CHUNK = 400  # values per array-constructor chunk (keeps continuation lines under the 255 limit)


def fortran_literal(value: float) -> str:
    """Exact double-precision Fortran literal (``codegen_fortran.fortran_literal``)."""
    from nulearn.flavor.deploy.codegen_fortran import fortran_literal as lit

    return lit(value)


def _lit(value: float) -> str:
    text = fortran_literal(value)
    return f"({text})" if text.startswith("-") else text


def _wrap(prefix: str, items: list[str], per_line: int) -> str:
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return prefix + ", &\n      ".join(lines)


def parameter_array(
    name: str, values: np.ndarray, ftype: str, lower: int = 1, per_line: int = 3
) -> str:
    """Rank-1 named constant ``name(lower:lower + n - 1)`` of type ``ftype``, built from chunks."""
    flat = np.asarray(values).ravel()
    if ftype.startswith("real"):
        items = [fortran_literal(float(v)) for v in flat]
    else:
        items = [str(int(v)) for v in flat]
    if not items:  # a zero-size array still needs a typed constructor
        return f"  {ftype}, parameter :: {name}({lower}:{lower - 1}) = [{ftype} ::]\n"
    decls, parts = [], []
    for c, start in enumerate(range(0, len(items), _CHUNK)):
        chunk = items[start : start + _CHUNK]
        part = f"{name}_{c}"
        parts.append(part)
        decls.append(
            _wrap(f"  {ftype}, parameter :: {part}({len(chunk)}) = [ &\n      ", chunk, per_line)
            + " ]\n"
        )
    upper = lower + len(items) - 1
    decls.append(
        _wrap(f"  {ftype}, parameter :: {name}({lower}:{upper}) = [ &\n      ", parts, 6) + " ]\n"
    )
    return "".join(decls)


def _series() -> tuple[str, str]:
    c = LANGEVIN_SERIES
    k = len(c)
    value = _lit(c[-1])
    slope = _lit((2 * k - 1) * c[-1])
    for i in range(k - 2, -1, -1):
        value = f"({value}) * s &\n        + {_lit(c[i])}"
        slope = f"({slope}) * s &\n        + {_lit((2 * i + 1) * c[i])}"
    return value, slope


def _helpers() -> str:
    value, slope = _series()
    j0, j1, j2, j3 = (_lit(v) for v in JEDYNAK)
    return f"""
  ! Langevin function L(a) = coth a - 1/a and L'(a), a >= 0: odd power series below a = 1,
  ! closed forms with e = exp(-2a) above (nulearn.flavor.deploy.moment_features)
  pure subroutine nulearn_langevin_(a, value, slope)
    real(c_double), intent(in) :: a
    real(c_double), intent(out) :: value, slope
    real(c_double) :: s, e, one_m
    if (a < {_lit(SERIES_LIMIT)}) then
      s = a * a
      value = a * ({value})
      slope = {slope}
    else
      e = exp(-2.0_c_double * a)
      one_m = 1.0_c_double - e
      value = (1.0_c_double + e) / one_m - 1.0_c_double / a
      slope = 1.0_c_double / (a * a) - 4.0_c_double * e / (one_m * one_m)
    end if
  end subroutine nulearn_langevin_

  ! maximum-entropy shape parameter a with L(a) = f: Jedynak's start, {NEWTON_STEPS} Newton steps
  pure function nulearn_maxent_a_(f) result(a)
    real(c_double), intent(in) :: f
    real(c_double) :: a, value, slope
    integer :: k
    a = f * ({j0} + {j1} * f + {j2} * f * f) &
      / ((1.0_c_double - f) * (1.0_c_double + {j3} * f))
    do k = 1, {NEWTON_STEPS}
      call nulearn_langevin_(a, value, slope)
      a = a - (value - f) / slope
    end do
  end function nulearn_maxent_a_

  ! ln Z(a) - a = ln(-expm1(-2a) / a), ln 2 at a = 0
  function nulearn_maxent_lognorm_(a) result(lz)
    real(c_double), intent(in) :: a
    real(c_double) :: lz
    if (a > 0.0_c_double) then
      lz = log(-c_expm1(-2.0_c_double * a) / a)
    else
      lz = log(2.0_c_double)
    end if
  end function nulearn_maxent_lognorm_
"""


#: module procedures of the closure features (placed after ``contains``)
FORTRAN_HELPERS = _helpers()

#: interface to the C library's expm1 (placed in the module's specification part)
FORTRAN_EXPM1 = """\
  interface
    pure function c_expm1(x) bind(C, name="expm1")
      import :: c_double
      real(c_double), value, intent(in) :: x
      real(c_double) :: c_expm1
    end function c_expm1
  end interface
"""


def tree_ensemble_code(
    stage: TreeEnsemble, s: int, prev: str, cur: str, width: int
) -> tuple[str, list[str], list[str]]:
    """Walk every tree over 0-based parameter arrays; ``cur(1)`` = base + sum of the leaves."""
    n = stage.feature.size
    i32 = "integer(c_int32_t)"
    consts = "".join(
        [
            parameter_array(f"FEAT{s}", stage.feature, i32, lower=0, per_line=12),
            parameter_array(f"THR{s}", stage.threshold, "real(c_double)", lower=0),
            parameter_array(f"LEFT{s}", stage.left, i32, lower=0, per_line=12),
            parameter_array(f"RIGHT{s}", stage.right, i32, lower=0, per_line=12),
            parameter_array(f"LEAF{s}", stage.leaf_value, "real(c_double)", lower=0),
            parameter_array(f"ROOT{s}", stage.roots, i32, lower=1, per_line=12),
        ]
    )
    x = f"t{s}_x"
    decls = [f"    real(c_double) :: {x}({width})"]
    if stage.float32_inputs:  # scikit-learn compares float32(x) with double thresholds
        body = [f"      {x} = real(real({prev}, c_float), c_double)"]
    elif stage.plain_missing:  # LightGBM reads NaN as 0.0 when a feature had no missing values
        body = [f"      {x} = merge({prev}, 0.0_c_double, {prev} == {prev})"]
    else:
        body = [f"      {x} = {prev}"]
    if stage.plain_missing or n == 0:
        step = [
            f"          if ({x}(FEAT{s}(k) + 1) <= THR{s}(k)) then",
            f"            k = LEFT{s}(k)",
            "          else",
            f"            k = RIGHT{s}(k)",
            "          end if",
        ]
    else:
        consts += parameter_array(f"MISS{s}", stage.missing_type, i32, lower=0, per_line=12)
        consts += parameter_array(
            f"DLEFT{s}", stage.default_left.astype(np.int64), i32, lower=0, per_line=12
        )
        step = [
            f"          v = {x}(FEAT{s}(k) + 1)",
            f"          if (v /= v .and. MISS{s}(k) /= 2) v = 0.0_c_double",
            f"          if ((MISS{s}(k) == 1 .and. abs(v) <= {_lit(LIGHTGBM_ZERO)}) &",
            f"              .or. (MISS{s}(k) == 2 .and. v /= v)) then",
            f"            go_left = DLEFT{s}(k) == 1",
            "          else",
            f"            go_left = v <= THR{s}(k)",
            "          end if",
            "          if (go_left) then",
            f"            k = LEFT{s}(k)",
            "          else",
            f"            k = RIGHT{s}(k)",
            "          end if",
        ]
    body += [
        f"      {cur}(1) = {_lit(float(stage.base))}",
        f"      do t = 1, {stage.n_trees}",
        f"        k = ROOT{s}(t)",
        "        do while (k >= 0)",
        *step,
        "        end do",
        f"        {cur}(1) = {cur}(1) + LEAF{s}(-k - 1)",
        "      end do",
    ]
    return consts, decls, body


def rbf_kernel_code(
    stage: RBFKernel, s: int, prev: str, cur: str
) -> tuple[str, list[str], list[str]]:
    """``cur(j) = exp(-gamma sum_i (prev(i) - c(i, j))^2)``, summed feature by feature."""
    m, k = stage.centers.shape
    flat = parameter_array(f"CENTER{s}_FLAT", stage.centers, "real(c_double)")
    # (k, m) in Fortran order is the C-order (m, k) array of centres
    consts = flat + (
        f"  real(c_double), parameter :: CENTER{s}({k}, {m}) = "
        f"reshape(CENTER{s}_FLAT, [{k}, {m}])\n"
    )
    body = [
        f"      do j = 1, {m}",
        "        d2 = 0.0_c_double",
        f"        do ii = 1, {k}",
        f"          dd = {prev}(ii) - CENTER{s}(ii, j)",
        "          d2 = d2 + dd * dd",
        "        end do",
        f"        {cur}(j) = exp(-{_lit(stage.gamma)} * d2)",
        "      end do",
    ]
    return consts, [], body


def moment_features_code(
    stage: MomentFeatures, s: int, prev: str, cur: str
) -> tuple[str, list[str], list[str]]:
    """Inputs, g0, g1, g1 / (|g0| + softening), log(max(alpha, 1e-300)) (+ closure columns)."""
    from nulearn.flavor.deploy.codegen_c import lepton_sums
    from nulearn.flavor.deploy.codegen_fortran import _continued
    from nulearn.flavor.deploy.plan import Coordinates

    k = stage.n_in
    sums = Coordinates(
        ratio_columns=1 if k == 3 else 3, n_in=k, g0_terms=stage.g0_terms, g1_terms=stage.g1_terms
    )
    g0, g1 = lepton_sums(sums, lambda i: f"{prev}({i + 1})", "1.0_c_double")
    tiny = _lit(TINY)
    body = [
        f"      {cur}(1:{k}) = {prev}(1:{k})",
        f"      {cur}({k + 1}) = {_continued(g0)}",
        f"      {cur}({k + 2}) = {_continued(g1)}",
        f"      {cur}({k + 3}) = {cur}({k + 2}) / (abs({cur}({k + 1})) + {_lit(stage.softening)})",
        f"      {cur}({k + 4}) = log(max({prev}(1), {tiny}))",
    ]
    decls: list[str] = []
    if stage.closure:
        n_s = len(stage.species)
        p = f"m{s}_"
        decls.append(f"    real(c_double) :: {p}a({n_s}), {p}lz({n_s}), {p}ln({n_s}), {p}f({n_s})")
        decls.append(f"    real(c_double) :: {p}g, {p}t")
        cap = _lit(CLOSURE_FLUX_CAP)
        for i, (density, flux, _) in enumerate(stage.species):
            log_n = "0.0_c_double" if density < 0 else f"log({prev}({density + 1}))"
            body += [
                f"      {p}a({i + 1}) = nulearn_maxent_a_(min({prev}({flux + 1}), {cap}))",
                f"      {p}lz({i + 1}) = nulearn_maxent_lognorm_({p}a({i + 1}))",
                f"      {p}ln({i + 1}) = {log_n}",
            ]
        for j, mu in enumerate(stage.mu):
            m1 = _lit(float(mu - 1.0))
            body.append(f"      {p}g = 0.0_c_double")
            body.append(f"      {p}t = 0.0_c_double")
            for i, (_, _, sign) in enumerate(stage.species):
                body += [
                    f"      {p}f({i + 1}) = exp({p}ln({i + 1}) + (-{p}lz({i + 1}) + {p}a({i + 1}) * {m1}))",
                    f"      {p}g = {p}g {'+' if sign > 0 else '-'} {p}f({i + 1})",
                    f"      {p}t = {p}t + {p}f({i + 1})",
                ]
            body.append(f"      {cur}({k + 5 + j}) = {p}g / max({p}t, {tiny})")
    return "", decls, body
