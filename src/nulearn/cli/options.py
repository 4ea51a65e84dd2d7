"""Command-line options that several ``nulearn`` commands share, declared once.

Each alias is an ``Annotated`` type carrying its :func:`typer.Option`; a command gives the default
in its signature, e.g. ``threads: Threads = 1``. The option name comes from the parameter name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "MaxEpochs",
    "NEvents",
    "Patience",
    "ReportDir",
    "Seed",
    "TPCConfigFile",
    "Threads",
]

#: Random seed of a command (data, split and model).
Seed = Annotated[int, typer.Option(help="Random seed.")]
#: PyTorch CPU threads.
Threads = Annotated[int, typer.Option(min=1, help="PyTorch CPU threads.")]
#: Epoch limit of a training loop.
MaxEpochs = Annotated[
    int, typer.Option(min=1, help="Maximum training epochs (early stopping may end sooner).")
]
#: Early-stopping patience.
Patience = Annotated[int, typer.Option(min=1, help="Early-stopping patience in epochs.")]
#: Folder a report (report.md and figures/) is written to.
ReportDir = Annotated[Path, typer.Option(help="Report folder (report.md and figures/).")]
#: Number of events to simulate or generate, as ``--n``.
NEvents = Annotated[int, typer.Option("--n", min=1, help="Number of events.")]
#: A :class:`~nulearn.detector.tpc.physics.config.TPCConfig` YAML file.
TPCConfigFile = Annotated[
    Path | None, typer.Option(help="TPCConfig YAML (default: the EXO-200-like detector).")
]
