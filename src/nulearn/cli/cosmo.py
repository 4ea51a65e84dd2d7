"""``nulearn cosmo ...`` commands: simulate maps, train the CNN, evaluate against baselines, saliency.

A thin layer over :mod:`nulearn.cosmo.study.run`: each command parses its options, calls one step
of the study and prints what it returns. The step checks its output before it starts and its
inputs as it reads them; refusals reach the user as one ``nulearn: error:`` line. Progress goes to
stderr (:mod:`nulearn.cli.progress`; ``--no-progress`` silences it).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from nulearn.cli.options import MaxEpochs, Patience, Progress, ReportDir, Seed, Threads
from nulearn.cli.progress import reporter

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


class FieldKind(StrEnum):
    """Map statistics."""

    gaussian = "gaussian"
    lognormal = "lognormal"


@app.command()
def simulate(
    out: Path = typer.Option(..., help="HDF5 file to write."),
    n_per_class: int = typer.Option(
        200, min=1, help="Maps per class (classification) or in total (--regression)."
    ),
    n_pix: int = typer.Option(256, min=8, help="Pixels per side (even)."),
    side_deg: float = typer.Option(3.5, min=0.1, max=20.0, help="Map side in degrees."),
    field: FieldKind = typer.Option(FieldKind.gaussian, help="Gaussian or lognormal convergence."),
    n_gal: float = typer.Option(30.0, min=0.0, help="Galaxies per arcmin² (0: no shape noise)."),
    z_source: float = typer.Option(1.0, min=0.05, max=3.0, help="Source redshift."),
    ell_max: float = typer.Option(0.0, min=0.0, help="Band limit ℓ_max (0: none)."),
    smoothing_arcmin: float = typer.Option(
        0.0, min=0.0, help="Gaussian smoothing σ in arcmin (0: none)."
    ),
    jitter: float = typer.Option(
        0.015, min=0.0, max=0.19, help="Fractional A_s scatter inside each class."
    ),
    m_nu: float = typer.Option(
        0.1, min=0.0, max=0.3, help="M_ν of the massive class in eV (> 0; the other is 0)."
    ),
    regression: bool = typer.Option(False, help="Draw M_ν ~ U(0, 0.3 eV) instead of two classes."),
    spectra: Path | None = typer.Option(
        None, help="C_ℓ table (.npz); computed with CAMB and saved there if absent."
    ),
    seed: Seed = 0,
    progress: Progress = True,
) -> None:
    """Simulate convergence maps of massless vs massive neutrino cosmologies into HDF5."""
    from nulearn.cosmo.data.maps import MapConfig
    from nulearn.cosmo.study.run import simulate_map_file

    config = MapConfig(
        n_pix=n_pix,
        side_deg=side_deg,
        field=field.value,
        z_source=z_source,
        n_gal=n_gal or None,
        smoothing_arcmin=smoothing_arcmin or None,
        ell_max=ell_max or None,
        amplitude_jitter=jitter,
    )
    with reporter(progress) as rep:
        mapset = simulate_map_file(
            out,
            config,
            n_per_class,
            m_nu=m_nu,
            regression=regression,
            spectra=spectra,
            seed=seed,
            log=rep.line,
            progress=rep.bar,
        )
    typer.echo(f"wrote {len(mapset)} maps of {n_pix}² to {out}")


@app.command()
def train(
    maps: Path = typer.Option(..., help="Training maps (HDF5 from `simulate`)."),
    out: Path = typer.Option(..., help="Model file to write (.pt)."),
    epochs: MaxEpochs = 20,
    patience: Patience = 5,
    tune: int = typer.Option(0, min=0, help="Optuna trials before the final fit (0: defaults)."),
    ensemble: int = typer.Option(1, min=1, help="Regression only: deep-ensemble size."),
    threads: Threads = 2,
    seed: Seed = 0,
    progress: Progress = True,
) -> None:
    """Train the CNN classifier (or the M_ν regressor on a --regression map set)."""
    from nulearn.cosmo.study.run import train as train_model

    with reporter(progress):
        summary = train_model(
            maps,
            out,
            max_epochs=epochs,
            patience=patience,
            tune_trials=tune,
            ensemble=ensemble,
            num_threads=threads,
            seed=seed,
        )
    typer.echo(summary)


@app.command()
def evaluate(
    train_maps: Path = typer.Option(..., "--train", help="Maps the baselines are fitted on."),
    test_maps: Path = typer.Option(..., "--test", help="Held-out test maps."),
    model: Path | None = typer.Option(None, help="Model from `train` (omit: baselines only)."),
    theory_check: bool = typer.Option(
        False, help="Add C_ℓ-vs-CAMB and map-power checks (runs CAMB)."
    ),
    out: ReportDir = Path("reports/cosmo"),
    progress: Progress = True,
) -> None:
    """Score the CNN against the likelihood-ratio and peak-count baselines (or the M_ν regressor
    against the Fisher bound, with interval coverage); write a report."""
    from nulearn.cosmo.study.run import evaluate as evaluate_model

    with reporter(progress) as rep:
        result = evaluate_model(train_maps, test_maps, out, model, theory_check, rep.bar)
    typer.echo(result.summary())
    typer.echo(f"report: {result.report}")


@app.command()
def saliency(
    model: Path = typer.Option(..., help="CNN classifier from `train`."),
    maps: Path = typer.Option(..., help="Maps to explain (HDF5)."),
    n_maps: int = typer.Option(8, min=1, help="Number of maps to attribute."),
    steps: int = typer.Option(32, min=2, help="Integrated-gradients steps."),
    out: ReportDir = Path("reports/cosmo_saliency"),
    progress: Progress = True,
) -> None:
    """Integrated gradients split into over- and under-dense pixels, with occlusion as a cross-check."""
    from nulearn.cosmo.study.run import explain

    with reporter(progress) as rep:
        result = explain(model, maps, out, n_maps, steps, rep.bar)
    typer.echo(result.summary())
    typer.echo(f"report: {result.report}")
