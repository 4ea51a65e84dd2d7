"""``nulearn flavor ...``: thin commands over :mod:`nulearn.flavor`, one module per area.

Each command parses its options, calls one library function and prints a short summary:

* :mod:`~nulearn.cli.flavor.data`: ``generate``, ``label``, ``generate3d``, ``label3d``,
  ``transport``, ``snapshot``;
* :mod:`~nulearn.cli.flavor.models`: ``models``, ``train``, ``predict``, ``evaluate``;
* :mod:`~nulearn.cli.flavor.deep`: ``tune``, ``seeds``, ``compact``, ``calibration``;
* :mod:`~nulearn.cli.flavor.deploy`: ``export``, ``flag``;
* :mod:`~nulearn.cli.flavor.growth`: ``growth``;
* :mod:`~nulearn.cli.flavor.studies`: ``reproduce``, ``study``.
"""

from __future__ import annotations

import typer

from nulearn.cli.flavor import data, deep, deploy, growth, models, studies

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
for _area in (data, models, deep, deploy, growth, studies):
    app.registered_commands.extend(_area.app.registered_commands)
