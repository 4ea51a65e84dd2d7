"""``nulearn detector ...``: the detector studies, each a sub-application mounted the same way.

* ``nulearn detector cvn train | evaluate | explain``: CVN-style flavour classification
  (:mod:`nulearn.cli.detector.cvn`);
* ``nulearn detector tpc simulate | reconstruct | train | generate``: the liquid-xenon TPC
  (:mod:`nulearn.cli.detector.tpc`);
* ``nulearn detector graph simulate | study``: graph networks on a sparse in-ice optical array
  (:mod:`nulearn.cli.detector.graph`);
* ``nulearn detector segment simulate | train | evaluate | study``: cosmic/neutrino segmentation
  of liquid-argon TPC wire-plane images (:mod:`nulearn.cli.detector.segment`).

``nulearn detector train | evaluate | explain`` remain as hidden aliases of the CVN commands, so
that scripts written before the CVN had its own group still run.
"""

from __future__ import annotations

import typer

from nulearn.cli.detector import cvn, graph, segment, tpc

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
app.add_typer(cvn.app, name="cvn", help="CVN-style event classification of DUNE pixel maps.")
app.add_typer(tpc.app, name="tpc", help="Liquid-xenon TPC (EXO-200-like) waveforms.")
app.add_typer(graph.app, name="graph", help="Graph networks on a sparse in-ice optical array.")
app.add_typer(segment.app, name="segment", help="Cosmic/neutrino segmentation of LArTPC images.")
for _name, _command in (("train", cvn.train), ("evaluate", cvn.evaluate), ("explain", cvn.explain)):
    app.command(_name, hidden=True)(_command)
