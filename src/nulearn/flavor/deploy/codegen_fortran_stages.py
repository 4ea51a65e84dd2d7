"""Fortran code of the plan stages of tree ensembles, kernel machines and the closure features.

Used by :mod:`nulearn.flavor.deploy.codegen_fortran`; the same operations as
:mod:`nulearn.flavor.deploy.codegen_c_stages` (trees as 0-based parameter arrays walked in a
``do while`` loop, the squared distance summed feature by feature, the maximum-entropy inversion
as private module procedures, ``expm1`` from the C library through ``bind(C)``; trees walked by
blocks of cells). The emitters take the input array name ``prev`` and write the stage's output
array ``cur``; they return ``(module constants, local declarations, loop-body lines)``.
"""

from __future__ import annotations

import math

import numpy as np

from nulearn.flavor.deploy.fortran_arrays import _continued, module_array
from nulearn.flavor.deploy.fortran_arrays import lit as _lit
from nulearn.flavor.deploy.moment_features import (
    CLOSURE_FLUX_CAP,
    JEDYNAK,
    NEWTON_STEPS,
    SERIES_LIMIT,
    TINY,
    MomentFeatures,
    langevin_series_source,
)
from nulearn.flavor.deploy.plan import FeatureDomain, RBFKernel
from nulearn.flavor.deploy.trees import LIGHTGBM_ZERO, TreeEnsemble

__all__ = [
    "FORTRAN_HELPERS",
    "TREE_BLOCK",
    "domain_code",
    "moment_features_code",
    "rbf_kernel_code",
    "tree_ensemble_code",
]


def _helpers() -> str:
    value, slope = langevin_series_source(_lit, " &\n        + ")
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


#: cells walked through one tree before the next (as the C code, codegen_c_stages.TREE_BLOCK)
TREE_BLOCK = 256


def tree_ensemble_code(
    stage: TreeEnsemble, s: int, prev: str, width: int
) -> tuple[str, list[str], list[str], list[str]]:
    """Tree ensemble over a block of cells, walked as the C code walks it (pre-order nodes, the
    left child next, one tree for every cell of the block, then the next tree): ``(module
    constants, local declarations, per-cell lines storing the inputs in column c of tin, block
    lines leaving acc(c) = base + the leaves in tree order)``."""
    from nulearn.flavor.deploy.codegen_c_stages import preorder_trees

    trees = preorder_trees(stage)
    i32 = "integer(c_int32_t)"
    consts = "".join(
        [
            module_array(f"FEAT{s}", trees.feature, i32, lower=0),
            module_array(f"THR{s}", trees.threshold, "real(c_double)", lower=0),
            module_array(f"RIGHT{s}", trees.right, i32, lower=0),
            module_array(f"ROOT{s}", trees.roots, i32),
        ]
    )
    b = TREE_BLOCK
    decls = [
        f"    real(c_double) :: tin({width}, {b}), acc({b}), v",
        f"    {i32} :: q",
        "    integer :: c, nb, t",
        "    integer(c_int64_t) :: i0",
    ]
    if stage.float32_inputs:  # scikit-learn compares float32(x) with double thresholds
        store = [f"        tin(:, c) = real(real({prev}, c_float), c_double)"]
    elif stage.plain_missing:  # LightGBM reads NaN as 0.0 when a feature had no missing values
        store = [f"        tin(:, c) = merge({prev}, 0.0_c_double, {prev} == {prev})"]
    else:
        store = [f"        tin(:, c) = {prev}"]
    if stage.plain_missing:
        step = [
            f"            if (tin(FEAT{s}(q) + 1, c) <= THR{s}(q)) then",
            "              q = q + 1",
            "            else",
            f"              q = RIGHT{s}(q)",
            "            end if",
        ]
    else:
        consts += module_array(f"MISS{s}", trees.missing_type, i32, lower=0)
        consts += module_array(f"DLEFT{s}", trees.default_left.astype(np.int64), i32, lower=0)
        decls.append("    logical :: go_left")
        step = [
            f"            v = tin(FEAT{s}(q) + 1, c)",
            f"            if (v /= v .and. MISS{s}(q) /= 2) v = 0.0_c_double",
            f"            if ((MISS{s}(q) == 1 .and. abs(v) <= {_lit(LIGHTGBM_ZERO)}) &",
            f"                .or. (MISS{s}(q) == 2 .and. v /= v)) then",
            f"              go_left = DLEFT{s}(q) == 1",
            "            else",
            f"              go_left = v <= THR{s}(q)",
            "            end if",
            "            if (go_left) then",
            "              q = q + 1",
            "            else",
            f"              q = RIGHT{s}(q)",
            "            end if",
        ]
    block = [
        f"      acc(1:nb) = {_lit(float(stage.base))}",
        f"      do t = 1, {stage.n_trees}",
        "        do c = 1, nb",
        f"          q = ROOT{s}(t)",
        f"          do while (FEAT{s}(q) >= 0)",
        *step,
        "          end do",
        f"          acc(c) = acc(c) + THR{s}(q)  ! a leaf holds its value there",
        "        end do",
        "      end do",
    ]
    return consts, decls, store, block


