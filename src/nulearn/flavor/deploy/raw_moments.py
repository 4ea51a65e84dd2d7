"""Raw moments -> model features, and the validity of a cell: one small program every target runs.

Simulation codes hold raw moments per species ``s``, and the classifiers of :mod:`nulearn.flavor`
read features built from them. Every deployment target (generated C/Fortran, ONNX, TorchScript,
the snapshot flagger) starts from raw moments, so the mapping is written here once, as a
:class:`MomentProgram` (a straight-line list of :class:`FeatureOp` on per-cell scalars), and each
target translates the program operation for operation (same divisions, same sums in the same
order, same comparisons) so that results agree to rounding.

Two kinds of input:

* one-dimensional (radial) moments, the papers' setting: number densities ``n_s`` and flux
  factors ``F_s = |I_1| / I_0``; features are ratios to ``n_nue`` (``alpha = n_nuebar / n_nue``,
  ...) and the flux factors themselves;
* three-dimensional moments, as M1 codes evolve them: ``n_s`` and the number flux
  vector ``(flux_x_s, flux_y_s, flux_z_s)`` in units of ``n c``. A model is three-dimensional
  when it reads a direction cosine ``cos_<a>_<b>``; its features follow
  :func:`nulearn.flavor.physics.moments3d.features_from_moments3d` step by step: flux-factor vector
  ``ff_s = flux_s / n_s`` (componentwise), magnitude ``F_s = sqrt((ffx^2 + ffy^2) + ffz^2)``,
  density ratios as in 1D, and ``cos_a_b = clip(ff_a . ff_b / (F_a F_b), -1, 1)`` when both
  ``F > 1e-8`` (:data:`~nulearn.flavor.physics.moments3d.MIN_DIRECTED_FLUX`), else 0 (a flux without a
  direction). All are invariant under a common rotation of the flux vectors.

A cell is *valid* when, for every species the model reads, ``0 < n_s < inf`` and
``0 <= F_s < 1`` (``F_s`` the input flux factor in 1D, the computed magnitude in 3D; NaN fails
every comparison and is therefore invalid, and a non-finite flux component makes ``F_s``
non-finite); the same rule as :func:`nulearn.flavor.physics.validity.validate_moments`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.physics.moments3d import MIN_DIRECTED_FLUX
from nulearn.flavor.physics.species import SPECIES, density_column, flux_column

__all__ = [
    "ALL_SPECIES",
    "FEATURE_FORMULAS",
    "MIN_DIRECTED_FLUX",
    "OP_ORDER",
    "RAW_MOMENTS_3D",
    "FeatureOp",
    "MomentProgram",
    "cell_validity",
    "features_from_raw",
    "is_three_dimensional",
    "moment_program",
    "raw_moment_names",
    "run_program",
    "species_for_features",
]

#: The species in canonical order, as :mod:`nulearn.flavor.physics.species` defines them.
ALL_SPECIES: tuple[str, ...] = SPECIES
_AXES = ("x", "y", "z")

#: feature name -> (numerator, denominator) of 1D raw moments; a denominator of ``None`` means the
#: feature is the raw quantity itself.  Ratios are relative to ``n_nue`` (core API convention).
FEATURE_FORMULAS: dict[str, tuple[str, str | None]] = {
    **{density_column(s): (f"n_{s}", "n_nue") for s in SPECIES[1:]},
    **{flux_column(s): (f"F_{s}", None) for s in SPECIES},
}

#: every raw input name of a three-dimensional model (densities, then flux vectors)
RAW_MOMENTS_3D: tuple[str, ...] = tuple(f"n_{s}" for s in ALL_SPECIES) + tuple(
    f"flux_{ax}_{s}" for s in ALL_SPECIES for ax in _AXES
)


@dataclass(frozen=True)
class FeatureOp:
    """One per-cell operation ``out = kind(args)`` on named scalars.

    Kinds (every target implements exactly these):

    * ``div (a, b)``: ``a / b``;
    * ``norm3 (x, y, z)``: ``sqrt((x*x + y*y) + z*z)``;
    * ``dot3 (ax, ay, az, bx, by, bz)``: ``(ax*bx + ay*by) + az*bz`` (NumPy's ``einsum`` in
      :func:`~nulearn.flavor.physics.moments3d.features_from_moments3d` may add the three products in
      another order: the cosines agree to rounding, ~1e-16);
    * ``cosine (dot, fa, fb)``: with ``ok = (fa > 1e-8) & (fb > 1e-8)``,
      ``q = dot / (ok ? fa*fb : 1)``, ``out = ok ? clip(q, -1, 1) : 0``.
    """

    kind: Literal["div", "norm3", "dot3", "cosine"]
    out: str
    args: tuple[str, ...]


#: the order of op kinds in a program (each kind reads only inputs and earlier kinds' outputs)
OP_ORDER: tuple[str, ...] = ("div", "norm3", "dot3", "cosine")


@dataclass(frozen=True)
class MomentProgram:
    """Raw moments -> features and validity for one feature list.

    Attributes:
        inputs: raw moment names, in the argument/column order of every export.
        ops: operations, grouped by kind in :data:`OP_ORDER`.
        features: the model's features (names of program variables), in the model's order.
        species: species read, canonical order; validity checks ``n_<s>`` and ``F_<s>`` of each.
        dimension: 1 (radial moments) or 3 (flux vectors).
    """

    inputs: tuple[str, ...]
    ops: tuple[FeatureOp, ...]
    features: tuple[str, ...]
    species: tuple[str, ...]
    dimension: int

    @property
    def checks(self) -> tuple[tuple[str, str], ...]:
        """``(density variable, flux-factor variable)`` per species: ``0 < n < inf``, ``0 <= F < 1``."""
        return tuple((f"n_{s}", f"F_{s}") for s in self.species)


def is_three_dimensional(feature_names: Sequence[str]) -> bool:
    """Whether a model with these features reads 3D moments (it uses a direction cosine)."""
    return any(name.startswith("cos_") for name in feature_names)


def _cosine_species(name: str) -> tuple[str, str]:
    parts = name.split("_")
    if len(parts) != 3 or parts[1] not in ALL_SPECIES or parts[2] not in ALL_SPECIES:
        raise ValueError(
            f"feature {name!r} is not a direction cosine cos_<a>_<b> with a, b in {ALL_SPECIES}"
        )
    return parts[1], parts[2]


def species_for_features(feature_names: Sequence[str]) -> tuple[str, ...]:
    """Species whose moments a model with these features needs, in canonical order.

    ``nue`` and ``nuebar`` are always needed (every ratio is relative to ``n_nue`` and the ELN
    involves both); ``nux``/``nuxbar`` only when a feature mentions them.

    Raises:
        ValueError: for a feature name with no raw-moment formula.
    """
    used = {"nue", "nuebar"}
    for name in feature_names:
        if name.startswith("cos_"):
            used.update(_cosine_species(name))
            continue
        if name not in FEATURE_FORMULAS:
            known = [*sorted(FEATURE_FORMULAS), "cos_<a>_<b>"]
            raise ValueError(f"feature {name!r} has no formula from raw moments; known: {known}")
        for quantity in FEATURE_FORMULAS[name]:
            if quantity is not None:
                used.add(quantity.split("_", 1)[1])
    return tuple(s for s in ALL_SPECIES if s in used)


def moment_program(feature_names: Sequence[str]) -> MomentProgram:
    """The :class:`MomentProgram` of a model with these features (see the module docstring).

    Raises:
        ValueError: for a feature with no raw-moment formula, or a repeated feature.
    """
    names = tuple(feature_names)
    if len(set(names)) != len(names):
        raise ValueError(f"features repeat: {list(names)}")
    species = species_for_features(names)
    ops: list[FeatureOp] = []
    ratios = [
        FeatureOp("div", name, (FEATURE_FORMULAS[name][0], "n_nue"))
        for name in names
        if name.startswith("alpha")
    ]
    if not is_three_dimensional(names):
        inputs = tuple(f"n_{s}" for s in species) + tuple(f"F_{s}" for s in species)
        return MomentProgram(inputs, tuple(ratios), names, species, 1)
    inputs = tuple(f"n_{s}" for s in species) + tuple(
        f"flux_{ax}_{s}" for s in species for ax in _AXES
    )
    # flux-factor vectors ff_s = flux_s / n_s, as features_from_moments3d divides
    ops.extend(ratios)
    ops.extend(
        FeatureOp("div", f"ff{ax}_{s}", (f"flux_{ax}_{s}", f"n_{s}"))
        for s in species
        for ax in _AXES
    )
    ops.extend(FeatureOp("norm3", f"F_{s}", tuple(f"ff{ax}_{s}" for ax in _AXES)) for s in species)
    cosines = [(name, *_cosine_species(name)) for name in names if name.startswith("cos_")]
    ops.extend(
        FeatureOp(
            "dot3",
            f"dot_{a}_{b}",
            tuple(f"ff{ax}_{a}" for ax in _AXES) + tuple(f"ff{ax}_{b}" for ax in _AXES),
        )
        for _, a, b in cosines
    )
    ops.extend(
        FeatureOp("cosine", name, (f"dot_{a}_{b}", f"F_{a}", f"F_{b}")) for name, a, b in cosines
    )
    return MomentProgram(inputs, tuple(ops), names, species, 3)


def raw_moment_names(feature_names: Sequence[str]) -> tuple[str, ...]:
    """Raw moment inputs, in the order every exported function takes them.

    1D: number densities first, then flux factors: ``n_nue, n_nuebar[, n_nux, n_nuxbar], F_nue,
    F_nuebar[, F_nux, F_nuxbar]`` (the raw-column order of the core API). 3D: number densities,
    then the flux vector of each species: ``..., flux_x_nue, flux_y_nue, flux_z_nue,
    flux_x_nuebar, ...``.
    """
    return moment_program(feature_names).inputs


def run_program(
    program: MomentProgram, arrays: Mapping[str, NDArray[np.float64]]
) -> dict[str, NDArray[np.float64]]:
    """Every variable of ``program`` (inputs included) from float64 input arrays ``(n_cells,)``."""
    v: dict[str, NDArray[np.float64]] = {name: arrays[name] for name in program.inputs}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for op in program.ops:
            a = [v[name] for name in op.args]
            if op.kind == "div":
                v[op.out] = a[0] / a[1]
            elif op.kind == "norm3":
                v[op.out] = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
            elif op.kind == "dot3":
                v[op.out] = a[0] * a[3] + a[1] * a[4] + a[2] * a[5]
            else:
                dot, fa, fb = a
                ok = (fa > MIN_DIRECTED_FLUX) & (fb > MIN_DIRECTED_FLUX)
                q = dot / np.where(ok, fa * fb, 1.0)
                v[op.out] = np.where(ok, np.clip(q, -1.0, 1.0), 0.0)
    return v


def cell_validity(
    moments: Mapping[str, NDArray[np.floating]], species: Sequence[str]
) -> NDArray[np.bool_]:
    """Boolean validity mask, shape of the inputs.

    Args:
        moments: arrays keyed ``n_<species>`` (any positive unit) and ``F_<species>``
            (dimensionless, in [0, 1)), all of one shape.
        species: species to check.
    """
    valid: NDArray[np.bool_] | None = None
    for s in species:
        n = np.asarray(moments[f"n_{s}"])
        f = np.asarray(moments[f"F_{s}"])
        # comparisons are False for NaN, so NaN and +-inf are invalid without isfinite
        ok = (n > 0) & (n < np.inf) & (f >= 0) & (f < 1)
        valid = ok if valid is None else valid & ok
    assert valid is not None
    return valid


def features_from_raw(
    moments: Mapping[str, NDArray[np.floating]], feature_names: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Feature matrix and validity mask from raw moments (the NumPy run of :func:`moment_program`).

    Args:
        moments: raw arrays of shape ``(n_cells,)`` (or any shape, flattened) keyed as in
            :func:`raw_moment_names`.
        feature_names: the model's features, in the model's order.

    Returns:
        ``(X, valid)``: ``X`` of shape ``(n_cells, n_features)`` in float64 (rows of invalid
        cells hold whatever the arithmetic gave and must not be used), ``valid`` of shape
        ``(n_cells,)``.

    Raises:
        ValueError: when a needed raw moment is missing or shapes differ.
    """
    program = moment_program(feature_names)
    missing = [name for name in program.inputs if name not in moments]
    if missing:
        raise ValueError(f"raw moments missing: {missing}; given: {sorted(moments)}")
    arrays = {
        name: np.asarray(moments[name], dtype=np.float64).reshape(-1) for name in program.inputs
    }
    sizes = {name: a.size for name, a in arrays.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"raw moments must have one size, got {sizes}")
    v = run_program(program, arrays)
    n_cells = next(iter(sizes.values()))
    x = np.empty((n_cells, len(program.features)), dtype=np.float64)
    for j, name in enumerate(program.features):
        x[:, j] = v[name]
    return x, cell_validity(v, program.species)
