"""The cosmology study step by step, as the ``nulearn cosmo`` commands run it: simulate map sets,
train the CNN (or the M_ν regressor), evaluate it against the baselines, attribute its decisions.

Each step reads and writes files (HDF5 maps, weights-only ``.pt`` models, Markdown reports) and
returns what it measured; printing is left to the caller. Every step checks that its output can be
written before it starts, reads its inputs checked (:func:`~nulearn.cosmo.data.files.load_maps`)
and writes through a temporary file renamed into place, so a refused or failed step leaves
nothing behind. Long steps report progress through a :data:`Progress` callback:
``progress(description, total)`` returns a function that is called with the number of units just
finished; training epochs go to :func:`nulearn.ml.progress.epoch_log`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nulearn.cosmo.data.files import MAP_SUFFIXES, load_maps, save_maps
from nulearn.cosmo.data.maps import MapConfig, MapSet, SpectrumTable, simulate_maps
from nulearn.cosmo.evaluation.comparison import (
    PairedComparison,
    accuracy_with_error,
    compare_paired,
    run_baselines,
    verdict,
)
from nulearn.cosmo.evaluation.regression import RegressionScores, regression_scores
from nulearn.cosmo.evaluation.saliency import (
    DensitySplit,
    density_split,
    map_integrated_gradients,
    map_occlusion,
    rank_correlation,
)
from nulearn.cosmo.evaluation.theory_check import theory_check
from nulearn.cosmo.study.report import (
    classification_section,
    regression_section,
    saliency_section,
    theory_section,
)
from nulearn.cosmo.theory.power import Cosmology
from nulearn.ml.io import atomic_output, check_output
from nulearn.ml.progress import Progress, epoch_log, no_progress
from nulearn.ml.report import Report

if TYPE_CHECKING:
    from nulearn.cosmo.models.classifier import CNNClassifier

__all__ = [
    "REGRESSION_NODES_EV",
    "Classification",
    "Evaluation",
    "Progress",
    "Saliency",
    "classify",
    "evaluate",
    "explain",
    "simulate_map_file",
    "train",
]

#: M_ν nodes (eV) of the spectrum table of a regression map set (M_ν ~ U(0, 0.3 eV)).
REGRESSION_NODES_EV: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)


def simulate_map_file(
    out: str | Path,
    config: MapConfig,
    n_maps: int,
    *,
    m_nu: float = 0.1,
    regression: bool = False,
    spectra: str | Path | None = None,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    progress: Progress = no_progress,
) -> MapSet:
    """Simulate maps of massless vs massive cosmologies (or M_ν ~ U(0, 0.3 eV)) into HDF5.

    Args:
        out: HDF5 file to write.
        config: how the maps are made.
        n_maps: maps per class, or in total for ``regression``.
        m_nu: M_ν of the massive class in eV.
        regression: draw M_ν uniformly in [0, 0.3] eV, unlabelled, instead of two classes.
        spectra: C_ℓ table (.npz); computed with CAMB and saved there when absent.
        seed: seed of the labels, the amplitudes and the maps.
        log: receives CAMB's progress lines.
        progress: see the module docstring.
    """
    check_output(out, suffixes=MAP_SUFFIXES, what="--out (map file)")
    if n_maps < 1:
        raise ValueError(f"number of maps = {n_maps}; allowed range [1, inf)")
    if not regression and not (np.isfinite(m_nu) and m_nu > 0):
        raise ValueError(
            f"M_ν of the massive class = {m_nu} eV: it must be > 0 (massless against massless "
            "is no classification); allowed range (0, 0.3] eV"
        )
    nodes = REGRESSION_NODES_EV if regression else (0.0, m_nu)
    fiducial = Cosmology()
    if spectra is not None and Path(spectra).exists():
        table = SpectrumTable.load(spectra)
        table.check_covers(nodes, config.z_source, f"spectrum table {spectra}")
    else:
        if spectra is not None:
            check_output(spectra, suffixes=(".npz",), what="--spectra (C_ℓ table)")
        table = SpectrumTable.from_theory(fiducial, nodes, config.z_source, progress=log)
        if spectra is not None:
            table.save(spectra)
    rng = np.random.default_rng(seed)
    if regression:
        masses = rng.uniform(0.0, 0.3, n_maps)
        labels = np.full(n_maps, -1)
    else:
        labels = rng.permutation(np.repeat([0, 1], n_maps))
        masses = np.where(labels == 1, m_nu, 0.0)
    mapset = simulate_maps(
        table,
        config,
        masses,
        seed=seed,
        fiducial=fiducial,
        labels=labels,
        progress=progress("simulating maps", masses.size),
    )
    save_maps(mapset, out)
    return mapset


def train(
    maps: str | Path,
    out: str | Path,
    *,
    max_epochs: int = 20,
    patience: int = 5,
    tune_trials: int = 0,
    ensemble: int = 1,
    num_threads: int | None = None,
    seed: int = 0,
) -> str:
    """Train the CNN classifier, or the M_ν regressor on an unlabelled (regression) map set, and
    save it to ``out`` (weights-only ``.pt``); returns a one-line summary.

    The best-validation weights are restored from a checkpoint folder beside ``out`` that is
    removed afterwards. Maps with a non-finite pixel are refused before training, and a loss
    that becomes NaN stops training with an error (:class:`~nulearn.ml.training.TrainingDiverged`);
    either way no model file is written. Epochs are reported to
    :func:`nulearn.ml.progress.epoch_log`.

    Args:
        maps: training maps (HDF5 from :func:`simulate_map_file`).
        out: model file to write.
        max_epochs, patience: training loop; early stopping on the validation loss.
        tune_trials: Optuna trials before the final fit (0: default hyperparameters; classifier).
        ensemble: regressor only: deep-ensemble size.
        num_threads: PyTorch CPU threads.
        seed: seed of the split, the initialisation and the batches.
    """
    from nulearn.cosmo.models.classifier import CNNClassifier
    from nulearn.cosmo.models.network import LensingCNNConfig
    from nulearn.cosmo.models.regressor import CNNRegressor
    from nulearn.ml.training import TrainerConfig

    out = check_output(out, suffixes=(".pt",), what="--out (model file)")
    for name, value, lo in (("epochs", max_epochs, 1), ("patience", patience, 1)):
        if value < lo:
            raise ValueError(f"{name} = {value}; allowed range [{lo}, inf)")
    if ensemble < 1 or tune_trials < 0:
        raise ValueError(f"ensemble = {ensemble} must be >= 1 and tune trials = {tune_trials} >= 0")
    mapset = load_maps(maps)
    regression = bool(np.all(mapset.labels < 0))
    if not regression:
        classes = np.unique(mapset.labels)
        if classes.size != 2:
            raise ValueError(
                f"map file {maps}: every map has label {classes[0]}; a classifier needs maps of "
                "both classes (0 massless, 1 massive)"
            )
    if len(mapset) < 4:
        raise ValueError(f"map file {maps}: {len(mapset)} maps; training needs at least 4")
    checkpoints = out.parent / f".{out.stem}_checkpoints"
    tcfg = TrainerConfig(
        max_epochs=max_epochs,
        patience=patience,
        accelerator="auto",
        seed=seed,
        num_threads=num_threads,
        checkpoint_dir=str(checkpoints),
    )
    config = LensingCNNConfig()
    try:
        if regression:
            model: CNNClassifier | CNNRegressor = CNNRegressor(config, tcfg, n_members=ensemble)
            with epoch_log(label="M_nu regressor: "):
                model.fit(mapset.maps, mapset.m_nu)
            summary = f"trained a {ensemble}-member M_nu regressor; saved to {out}"
        else:
            tuned = ""
            if tune_trials:
                from nulearn.cosmo.models.tuning import tune_classifier

                with epoch_log(label="tuning: "):
                    config, study = tune_classifier(
                        mapset.maps,
                        mapset.labels,
                        tune_trials,
                        base=config,
                        trainer=tcfg,
                        study_name=out.stem,
                        directory=str(out.parent),
                        seed=seed,
                    )
                tuned = f"best of {len(study.trials)} trials: {json.dumps(config.to_dict())}; "
            model = CNNClassifier(config, tcfg)
            with epoch_log(label="CNN classifier: "):
                model.fit(mapset.maps, mapset.labels)
            summary = f"{tuned}trained CNN classifier; saved to {out}"
        with atomic_output(out) as tmp:
            model.save(tmp)
        return summary
    finally:
        shutil.rmtree(checkpoints, ignore_errors=True)


@dataclass(frozen=True)
class Classification:
    """CNN and baselines on the same test maps.

    Attributes:
        table: one row per method: ``method``, ``accuracy``, ``stderr``.
        comparison: CNN − likelihood ratio (paired) and its verdict; ``None`` without a CNN.
    """

    table: pd.DataFrame
    comparison: tuple[PairedComparison, str] | None

    def summary(self) -> str:
        """The table and, with a CNN, the paired difference and its verdict."""
        lines = [self.table.to_string(index=False)]
        if self.comparison is not None:
            cmp, status = self.comparison
            lines.append(
                f"CNN − likelihood ratio = {cmp.difference:+.4f} ± {cmp.stderr:.4f}: {status}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` measured and where it wrote the report."""

    report: Path
    classification: Classification | None
    regression: RegressionScores | None

    def summary(self) -> str:
        """The scores as the command prints them."""
        part = self.classification or self.regression
        return part.summary() if part is not None else ""