def rbf_kernel_code(
    stage: RBFKernel, s: int, prev: str, cur: str
) -> tuple[str, list[str], list[str]]:
    """``cur(j) = exp(-gamma sum_i (prev(i) - c(i, j))^2)``, summed feature by feature."""
    m, k = stage.centers.shape
    # centre j, feature i of the C-order (m, k) array is CENTER((j - 1) * k + i)
    consts = module_array(f"CENTER{s}", stage.centers, "real(c_double)")
    body = [
        f"      do j = 1, {m}",
        "        d2 = 0.0_c_double",
        f"        do ii = 1, {k}",
        f"          dd = {prev}(ii) - CENTER{s}((j - 1) * {k} + ii)",
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
    from nulearn.flavor.deploy.codegen_c_stages import lepton_sums
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


def domain_code(domain: FeatureDomain, n_features: int) -> tuple[str, list[str], list[str]]:
    """Fortran for the training-domain check of the features ``x(1:n)``: module constants,
    declarations and the per-cell lines that set the logical ``inside`` (per-feature bounds and,
    with a density model, the score of the most likely mixture component against its threshold,
    as :meth:`FeatureDomain.log_density`)."""
    bounds = []
    for j, (lo, hi) in enumerate(zip(domain.lower, domain.upper, strict=True)):
        if math.isfinite(lo):
            bounds.append(f"(x({j + 1}) >= {_lit(float(lo))})")
        if math.isfinite(hi):
            bounds.append(f"(x({j + 1}) <= {_lit(float(hi))})")
    inside = " &\n        .and. ".join(bounds) or ".true."
    if not domain.has_density:
        return "", ["    logical :: inside"], [f"      inside = {inside}"]
    k, d = domain.log_norm.size, n_features
    consts = (
        module_array("DOM_C", domain.center, "real(c_double)")
        + module_array("DOM_IS", 1.0 / domain.scale, "real(c_double)")
        + module_array("DOM_LOGN", domain.log_norm, "real(c_double)")
        # row-major (component, feature) flattened: element (k, j) at k * d + j + 1
        + module_array("DOM_M", domain.means, "real(c_double)")
        + module_array("DOM_IV", domain.inv_variances, "real(c_double)")
    )
    decls = [
        "    logical :: inside",
        f"    real(c_double) :: dom_z({d}), dom_q, dom_d, dom_top",
        "    integer :: kk, jj",
    ]
    lines = [
        f"      dom_z = (x(1:{d}) - DOM_C) * DOM_IS",
        "      dom_top = -huge(1.0_c_double)",
        f"      do kk = 1, {k}",
        "        dom_q = 0.0_c_double",
        f"        do jj = 1, {d}",
        f"          dom_d = dom_z(jj) - DOM_M((kk - 1) * {d} + jj)",
        f"          dom_q = dom_q + dom_d * dom_d * DOM_IV((kk - 1) * {d} + jj)",
        "        end do",
        "        dom_top = max(dom_top, DOM_LOGN(kk) - 0.5_c_double * dom_q)",
        "      end do",
        f"      inside = ({inside}) &",
        f"        .and. (dom_top >= {_lit(domain.log_density_threshold)})",
    ]
    return consts, decls, lines
