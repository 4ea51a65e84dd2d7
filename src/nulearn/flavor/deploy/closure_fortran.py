"""Generated Fortran for the learned asymptotic closure (:mod:`nulearn.flavor.models.closure`).

The module ``nulearn_<name>_mod`` exports one subroutine with the interface of the C header of
:mod:`nulearn.flavor.deploy.closure_codegen` (``bind(C, name="nulearn_<name>")``), callable from
Fortran, C and C++ alike::

    call nulearn_<name>(n_nue, n_nuebar, n_nux, n_nuxbar, F_nue, F_nuebar, F_nux, F_nuxbar, &
                        n_cells, n_nue_out, ..., F_nuxbar_out, status)

with ``real(c_double)`` arrays of shape ``(n_cells)`` (raw moments in, densities in any positive
unit and flux factors in [0, 1); densities after conversion in the input unit and signed flux
factors out), ``integer(c_int64_t), value :: n_cells`` and ``integer(c_int8_t) :: status(n_cells)``:
0 for a valid cell inside the training domain, the domain flag
(:data:`~nulearn.ml.domain.DOMAIN_FLAG`) for a valid cell outside it (outputs still written), -1
for invalid input (outputs NaN). The arithmetic follows the C header operation for operation
(the same summation order of the layers, ``tanh`` as ``1 - 2 / (exp(2t) + 1)`` with ``t`` clamped
to +-20, the arguments of ``exp`` in the sigmoids clamped to +-708 as the header's
``nulearn_exp_`` clamps them); only ``exp`` itself is the compiler's intrinsic.

>>> from nulearn.flavor.models.closure import ClosureModel
>>> code = generate_closure_fortran(ClosureModel.untrained((4,)))
>>> "bind(C, name=\\"nulearn_closure\\")" in code and "module nulearn_closure_mod" in code
True
"""

from __future__ import annotations

from nulearn.flavor.deploy.closure_codegen import CLOSURE_OUT_NAMES, closure_feature_domain
from nulearn.flavor.deploy.codegen_fortran import (
    _feature_op_code,
    moment_declarations_fortran,
    moment_validity_fortran,
)
from nulearn.flavor.deploy.fortran_arrays import lit, module_array
from nulearn.flavor.deploy.raw_moments import moment_program
from nulearn.flavor.models.closure import CLOSURE_INPUTS, ClosureModel
from nulearn.flavor.physics.species import ELN_SIGN, SPECIES
from nulearn.ml.domain import DOMAIN_FLAG

__all__ = ["generate_closure_fortran"]

#: tanh(x) = 1 - 2 / (exp(2x) + 1) is +-1 to double precision beyond |x| = 20 (as the C header)
_TANH_CLAMP = 20.0
_ONE = "1.0_c_double"


def _sigmoid(z: str) -> str:
    # the C header's nulearn_exp_ clamps its argument to [-708, 708]
    return f"{_ONE} / ({_ONE} + exp(max(min(-{z}, 708.0_c_double), -708.0_c_double)))"


