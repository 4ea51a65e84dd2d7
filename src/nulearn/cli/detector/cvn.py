"""``nulearn detector cvn ...``: a thin layer over :mod:`nulearn.detector.cvn`.

``train`` cross-validates the multi-view CNN against the hand-feature BDT and writes a run
folder (whole, or not at all), reporting each fold and epoch on stderr unless ``--no-progress``;
``evaluate`` and ``explain`` read that folder and write Markdown reports with figures. Outputs
are checked before any work; refusals are one ``nulearn: error:`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nulearn.cli.options import MaxEpochs, Patience, Progress, ReportDir, Seed, Threads
from nulearn.cli.progress import reporter

__all__ = ["app", "evaluate", "explain", "train"]

app = typer.Typer(no_args_is_help=True)

#: A run folder written by ``nulearn detector cvn train``.
RunDir = Annotated[Path, typer.Option(help="Run folder written by `train`.")]


@app.command()
def train(
    out: Path = typer.Option(Path("runs/detector-cvn"), help="Run folder to write."),
    data: Path | None = typer.Option(
        None, help="DUNE CVN sample folder (default $NULEARN_DUNE_CVN or ../shared/data/dune-cvn)."
    ),
    per_class: int | None = typer.Option(
        None,
        min=2,
        help="Events per flavour class (default all; more than the sample holds is refused).",
    ),
    folds: int = typer.Option(5, min=2, help="k of the k-fold cross-validation."),
    max_epochs: MaxEpochs = 25,
    patience: Patience = 5,
    ensemble: int = typer.Option(
        2, min=0, help="Extra CNNs for the deep ensemble (trained on fold 0)."
    ),
    tune_trials: int = typer.Option(
        0, min=0, help="Optuna trials before training (0: use defaults)."
    ),
    image_size: int = typer.Option(
        48, min=8, max=500, help="Pixels per view side after crop and pooling."
    ),
    threads: Threads = 1,
    seed: Seed = 0,
    progress: Progress = True,
) -> None:
    """Cross-validate the multi-view CNN and the hand-feature BDT on the same folds."""
    from nulearn.detector.cvn.data.pixel_maps import PixelMapConfig
    from nulearn.detector.cvn.study.run import CVNSettings, run_study

    settings = CVNSettings(
        data_dir=None if data is None else str(data),
        per_class=per_class,
        n_folds=folds,
        max_epochs=max_epochs,
        patience=patience,
        ensemble_members=ensemble,
        tune_trials=tune_trials,
        num_threads=threads,
        seed=seed,
        pixels=PixelMapConfig.for_image_size(image_size),
    )
    with reporter(progress) as rep:
        run = run_study(settings, out, rep.bar, rep.line)
    typer.echo(f"{run.describe()} -> {out}")


@app.command()
def evaluate(
    run: RunDir = Path("runs/detector-cvn"),
    out: ReportDir = Path("reports/detector"),
    mc_samples: int = typer.Option(10, min=1, help="MC-dropout passes."),
) -> None:
    """Efficiency, purity, confusion, ROC, energy dependence, calibration and OOD uncertainty."""
    from nulearn.detector.cvn.study.report import write_evaluation

    typer.echo(f"report -> {write_evaluation(run, out, mc_samples)}")


@app.command()
def explain(
    run: RunDir = Path("runs/detector-cvn"),
    out: ReportDir = Path("reports/detector-explain"),
    per_class: int = typer.Option(1, min=1, help="Events per class to attribute."),
    tsne: bool = typer.Option(True, help="Also draw a t-SNE embedding (PCA always)."),
) -> None:
    """Saliency, integrated gradients, occlusion maps and feature embeddings as figures."""
    from nulearn.detector.cvn.study.report import write_explanation

    typer.echo(f"report -> {write_explanation(run, out, per_class, tsne)}")
