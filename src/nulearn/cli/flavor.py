"""``nulearn flavor ...`` commands: a thin layer over :mod:`nulearn.flavor`.

Each command parses options, calls one library function and prints a short summary.
"""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
