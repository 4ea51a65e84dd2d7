"""``nulearn detector tpc ...``: liquid-xenon TPC simulation, reconstruction, training, generation.

A thin layer over :mod:`nulearn.detector.tpc`: each command parses options, calls the library and
prints a short summary. Event files are ``.npz`` archives with the raw waveforms and the truth.
Outputs are checked before any work and written whole or not at all; refusals (a waveform that
is not finite, an energy outside the generator's training range, an unreadable config) are one
``nulearn: error:`` line. ``train`` reports each study and epoch on stderr unless
``--no-progress``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nulearn.cli.detector import tpc_light
from nulearn.cli.options import MaxEpochs, NEvents, Progress, Seed, Threads, TPCConfigFile
from nulearn.cli.progress import reporter

if TYPE_CHECKING:
    from nulearn.detector.tpc.physics.config import TPCConfig

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Liquid-xenon TPC (EXO-200-like) waveforms.")
app.add_typer(tpc_light.app, name="light")


class EventKind(StrEnum):
    """Simulated event kinds (keys of :data:`nulearn.detector.tpc.data.dataset.EVENT_KINDS`)."""

    bb = "bb"
    uniform = "uniform"
    gamma = "gamma"
    uniform_gamma = "uniform_gamma"


class Task(StrEnum):
    """Studies of ``train`` (:data:`nulearn.detector.tpc.study.run.STUDIES`, or all of them)."""

    energy = "energy"
    sites = "sites"
    gan = "gan"
    all = "all"


def _config(path: Path | None) -> TPCConfig:
    from nulearn.detector.tpc.physics.config import TPCConfig

    return TPCConfig() if path is None else TPCConfig.from_yaml(path)


@app.command("simulate")
def simulate_cmd(
    kind: EventKind = typer.Option(EventKind.bb, help="Event kind."),
    n: NEvents = 100,
    seed: Seed = 0,
    out: Path = typer.Option(
        Path("tpc_events.npz"), help="Output .npz (waveforms, deposits truth)."
    ),
    config: TPCConfigFile = None,
) -> None:
    """Simulate raw U-wire waveforms (n, 76, 1024) in electrons."""
    from nulearn.detector.tpc.study.events import simulate_events

    typer.echo(simulate_events(kind.value, n, _config(config), seed, out))


@app.command("reconstruct")
def reconstruct_cmd(
    data: Path = typer.Option(..., help="Events written by `simulate`."),
    out: Path = typer.Option(Path("tpc_reco.csv"), help="Per-event CSV of conventional features."),
    config: TPCConfigFile = None,
    threshold: float = typer.Option(5.0, min=0.0, help="Matched-filter threshold in noise sigmas."),
) -> None:
    """Conventional reconstruction: matched filter, template fit, lifetime correction, site count."""
    from nulearn.detector.tpc.study.events import reconstruct_events

    typer.echo(reconstruct_events(data, out, _config(config), threshold))


@app.command("train")
def train_cmd(
    task: Task = typer.Option(Task.energy, help="Study (all: the three)."),
    n_train: int = typer.Option(2000, min=8, help="Training events."),
    n_test: int = typer.Option(600, min=8, help="Test events."),
    epochs: MaxEpochs = 6,
    members: int = typer.Option(3, min=1, help="Energy-CNN ensemble members."),
    pitfall_epochs: int | None = typer.Option(
        None, min=1, help="Epochs of the line-training pitfall networks (default: --epochs)."
    ),
    warm_start_steps: int = typer.Option(
        1000, min=0, help="WGAN-GP: generator steps fitting the conditional mean before the game."
    ),
    threads: Threads = 1,
    seed: Seed = 0,
    out: Path = typer.Option(
        Path("reports/detector-tpc"), help="Report folder (and gan.pt for task gan)."
    ),
    config: TPCConfigFile = None,
    progress: Progress = True,
) -> None:
    """Train and evaluate: energy CNN, site discriminator, or WGAN-GP; writes a report section."""
    from nulearn.detector.tpc.study.run import STUDIES, run_studies

    tpc = _config(config)
    with reporter(progress) as rep:
        result = run_studies(
            STUDIES if task is Task.all else (task.value,),
            out,
            n_train,
            n_test,
            tpc,
            seed,
            epochs,
            members,
            threads,
            pitfall_epochs=pitfall_epochs,
            warm_start_steps=warm_start_steps,
            log=rep.line,
        )
    typer.echo(result.summary())
    typer.echo(f"report -> {result.report}")


@app.command("generate")
def generate_cmd(
    model: Path = typer.Option(..., help="gan.pt written by `train --task gan`."),
    n: NEvents = 100,
    energy: float | None = typer.Option(
        None,
        help="Fixed energy in keV, inside the generator's training range (default: uniform "
        "over that range, 0.5-3.5 MeV for the generators `train` makes).",
    ),
    seed: int = typer.Option(0, help="Random seed for the labels and latents."),
    out: Path = typer.Option(Path("tpc_generated.npz"), help="Output .npz with images and labels."),
    config: TPCConfigFile = None,
) -> None:
    """Generate waveform images (n, 76, 128) with the conditional WGAN-GP."""
    from nulearn.detector.tpc.study.events import generate_events

    typer.echo(generate_events(model, n, _config(config), out, energy, seed))