def _network(model: ClosureModel) -> tuple[str, list[str], list[str]]:
    """Module constants, declarations and loop lines from the features x(1:7) to the logits z(1:3)."""
    consts: list[str] = []
    decls = ["    real(c_double) :: h0(9)"]
    lines = [
        "      h0(8) = ((1.0_c_double - x(1)) - x(2)) + x(3)  ! g0",
        "      h0(9) = ((x(4) - x(1) * x(5)) - x(2) * x(6)) + x(3) * x(7)  ! g1",
        "      h0(1:7) = x",
    ]
    for i in range(9):
        inv = lit(1.0 / float(model.scale[i]))
        lines.append(f"      h0({i + 1}) = (h0({i + 1}) - {lit(float(model.mean[i]))}) &")
        lines.append(f"        * {inv}")
    prev = "h0"
    clamp = lit(_TANH_CLAMP)
    n_layers = len(model.weights)
    for k, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        n_out, n_in = w.shape
        cur = f"h{k + 1}"
        decls.append(f"    real(c_double) :: {cur}({n_out})")
        # column j of the weights is WEIGHT<k>((j - 1) * n_out + 1 : j * n_out): every output adds
        # its terms in input order, as the C header does. (Fortran names ignore case: the module
        # constants must not be called like the locals b1, b2 of the reconstruction.)
        consts.append(module_array(f"WEIGHT{k}", w.T, "real(c_double)"))
        consts.append(module_array(f"BIAS{k}", b, "real(c_double)"))
        lines += [
            f"      {cur} = BIAS{k}",
            f"      do j = 1, {n_in}",
            f"        {cur} = {cur} + WEIGHT{k}((j - 1) * {n_out} + 1:j * {n_out}) * {prev}(j)",
            "      end do",
        ]
        if k < n_layers - 1:
            lines += [
                f"      {cur} = max(min({cur}, {clamp}), -{clamp})",
                f"      {cur} = {_ONE} - 2.0_c_double / (exp(2.0_c_double * {cur}) + {_ONE})",
            ]
        prev = cur
    lines.append(f"      z = {prev}(1:3)")
    return "".join(consts), decls, lines


def _rebuild() -> list[str]:
    """Loop lines from the logits and the normalized moments to the rebuilt moments (as C)."""
    return [
        f"      s0 = {_sigmoid('z(1)')}",
        f"      s1 = {_sigmoid('z(2)')}",
        f"      s2 = {_sigmoid('z(3)')}",
        "      ne = 1.0_c_double",
        "      nb = x(1)",
        "      nx = x(2)",
        "      nxb = x(3)",
        "      lo = -min(nx, nxb)",
        "      hi = min(ne, nb)",
        "      delta = lo + s0 * (hi - lo)",
        "      ne2 = ne - delta",
        "      nx2 = nx + delta",
        "      nb2 = nb - delta",
        "      nxb2 = nxb + delta",
        "      jt = ne * x(4) + nx * x(6)",
        "      jtb = nb * x(5) + nxb * x(7)",
        "      a1 = max(-ne2, jt - nx2)",
        "      b1 = min(ne2, jt + nx2)",
        "      je2 = a1 + s1 * (b1 - a1)",
        "      jx2 = jt - je2",
        "      a2 = max(-nb2, jtb - nxb2)",
        "      b2 = min(nb2, jtb + nxb2)",
        "      jb2 = a2 + s2 * (b2 - a2)",
        "      jxb2 = jtb - jb2",
    ]


