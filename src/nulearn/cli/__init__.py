"""The ``nulearn`` command: a thin typer group over the library, one module per pillar."""

from __future__ import annotations

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
    """Entry point of the ``nulearn`` console script."""
    app()
