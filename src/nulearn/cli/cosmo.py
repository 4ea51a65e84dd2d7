"""``nulearn cosmo ...`` commands: simulate maps, train the CNN, evaluate against baselines, saliency."""

from __future__ import annotations

import json
import shutil
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from nulearn.cli.options import MaxEpochs, Patience, ReportDir, Seed, Threads

if TYPE_CHECKING:
    from nulearn.cosmo.maps import MapSet
    from nulearn.ml.report import Report

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


class FieldKind(StrEnum):
    """Map statistics."""

    gaussian = "gaussian"
    lognormal = "lognormal"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    )


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
    m_nu: float = typer.Option(0.1, min=0.0, max=0.3, help="M_ν of the massive class in eV."),
    regression: bool = typer.Option(False, help="Draw M_ν ~ U(0, 0.3 eV) instead of two classes."),
    spectra: Path | None = typer.Option(
        None, help="C_ℓ table (.npz); computed with CAMB and saved there if absent."
    ),
    seed: Seed = 0,
) -> None:
    """Simulate convergence maps of massless vs massive neutrino cosmologies into HDF5."""
    from nulearn.cosmo.maps import MapConfig, SpectrumTable, save_maps
    from nulearn.cosmo.maps import simulate as simulate_maps
    from nulearn.cosmo.theory import Cosmology

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
    nodes = (0.0, 0.1, 0.2, 0.3) if regression else (0.0, m_nu)
    fiducial = Cosmology()
    if spectra is not None and spectra.exists():
        table = SpectrumTable.load(spectra)
    else:
        table = SpectrumTable.from_theory(fiducial, nodes, z_source, progress=typer.echo)
        if spectra is not None:
            table.save(spectra)
    rng = np.random.default_rng(seed)
    if regression:
        masses = rng.uniform(0.0, 0.3, n_per_class)
        labels = np.full(n_per_class, -1)
    else:
        labels = rng.permutation(np.repeat([0, 1], n_per_class))
        masses = np.where(labels == 1, m_nu, 0.0)
    with _progress() as bar:
        task = bar.add_task("simulating maps", total=masses.size)
        mapset = simulate_maps(
            table,
            config,
            masses,
            seed=seed,
            fiducial=fiducial,
            labels=labels,
            progress=lambda k: bar.advance(task, k),
        )
    save_maps(mapset, out)
    typer.echo(f"wrote {masses.size} maps of {n_pix}² to {out}")


@app.command()
def train(
    maps: Path = typer.Option(..., exists=True, help="Training maps (HDF5 from `simulate`)."),
    out: Path = typer.Option(..., help="Model file to write (.pt)."),
    epochs: MaxEpochs = 20,
    patience: Patience = 5,
    tune: int = typer.Option(0, min=0, help="Optuna trials before the final fit (0: defaults)."),
    ensemble: int = typer.Option(1, min=1, help="Regression only: deep-ensemble size."),
    threads: Threads = 2,
    seed: Seed = 0,
) -> None:
    """Train the CNN classifier (or the M_ν regressor on a --regression map set)."""
    from nulearn.cosmo.cnn import CNNClassifier, CNNConfig, tune_classifier
    from nulearn.cosmo.maps import load_maps
    from nulearn.cosmo.regression import CNNRegressor
    from nulearn.ml.training import TrainerConfig

    mapset = load_maps(maps)
    # best-validation weights are restored from this checkpoint folder after early stopping
    checkpoints = out.parent / f".{out.stem}_checkpoints"
    tcfg = TrainerConfig(
        max_epochs=epochs,
        patience=patience,
        accelerator="auto",
        seed=seed,
        progress_bar=True,
        num_threads=threads,
        checkpoint_dir=str(checkpoints),
    )
    config = CNNConfig()
    if np.all(mapset.labels < 0):
        reg = CNNRegressor(config, tcfg, n_members=ensemble).fit(mapset.maps, mapset.m_nu)
        reg.save(str(out))
        shutil.rmtree(checkpoints, ignore_errors=True)
        typer.echo(f"trained a {ensemble}-member M_nu regressor; saved to {out}")
        return
    if tune:
        config, study = tune_classifier(
            mapset.maps,
            mapset.labels,
            tune,
            base=config,
            trainer=tcfg,
            study_name=out.stem,
            directory=str(out.parent),
            seed=seed,
        )
        typer.echo(f"best of {len(study.trials)} trials: {json.dumps(config.to_dict())}")
    clf = CNNClassifier(config, tcfg).fit(mapset.maps, mapset.labels)
    clf.save(str(out))
    shutil.rmtree(checkpoints, ignore_errors=True)
    typer.echo(f"trained CNN classifier; saved to {out}")