def classify(
    train_set: MapSet,
    test_set: MapSet,
    model: CNNClassifier | str | Path | None,
    progress: Progress = no_progress,
) -> Classification:
    """Fit the baselines on ``train_set``, score them and the CNN ``model`` (or the one in that
    file) on ``test_set``."""
    from nulearn.cosmo.models.classifier import CNNClassifier

    if model is not None and not isinstance(model, CNNClassifier):
        model = CNNClassifier.load(model)
    advance = progress("baselines and CNN", 1 if model is None else 2)
    base = run_baselines(train_set, test_set)
    advance(1)
    if model is None:
        return Classification(base.table, None)
    pred = model.predict(test_set.maps)
    acc, err = accuracy_with_error(test_set.labels, pred)
    cnn_row = pd.DataFrame([{"method": "CNN", "accuracy": acc, "stderr": err}])
    cmp = compare_paired(test_set.labels, pred, base.predictions["power-spectrum likelihood ratio"])
    # the likelihood ratio is the optimum only on Gaussian maps
    status = verdict(cmp) if test_set.config.field == "gaussian" else "n/a (lognormal)"
    advance(1)
    return Classification(pd.concat([base.table, cnn_row], ignore_index=True), (cmp, status))


def evaluate(
    train_maps: str | Path,
    test_maps: str | Path,
    out_dir: str | Path,
    model: str | Path | None = None,
    theory: bool = False,
    progress: Progress = no_progress,
) -> Evaluation:
    """Score the CNN against the likelihood-ratio and peak-count baselines (or the M_ν regressor
    against the Fisher bound, with interval coverage) and write a report to ``out_dir``.

    The CNN − likelihood-ratio verdict is "undecided" when the test set is too small to decide
    it (:func:`~nulearn.cosmo.evaluation.comparison.verdict`).

    Args:
        train_maps: maps the baselines are fitted on.
        test_maps: held-out test maps (unlabelled: a regression test set).
        out_dir: report folder.
        model: model file from :func:`train` (a regression test set needs one).
        theory: add the C_ℓ-vs-CAMB and map-power checks (runs CAMB).
        progress: see the module docstring.
    """
    from nulearn.cosmo.models.classifier import CNNClassifier
    from nulearn.cosmo.models.regressor import CNNRegressor

    check_output(out_dir, directory=True, what="--out (report folder)")
    train_set, test_set = load_maps(train_maps), load_maps(test_maps)
    if train_set.config != test_set.config:
        changed = [
            f"{k} {v!r} vs {test_set.config.to_dict()[k]!r}"
            for k, v in train_set.config.to_dict().items()
            if test_set.config.to_dict()[k] != v
        ]
        raise ValueError(
            f"--train {train_maps} and --test {test_maps} were made with different map "
            f"settings ({', '.join(changed)})"
        )
    report = Report("nulearn cosmo: neutrino mass from weak-lensing maps")
    classification = regression = None
    if np.all(test_set.labels < 0):
        if model is None:
            raise ValueError(f"{test_maps}: a regression test set needs a model (a regressor)")
        regressor = CNNRegressor.load(model)
        regression = regression_scores(test_set, *regressor.predict_with_std(test_set.maps))
        regression_section(report, regression)
    else:
        if np.all(train_set.labels < 0):
            raise ValueError(
                f"--train {train_maps}: a regression map set (no class labels); the baselines "
                "of a classification test set are fitted on labelled maps"
            )
        # the model is read (and refused) before the baselines spend any time
        cnn = None if model is None else CNNClassifier.load(model)
        classification = classify(train_set, test_set, cnn, progress)
        classification_section(
            report, test_set.config, classification.table, classification.comparison
        )
    if theory:
        theory_section(report, theory_check(test_set))
    return Evaluation(report.write(out_dir), classification, regression)


