"""``nulearn detector segment ...``: cosmic/neutrino segmentation of LArTPC wire-plane images.

A thin layer over :mod:`nulearn.detector.lartpc`: ``simulate`` writes labelled images (.npz),
``train`` fits the UNet to them (a run folder with ``model.pt`` and ``run.yaml``), ``evaluate``
scores a run and the Hough/timing baseline on a held-out set against the CosmicTagger figures
(report.md with figures), and ``study`` does all of it in one folder. Outputs are checked before
any work and written whole or not at all; refusals are one ``nulearn: error:`` line.
"""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import MaxEpochs, NEvents, Patience, Progress, ReportDir, Seed, Threads
from nulearn.cli.progress import reporter

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

ImageSize = typer.Option(
    128, help="Image side in pixels over 512 wires x 2 m drift (32, 64, 128, 256 or 512)."
)
BaseChannels = typer.Option(8, min=1, help="UNet channels at full resolution.")
Depth = typer.Option(4, min=1, max=7, help="UNet down-sampling levels.")


@app.command("simulate")
def simulate_cmd(
    n: NEvents = 200,
    seed: Seed = 0,
    image_size: int = ImageSize,
    out: Path = typer.Option(Path("lartpc_images.npz"), help="Output .npz (images, labels)."),
    progress: Progress = True,
) -> None:
    """Simulate SBND-like wire-plane images: cosmics and one neutrino each, per-pixel labels."""
    from nulearn.detector.lartpc.physics.config import LArTPCConfig
    from nulearn.detector.lartpc.study.run import simulate_file

    config = LArTPCConfig.for_image_size(image_size)
    with reporter(progress) as rep:
        typer.echo(simulate_file(n, config, seed, out, rep.bar))


@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., help="Training images written by `simulate`."),
    out: Path = typer.Option(Path("runs/detector-segment"), help="Run folder to write."),
    epochs: MaxEpochs = 10,
    patience: Patience = 4,
    base_channels: int = BaseChannels,
    depth: int = Depth,
    threads: Threads = 1,
    seed: Seed = 0,
    progress: Progress = True,
) -> None:
    """Train the UNet (class-weighted cross-entropy, early stopping on a split of the data)."""
    from nulearn.detector.lartpc.study.run import TrainSettings, train_run

    settings = TrainSettings(
        base_channels=base_channels,
        depth=depth,
        max_epochs=epochs,
        patience=patience,
        seed=seed,
        num_threads=threads,
    )
    with reporter(progress):
        typer.echo(train_run(data, out, settings))


@app.command("evaluate")
def evaluate_cmd(
    run: Path = typer.Option(Path("runs/detector-segment"), help="Run folder written by `train`."),
    data: Path = typer.Option(..., help="Held-out images written by `simulate` (another seed)."),
    out: ReportDir = Path("reports/detector-segment"),
    progress: Progress = True,
) -> None:
    """Per-class IoU, pixel accuracy and confusion of the UNet and the baseline; a report."""
    from nulearn.detector.lartpc.study.run import evaluate_run

    with reporter(progress) as rep:
        result = evaluate_run(run, data, out, rep.bar)
    typer.echo(result.summary())
    typer.echo(f"report -> {result.report}")


@app.command("study")
def study_cmd(
    out: Path = typer.Option(Path("reports/detector-segment"), help="Folder: report, model."),
    n_train: int = typer.Option(1000, min=4, help="Training images."),
    n_test: int = typer.Option(200, min=1, help="Held-out test images."),
    image_size: int = ImageSize,
    epochs: MaxEpochs = 12,
    patience: Patience = 4,
    base_channels: int = BaseChannels,
    depth: int = Depth,
    threads: Threads = 1,
    seed: Seed = 0,
    progress: Progress = True,
) -> None:
    """Simulate, train, evaluate and report in one folder."""
    from nulearn.detector.lartpc.physics.config import LArTPCConfig
    from nulearn.detector.lartpc.study.run import TrainSettings, run_study

    config = LArTPCConfig.for_image_size(image_size)
    settings = TrainSettings(
        base_channels=base_channels,
        depth=depth,
        max_epochs=epochs,
        patience=patience,
        seed=seed,
        num_threads=threads,
    )
    with reporter(progress) as rep:
        result = run_study(out, n_train, n_test, config, settings, rep.bar, rep.line)
    typer.echo(result.summary())
    typer.echo(f"report -> {result.report}")