@app.command()
def evaluate(
    train_maps: Path = typer.Option(
        ..., "--train", exists=True, help="Maps the baselines are fitted on."
    ),
    test_maps: Path = typer.Option(..., "--test", exists=True, help="Held-out test maps."),
    model: Path | None = typer.Option(
        None, exists=True, help="Model from `train` (omit: baselines only)."
    ),
    theory_check: bool = typer.Option(
        False, help="Add C_ℓ-vs-CAMB and map-power checks (runs CAMB)."
    ),
    out: ReportDir = Path("reports/cosmo"),
) -> None:
    """Score the CNN against the likelihood-ratio and peak-count baselines (or the M_ν regressor
    against the Fisher bound, with interval coverage); write a report."""
    from nulearn.cosmo.maps import load_maps
    from nulearn.ml.report import Report

    train_set, test_set = load_maps(train_maps), load_maps(test_maps)
    report = Report("nulearn cosmo: neutrino mass from weak-lensing maps")
    if np.all(test_set.labels < 0):
        _evaluate_regression(report, test_set, model)
    else:
        _evaluate_classification(report, train_set, test_set, model)
    if theory_check:
        _theory_check(report, test_set)
    typer.echo(f"report: {report.write(out)}")


def _evaluate_classification(
    report: Report, train_set: MapSet, test_set: MapSet, model: Path | None
) -> None:
    import pandas as pd

    from nulearn.cosmo.cnn import CNNClassifier
    from nulearn.cosmo.evaluation import accuracy_with_error, compare_paired, run_baselines, verdict
    from nulearn.cosmo.report import classification_section

    with _progress() as bar:
        task = bar.add_task("baselines and CNN", total=2 if model else 1)
        base = run_baselines(train_set, test_set)
        bar.advance(task)
        table = base.table
        status = None
        if model is not None:
            clf = CNNClassifier.load(str(model))
            pred = clf.predict(test_set.maps)
            acc, err = accuracy_with_error(test_set.labels, pred)
            cnn_row = pd.DataFrame([{"method": "CNN", "accuracy": acc, "stderr": err}])
            table = pd.concat([table, cnn_row], ignore_index=True)
            cmp = compare_paired(
                test_set.labels, pred, base.predictions["power-spectrum likelihood ratio"]
            )
            status = (
                cmp,
                verdict(cmp) if test_set.config.field == "gaussian" else "n/a (lognormal)",
            )
            bar.advance(task)
    classification_section(report, test_set.config, table, status)
    typer.echo(table.to_string(index=False))
    if status is not None:
        typer.echo(
            f"CNN − likelihood ratio = {status[0].difference:+.4f} ± {status[0].stderr:.4f}: {status[1]}"
        )


def _evaluate_regression(report: Report, test_set: MapSet, model: Path | None) -> None:
    from nulearn.cosmo.baselines import fisher_forecast
    from nulearn.cosmo.evaluation import analysis_binning
    from nulearn.cosmo.regression import CNNRegressor, interval_coverage
    from nulearn.cosmo.report import regression_section

    if model is None:
        raise typer.BadParameter("a regression test set needs --model (a regressor from `train`)")
    reg = CNNRegressor.load(str(model))
    mean, std = reg.predict_with_std(test_set.maps)
    coverage = interval_coverage(test_set.m_nu, mean, std)
    fisher_sigma = float("nan")
    if test_set.spectra is not None:
        lo, hi = float(test_set.spectra.m_nu.min()), float(test_set.spectra.m_nu.max())
        mid = 0.5 * (lo + hi)
        fisher = fisher_forecast(
            test_set.spectra,
            test_set.config,
            analysis_binning(test_set.config),
            (mid - 0.05, mid + 0.05),
        )
        fisher_sigma = fisher.sigma_m_nu
    regression_section(report, test_set.m_nu, mean, std, coverage, fisher_sigma)
    rmse = float(np.sqrt(np.mean((mean - test_set.m_nu) ** 2)))
    typer.echo(
        f"RMSE {rmse:.4f} eV, mean stated sigma {std.mean():.4f} eV, Fisher sigma {fisher_sigma:.4f} eV, "
        f"coverage {coverage}"
    )


