"""The ``nulearn`` command: a thin typer group over the library, one module per pillar."""

from __future__ import annotations

import os
import sys
import warnings
from typing import NoReturn

import click
import typer

from nulearn import __version__
from nulearn.cli.cosmo import app as cosmo_app
from nulearn.cli.detector import app as detector_app
from nulearn.cli.flavor import app as flavor_app
from nulearn.ml.interrupts import catching_interrupts

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


def _click_exceptions(name: str) -> tuple[type[BaseException], ...]:
    """The click exception class ``name``: typer >= 0.20 vendors click as ``typer._click``,
    older typer uses click itself; both are caught."""
    found: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        from typer._click import exceptions as vendored

        found.append(getattr(vendored, name))
    except (ImportError, AttributeError):
        pass
    return tuple(found)


_USAGE_ERRORS = _click_exceptions("UsageError")
_EXITS: tuple[type[BaseException], ...] = (*_click_exceptions("Exit"), typer.Exit)
_ABORTS: tuple[type[BaseException], ...] = (
    *_click_exceptions("Abort"),
    typer.Abort,
    KeyboardInterrupt,
)


def _one_line(message: object) -> str:
    """A message folded onto one line (library messages may contain newlines)."""
    return " ".join(str(message).split())


def _show_warning(
    message: Warning | str, category: type[Warning], *_: object, **__: object
) -> None:
    """Warnings reach the user as one line, ``nulearn: warning: ...``, without source lines."""
    print(f"nulearn: warning: {_one_line(message)}", file=sys.stderr)


def _close_bars() -> None:
    """Close the progress bars still open, so that the error line is the last line on stderr
    (an unclosed tqdm bar would redraw itself at interpreter exit, after the error)."""
    tqdm_module = sys.modules.get("tqdm")
    if tqdm_module is None:
        return
    for bar in list(getattr(tqdm_module.tqdm, "_instances", ())):
        bar.close()


def _interrupted(err: BaseException) -> bool:
    """Whether ``err`` is a Ctrl-C in disguise: an interrupt inside compiled (numba) code
    surfaces as a ``SystemError`` whose context is the ``KeyboardInterrupt``."""
    seen: BaseException | None = err
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _fail(message: object, status: int = 2) -> NoReturn:
    _close_bars()
    print(f"nulearn: error: {_one_line(message)}", file=sys.stderr)
    sys.exit(status)


def _run(argv: list[str] | None) -> None:
    """Run the command line without typer's standalone wrapper: that wrapper turns Ctrl-C into a
    bare exit status (0 when not standalone, losing the resume hint a command attaches), so the
    interrupt reaches :func:`main` as raised."""
    command = typer.main.get_command(app)
    command._main_shell_completion({}, "nulearn", None)  # type: ignore[attr-defined]
    args = sys.argv[1:] if argv is None else list(argv)
    with command.make_context("nulearn", args) as ctx:
        command.invoke(ctx)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``nulearn`` console script.

    Every refusal is one line, ``nulearn: error: ...``, with exit status 2: bad input (unphysical
    moments, missing columns, an unreadable, truncated or foreign file, an unwritable output), and
    usage errors of the command line alike. An interrupt (Ctrl-C) says ``interrupted`` and exits
    with 130; a failure nulearn did not anticipate says so in one line with exit status 1.
    ``NULEARN_DEBUG=1`` shows the traceback instead.
    """
    debug = bool(os.environ.get("NULEARN_DEBUG"))
    shown = warnings.showwarning
    if not debug:
        warnings.showwarning = _show_warning
    try:
        with catching_interrupts():
            _run(argv)
    except BrokenPipeError:
        # stdout piped into a reader that stopped (``| head``): not an error of the command
        sys.stdout = open(os.devnull, "w")
        sys.exit(1)
    except _EXITS as done:
        sys.exit(getattr(done, "exit_code", 0))
    except _USAGE_ERRORS as err:
        if debug:
            raise
        ctx = getattr(err, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = err.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
        _fail(f"{where}{message}")
    except _ABORTS as err:
        if debug:
            raise
        detail = str(err) if isinstance(err, KeyboardInterrupt) and str(err) else ""
        _fail(f"interrupted{'; ' + detail if detail else ''}", 130)
    except (ValueError, FileNotFoundError, KeyError, OSError) as err:
        if debug:
            raise
        if isinstance(err, KeyError) and err.args:
            _fail(err.args[0])
        if isinstance(err, OSError) and err.filename is not None:
            _fail(f"{err.filename}: {err.strerror or err}")
        _fail(err)
    except Exception as err:
        if debug:
            raise
        if _interrupted(err):
            _fail("interrupted", 130)
        _fail(
            f"internal error ({type(err).__name__}: {err}); this is a bug in nulearn, please report "
            "it with the command line (NULEARN_DEBUG=1 shows the traceback)",
            1,
        )
    finally:
        warnings.showwarning = shown
