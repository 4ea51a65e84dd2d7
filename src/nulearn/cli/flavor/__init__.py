"""``nulearn flavor ...``: thin commands over :mod:`nulearn.flavor`, one module per area.

Each command parses its options, calls one library function and prints a short summary:

* :mod:`~nulearn.cli.flavor.data`: ``generate``, ``label``, ``generate3d``, ``label3d``,
  ``transport``, ``snapshot``;
* :mod:`~nulearn.cli.flavor.models`: ``models``, ``train``, ``predict``, ``evaluate``;
* :mod:`~nulearn.cli.flavor.deep`: ``tune``, ``seeds``, ``compact``, ``calibration``;
* :mod:`~nulearn.cli.flavor.deploy`: ``export``, ``flag``;
* :mod:`~nulearn.cli.flavor.growth`: ``growth``;
* :mod:`~nulearn.cli.flavor.evolve`: ``evolve`` (fast-flavor solver);
* :mod:`~nulearn.cli.flavor.active`: ``active`` (active learning of the solver's asymptotic state);
* :mod:`~nulearn.cli.flavor.closure`: ``closure train``, ``closure evaluate``, ``closure export``;
* :mod:`~nulearn.cli.flavor.studies`: ``reproduce``, ``study``.
"""

from __future__ import annotations

import typer

from nulearn.cli.flavor import (
    active,
    closure,
    data,
    deep,
    deploy,
    evolve,
    growth,
    models,
    studies,
)

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
for _area in (data, models, deep, deploy, growth, evolve, active, studies):
    app.registered_commands.extend(_area.app.registered_commands)
app.add_typer(closure.app, name="closure")