@dataclass(frozen=True)
class Saliency:
    """Attributions of a few maps and where the report went.

    Attributes:
        report: the Markdown report.
        split: integrated gradients split by over- and under-dense pixels.
        rank_correlation: Spearman correlation of |integrated gradients| and |occlusion|.
    """

    report: Path
    split: DensitySplit
    rank_correlation: float

    def summary(self) -> str:
        """The density split and the cross-check as one line."""
        return (
            f"|IG| share over-dense {self.split.share_overdense:.3f}, "
            f"under-dense {self.split.share_underdense:.3f}; "
            f"Spearman(|IG|, |occlusion|) = {self.rank_correlation:.3f}"
        )


def explain(
    model: str | Path,
    maps: str | Path,
    out_dir: str | Path,
    n_maps: int = 8,
    n_steps: int = 32,
    progress: Progress = no_progress,
) -> Saliency:
    """Integrated gradients of the CNN on the first ``n_maps`` maps, split into over- and
    under-dense pixels, with occlusion (windows of 1/8 of the map) as the cross-check; writes a
    report to ``out_dir``. Attributions that are not finite (a network with NaN weights) are an
    error, never a report."""
    from nulearn.cosmo.models.classifier import CNNClassifier

    check_output(out_dir, directory=True, what="--out (report folder)")
    if n_maps < 1 or n_steps < 2:
        raise ValueError(f"maps = {n_maps} must be >= 1 and steps = {n_steps} >= 2")
    clf = CNNClassifier.load(model)
    mapset = load_maps(maps)
    if n_maps > len(mapset):
        raise ValueError(f"--n-maps {n_maps}: map file {maps} holds only {len(mapset)} maps")
    kappa = mapset.maps[:n_maps]
    advance = progress("attributions", 2)
    ig, delta = map_integrated_gradients(clf.module_, kappa, clf.scale_, n_steps)
    advance(1)
    window = max(2, mapset.config.n_pix // 8)
    occ = map_occlusion(clf.module_, kappa, clf.scale_, window=window, stride=max(1, window // 2))
    advance(1)
    for name, values in (("integrated gradients", ig), ("occlusion", occ)):
        bad = ~np.isfinite(values).all(axis=tuple(range(1, values.ndim)))
        if bad.any():
            raise ValueError(
                f"model {model}: {name} of map {int(np.argmax(bad))} of {maps} are not finite "
                "(the network's output is NaN: retrain it)"
            )
    split = density_split(kappa, ig)
    corr = rank_correlation(np.abs(ig), np.abs(occ))
    report = Report("nulearn cosmo: saliency")
    saliency_section(report, kappa, ig, occ, split, corr, float(np.abs(delta).max()))
    return Saliency(report.write(out_dir), split, corr)
