"""The ``nulearn`` command: a thin typer group over the library, one module per pillar."""

from __future__ import annotations

import os
import sys

import typer

from nulearn import __version__
from nulearn.cli.cosmo import app as cosmo_app
from nulearn.cli.detector import app as detector_app
from nulearn.cli.flavor import app as flavor_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="nulearn",
    help="Machine learning for neutrino physics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(
    flavor_app, name="flavor", help="Fast flavor instability detection from angular moments."
)
app.add_typer(cosmo_app, name="cosmo", help="Neutrino mass from weak-lensing maps.")
app.add_typer(
    detector_app, name="detector", help="Detector ML: event classification and reconstruction."
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"nulearn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Machine learning for neutrino physics."""


def main() -> None:
    """Entry point of the ``nulearn`` console script.

    Bad input (unphysical moments, missing columns, an unreadable file) reaches the user as one
    line naming the problem, with exit status 2, not as a traceback; ``NULEARN_DEBUG=1`` shows
    the traceback.
    """
    try:
        app()
    except (ValueError, FileNotFoundError, KeyError) as err:
        if os.environ.get("NULEARN_DEBUG"):
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"nulearn: error: {message}", file=sys.stderr)
        sys.exit(2)