def _theory_check(report: Report, test_set: MapSet) -> None:
    import pandas as pd

    from nulearn.cosmo.fourier import BandBinning, band_powers, ell_grid
    from nulearn.cosmo.maps import map_filter, noise_power
    from nulearn.cosmo.report import theory_section
    from nulearn.cosmo.theory import camb_convergence_cl, limber_convergence_cl

    ell = np.array([100, 300, 500, 1000, 2000, 3000, 5000])
    cosmo = test_set.fiducial.with_(m_nu=0.1)
    ours = limber_convergence_cl(cosmo, ell, test_set.config.z_source)
    camb_cl = camb_convergence_cl(cosmo, ell, test_set.config.z_source)
    rows = []
    if test_set.spectra is not None:
        cfg = test_set.config
        binning = BandBinning.logarithmic(cfg.n_pix, cfg.side_deg, 10, ell_max=cfg.ell_max)
        grid = ell_grid(cfg.n_pix, cfg.side_rad)
        for m in np.unique(test_set.m_nu)[:2]:
            sel = test_set.m_nu == m
            measured = band_powers(test_set.maps[sel], binning).mean(axis=0)
            theory = binning.bin_average(
                (
                    test_set.spectra.on_grid(grid, [m], test_set.amplitude[sel].mean())[0]
                    + noise_power(cfg.n_gal)
                )
                * map_filter(cfg, grid) ** 2
            )
            for e, r in zip(binning.ell_centres(), measured / theory - 1, strict=True):
                rows.append(
                    {"M_nu": float(m), "ell": round(float(e)), "measured/theory - 1": float(r)}
                )
    theory_section(report, ell, ours, camb_cl, pd.DataFrame(rows))


@app.command()
def saliency(
    model: Path = typer.Option(..., exists=True, help="CNN classifier from `train`."),
    maps: Path = typer.Option(..., exists=True, help="Maps to explain (HDF5)."),
    n_maps: int = typer.Option(8, min=1, help="Number of maps to attribute."),
    steps: int = typer.Option(32, min=2, help="Integrated-gradients steps."),
    out: ReportDir = Path("reports/cosmo_saliency"),
) -> None:
    """Integrated gradients split into over- and under-dense pixels, with occlusion as a cross-check."""
    from nulearn.cosmo.cnn import CNNClassifier
    from nulearn.cosmo.maps import load_maps
    from nulearn.cosmo.report import saliency_section
    from nulearn.cosmo.saliency import (
        density_split,
        integrated_gradients,
        occlusion,
        rank_correlation,
    )
    from nulearn.ml.report import Report

    clf = CNNClassifier.load(str(model))
    mapset = load_maps(maps)
    kappa = mapset.maps[:n_maps]
    with _progress() as bar:
        task = bar.add_task("attributions", total=2)
        ig, delta = integrated_gradients(clf.module_, kappa, clf.scale_, steps)
        bar.advance(task)
        window = max(2, mapset.config.n_pix // 8)
        occ = occlusion(clf.module_, kappa, clf.scale_, window=window, stride=max(1, window // 2))
        bar.advance(task)
    split = density_split(kappa, ig)
    corr = rank_correlation(np.abs(ig), np.abs(occ))
    report = Report("nulearn cosmo: saliency")
    saliency_section(report, kappa, ig, occ, split, corr, float(np.abs(delta).max()))
    path = report.write(out)
    typer.echo(
        f"|IG| share over-dense {split.share_overdense:.3f}, under-dense {split.share_underdense:.3f}; "
        f"Spearman(|IG|, |occlusion|) = {corr:.3f}"
    )
    typer.echo(f"report: {path}")