def generate_closure_fortran(model: ClosureModel, name: str = "closure") -> str:
    """Fortran 2008 source of module ``nulearn_<name>_mod``; see the module docstring."""
    program = moment_program(CLOSURE_INPUTS)
    fn = f"nulearn_{name}"
    raw = list(program.inputs)
    outs = list(CLOSURE_OUT_NAMES)
    arglist = ", &\n      ".join(
        [
            *(", ".join(raw[i : i + 4]) for i in range(0, len(raw), 4)),
            "n_cells",
            *(", ".join(outs[i : i + 4]) for i in range(0, len(outs), 4)),
            "status",
        ]
    )
    valid = moment_validity_fortran(program)
    var_decl = moment_declarations_fortran(program)
    loads = [f"      v_{r} = {r}(i)" for r in raw]
    ops = [line for op in program.ops for line in _feature_op_code(op)]
    feats = [f"      x({j + 1}) = v_{fname}  ! {fname}" for j, fname in enumerate(program.features)]
    consts, decls, net = _network(model)
    domain = closure_feature_domain(model)
    decide = ["      if (.not. valid) then", "        status(i) = -1_c_int8_t"]
    if domain is not None:
        from nulearn.flavor.deploy.codegen_fortran_stages import domain_code

        dom_consts, dom_decls, dom_lines = domain_code(domain, len(program.features))
        consts += dom_consts
        decls += dom_decls
        feats += dom_lines
        decide += [
            "      else if (.not. inside) then",
            f"        status(i) = {domain.flag}_c_int8_t",
        ]
    decide += ["      else", "        status(i) = 0_c_int8_t", "      end if"]
    n_after = {"nue": "ne2", "nuebar": "nb2", "nux": "nx2", "nuxbar": "nxb2"}
    j_after = {"nue": "je2", "nuebar": "jb2", "nux": "jx2", "nuxbar": "jxb2"}
    stores = []
    for s in SPECIES:
        n2, j2 = n_after[s], j_after[s]
        stores += [
            "      if (valid) then",
            f"        n_{s}_out(i) = {n2} * v_n_nue",
            "      else",
            f"        n_{s}_out(i) = nan",
            "      end if",
            # a species emptied by the conversion has no flux factor (NaN, as the C header)
            f"      if (valid .and. ({n2} > 0.0_c_double)) then",
            f"        F_{s}_out(i) = {j2} / {n2}",
            "      else",
            f"        F_{s}_out(i) = nan",
            "      end if",
        ]
    nl = "\n"
    raw_decl = nl.join(f"    real(c_double), intent(in) :: {r}(n_cells)" for r in raw)
    out_decl = nl.join(f"    real(c_double), intent(out) :: {o}(n_cells)" for o in outs)
    signs = ", ".join(f"{s} {'+' if ELN_SIGN[s] > 0 else '-'}" for s in SPECIES)
    widths = " -> ".join(str(w.shape[1]) for w in model.weights)
    cell = [
        *loads,
        *ops,
        f"      valid = {valid}",
        *feats,
        *net,
        *_rebuild(),
        *stores,
        *decide,
    ]
    return f"""\
! Generated by nulearn.flavor.deploy.closure_fortran -- do not edit.
!
! Learned asymptotic closure of fast flavor conversion (two-flavor fast limit), network
! {widths} -> 3, {model.n_multiply_adds} multiply-adds per cell; computes what the C header
! nulearn_{name}.h computes.
! subroutine {fn}(n_nue, n_nuebar, n_nux, n_nuxbar, F_nue, F_nuebar, F_nux, F_nuxbar, n_cells,
!                 n_*_out (4), F_*_out (4), status) bind(C):
!   inputs: real(c_double) raw moments of unstable cells, shape (n_cells); densities in any
!     unit, 0 <= F < 1; n_cells: integer(c_int64_t), by value
!   n_*_out: densities after conversion (input unit); F_*_out: signed flux factors
!   status: integer(c_int8_t), 0 valid, {DOMAIN_FLAG} outside the training domain (outputs
!     written), -1 invalid (outputs NaN)
! Conserved to rounding: n_nue + n_nux, n_nuebar + n_nuxbar, the number fluxes summed over
! flavors per helicity, and the ELN-XLN number (signs {signs}).
module {fn}_mod
  use, intrinsic :: iso_c_binding, only: c_double, c_int8_t, c_int64_t
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan
  implicit none
  private
  public :: {fn}
{consts}
contains

  subroutine {fn}({arglist}) &
      bind(C, name="{fn}")
    integer(c_int64_t), value, intent(in) :: n_cells
{raw_decl}
{out_decl}
    integer(c_int8_t), intent(out) :: status(n_cells)
    integer(c_int64_t) :: i
    integer :: j
    logical :: valid
    real(c_double) :: x({len(program.features)}), z(3), nan
    real(c_double) :: s0, s1, s2, ne, nb, nx, nxb, lo, hi, delta
    real(c_double) :: ne2, nx2, nb2, nxb2, jt, jtb, a1, b1, a2, b2
    real(c_double) :: je2, jx2, jb2, jxb2
{var_decl}
{nl.join(decls)}
    nan = ieee_value(nan, ieee_quiet_nan)
    do i = 1, n_cells
{nl.join(cell)}
    end do
  end subroutine {fn}

end module {fn}_mod
"""
