"""``nulearn detector graph ...``: graph networks on a sparse in-ice optical array.

A thin layer over :mod:`nulearn.detector.optical`: ``simulate`` writes events (truth and module
hits) to an ``.npz``; ``train`` fits one network on such a file and ``evaluate`` scores it with
the line fit on another; ``study`` simulates training and held-out events, trains the DynEdge-style
GNN and the string-grid CNN, runs the classical line fit, and writes the report (ROC,
resolution against energy, the comparison against the targets). Outputs are checked before any
work; refusals are one ``nulearn: error:`` line.
"""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import MaxEpochs, NEvents, Progress, Seed, Threads
from nulearn.cli.progress import reporter

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Graph networks on a sparse in-ice optical array.")


@app.command("simulate")
def simulate_cmd(
    n: NEvents = 1000,
    seed: Seed = 0,
    signal_fraction: float = typer.Option(0.5, help="Fraction of neutrino (signal) events."),
    cascade_fraction: float = typer.Option(
        0.3, help="Fraction of the neutrino events that are cascades."
    ),
    out: Path = typer.Option(Path("optical_events.npz"), help="Output .npz (truth and hits)."),
) -> None:
    """Simulate events of the IceCube-like array: nu_mu CC tracks, cascades, muon bundles."""
    from nulearn.detector.optical.physics.config import OpticalConfig
    from nulearn.detector.optical.study.events import simulate_to_file

    typer.echo(simulate_to_file(out, n, OpticalConfig(), seed, signal_fraction, cascade_fraction))


@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., help="Training events written by `simulate`."),
    architecture: str = typer.Option("gnn", help="gnn (DynEdge-style) or cnn (string grid)."),
    epochs: MaxEpochs = 8,
    max_hits: int = typer.Option(96, min=4, help="Nodes per event graph (the brightest hits)."),
    width: int = typer.Option(32, min=4, help="GNN hidden width (CNN: width // 3 channels)."),
    threads: Threads = 1,
    seed: Seed = 0,
    out: Path = typer.Option(Path("optical_gnn.pt"), help="Network file (.pt, weights only)."),
) -> None:
    """Train one network (classification + direction) on an events file and keep it."""
    from nulearn.detector.optical.study.saved import train_to_file

    typer.echo(
        train_to_file(data, out, architecture, epochs, width, max_hits, seed=seed, threads=threads)
    )


@app.command("evaluate")
def evaluate_cmd(
    model: Path = typer.Option(..., help="Network file written by `train`."),
    data: Path = typer.Option(..., help="Held-out events written by `simulate` (another seed)."),
    rejection: float = typer.Option(0.99, help="Background rejection of the working point."),
    out: Path = typer.Option(Path("optical_predictions.csv"), help="Per-event predictions (.csv)."),
) -> None:
    """Score a kept network and the classical line fit on held-out events."""
    from nulearn.detector.optical.study.saved import evaluate_file

    typer.echo(evaluate_file(model, data, out, rejection))


@app.command("study")
def study_cmd(
    n_train: int = typer.Option(6000, help="Training events."),
    n_test: int = typer.Option(6000, help="Held-out events."),
    epochs: MaxEpochs = 8,
    max_hits: int = typer.Option(96, help="Nodes per event graph (the brightest hits)."),
    width: int = typer.Option(32, help="GNN hidden width."),
    threads: Threads = 1,
    seed: Seed = 0,
    out: Path = typer.Option(Path("reports/detector-graph"), help="Report folder."),
    progress: Progress = True,
) -> None:
    """Train the GNN and the CNN, run the line fit, score them on held-out events, write a report."""
    from nulearn.detector.optical.study.run import StudySettings, run_graph_study

    settings = StudySettings(
        n_train=n_train,
        n_test=n_test,
        epochs=epochs,
        seed=seed,
        threads=threads,
        max_hits=max_hits,
        width=width,
    )
    with reporter(progress) as rep:
        result = run_graph_study(out, settings, log=rep.line)
    typer.echo(result.summary())
    typer.echo(f"report -> {result.report}")
