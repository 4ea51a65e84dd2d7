"""Fortran literals and module arrays of model parameters, for the generated Fortran modules.

Arrays up to :data:`CONSTRUCTOR_LIMIT` elements become named constants built from chunks of
literals (continuation lines stay under the free-form limits). Larger ones (the nodes of a
LightGBM model with thousands of trees, a Nystroem normalization matrix) exceed what gfortran
accepts in one array constructor (65535 elements without ``-fmax-array-constructor``), so they
become module variables filled by ``data`` statements, chunk by chunk.

>>> fortran_literal(1.5)
'1.50000000000000000d+00'
>>> print(module_array("W", np.array([1.0, -2.0]), "real(c_double)"), end="")
  real(c_double), parameter :: W_0(2) = [ &
      1.00000000000000000d+00, -2.00000000000000000d+00 ]
  real(c_double), parameter :: W(1:2) = [ &
      W_0 ]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["CONSTRUCTOR_LIMIT", "fortran_literal", "lit", "module_array", "wrap"]

#: largest array written as a named constant (gfortran's default array-constructor limit)
CONSTRUCTOR_LIMIT = 65535
_CHUNK = 400  # values per constructor or data statement


def fortran_literal(value: float) -> str:
    """Exact double-precision Fortran literal, e.g. ``1.50000000000000000d+00``."""
    if not math.isfinite(value):
        raise ValueError(f"model parameter is not finite: {value!r}")
    return f"{value:.17e}".replace("e", "d")


def lit(value: float) -> str:
    """Literal safe inside an expression (negative values parenthesized)."""
    text = fortran_literal(value)
    return f"({text})" if text.startswith("-") else text


def wrap(prefix: str, items: list[str], sep: str = ", ", per_line: int = 3) -> str:
    """``prefix`` then the items, ``per_line`` a line, joined by continuation lines."""
    lines = [sep.join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return prefix + (sep.rstrip() + " &\n      ").join(lines)


def module_array(name: str, values: np.ndarray, ftype: str, lower: int = 1) -> str:
    """Rank-1 module array ``name(lower:lower + n - 1)`` of ``ftype`` holding ``values``."""
    flat = np.asarray(values).ravel()
    real = ftype.startswith("real")
    items = [fortran_literal(float(v)) if real else str(int(v)) for v in flat]
    per_line = 3 if real else 12
    upper = lower + len(items) - 1
    if not items:  # a zero-size array still needs a typed constructor
        return f"  {ftype}, parameter :: {name}({lower}:{upper}) = [{ftype} ::]\n"
    chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
    if len(items) > CONSTRUCTOR_LIMIT:
        decls = [f"  {ftype} :: {name}({lower}:{upper})\n"]
        for c, chunk in enumerate(chunks):
            start = lower + c * _CHUNK
            decls.append(
                wrap(
                    f"  data {name}({start}:{start + len(chunk) - 1}) / &\n      ",
                    chunk,
                    per_line=per_line,
                )
                + " /\n"
            )
        return "".join(decls)
    decls, parts = [], []
    for c, chunk in enumerate(chunks):
        part = f"{name}_{c}"
        parts.append(part)
        decls.append(
            wrap(
                f"  {ftype}, parameter :: {part}({len(chunk)}) = [ &\n      ",
                chunk,
                per_line=per_line,
            )
            + " ]\n"
        )
    decls.append(
        wrap(f"  {ftype}, parameter :: {name}({lower}:{upper}) = [ &\n      ", parts, per_line=6)
        + " ]\n"
    )
    return "".join(decls)


def _continued(expr: str) -> str:
    """Break a long ``a + b - c`` expression before its operators (free-form lines <= 132)."""
    return expr.replace(" + ", " &\n        + ").replace(" - ", " &\n        - ")
