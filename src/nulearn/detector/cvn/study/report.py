"""The detector section of the nulearn report: CVN evaluation, uncertainty and interpretation.

Every number here is out-of-fold: an event is only ever scored by a model that did not train on
it (the fold-0 model and the ensemble are evaluated on fold 0's held-out events).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn.detector.cvn.data.pixel_maps import FLAVOUR_NAMES, VIEW_NAMES
from nulearn.detector.cvn.evaluation.interpretation import (
    attribution_figure,
    pixel_map_attributions,
)
from nulearn.detector.cvn.evaluation.selection import (
    PUBLISHED_CVN,
    accuracy_table,
    binomial_error,
    efficiency_purity,
    efficiency_vs_energy,
    published_comparison,
)
from nulearn.detector.cvn.evaluation.uncertainty import ood_table, out_of_fold_mc_dropout
from nulearn.detector.cvn.study.run import CVNRun, load_run
from nulearn.ml.embedding import embed_2d, learned_features
from nulearn.ml.figures import (
    confusion_figure,
    embedding_figure,
    reliability_diagram,
    roc_figure,
)
from nulearn.ml.io import check_output
from nulearn.ml.report import Report, pyplot
from nulearn.ml.uncertainty import confidence_ece, top_label

__all__ = [
    "efficiency_vs_energy_figure",
    "evaluation_report",
    "explanation_report",
    "write_evaluation",
    "write_explanation",
]

_MODELS = {"CNN (multi-view)": "cnn", "BDT (hand features)": "bdt"}


def efficiency_vs_energy_figure(tables: Mapping[str, pd.DataFrame]) -> Any:
    """Efficiency against true neutrino energy, one panel per class, one line per model."""
    plt = pyplot()
    first = next(iter(tables.values()))
    classes = list(dict.fromkeys(first["class"]))
    fig, axes = plt.subplots(
        1, len(classes), figsize=(3.3 * len(classes), 3.3), squeeze=False, sharey=True
    )
    for name, table in tables.items():
        for ax, cls in zip(axes[0], classes, strict=True):
            t = table[table["class"] == cls]
            centre = np.sqrt(np.maximum(t["e_low"], 0.5) * t["e_high"])  # log-ish bin centre
            ax.errorbar(
                centre,
                t["efficiency"],
                yerr=t["efficiency_err"],
                marker="o",
                ms=3,
                capsize=2,
                label=name,
            )
    for ax, cls in zip(axes[0], classes, strict=True):
        if cls in PUBLISHED_CVN:
            ax.axhline(PUBLISHED_CVN[cls], color="0.4", ls="--", lw=1, label="DUNE CVN (published)")
        ax.set_xscale("log")
        ax.set_xlabel("true E_ν [GeV]")
        ax.set_title(cls)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("efficiency")
    fig.tight_layout()
    return fig


def evaluation_report(run: CVNRun, report: Report | None = None, mc_samples: int = 10) -> Report:
    """Add the CVN evaluation (accuracy, efficiency/purity, confusion, ROC, energy dependence,
    published comparison, calibration and out-of-distribution uncertainty) to ``report``."""
    rep = report or Report("nulearn detector: CVN event classification")
    y = run.flavour
    probas = {name: run.proba(kind) for name, kind in _MODELS.items()}
    n_train = int(run.summary.get("n_train_per_fold", 0))
    rep.heading("Detector: CVN-style flavour classification (DUNE FD open sample)")
    rep.text(
        f"{len(y)} DUNE far-detector events (3 wire-plane views, reduced to "
        f"{'x'.join(str(s) for s in run.pixel_maps.shape[2:])} per view), {run.settings.n_folds}-fold "
        f"stratified cross-validation, about {n_train} training events per fold. Errors: binomial "
        "standard errors on out-of-fold counts; fold std = spread over the held-out folds."
    )
    acc = accuracy_table(y, probas, run.fold)
    inter_correct = run.proba("cnn_int").argmax(1) == run.predictions["interaction"].to_numpy()
    rep.table(acc, caption="Overall flavour accuracy on held-out folds", floatfmt=".3f")
    rep.text(
        f"CNN interaction-type head (QE/RES/DIS/other): accuracy {inter_correct.mean():.3f} ± "
        f"{float(binomial_error(inter_correct.mean(), inter_correct.size)):.3f} "
        f"(majority class {run.predictions['interaction'].value_counts(normalize=True).max():.3f})."
    )
    tables = {name: efficiency_purity(y, p.argmax(1)) for name, p in probas.items()}
    for name, t in tables.items():
        rep.table(t, caption=f"Efficiency and purity per class: {name}", floatfmt=".3f")
    rep.table(
        published_comparison(tables, n_train),
        caption="Published DUNE CVN vs ours (different training-set sizes)",
    )
    rep.figure(
        confusion_figure(y, {n: p.argmax(1) for n, p in probas.items()}, FLAVOUR_NAMES),
        "cvn_confusion",
        "Row-normalised confusion matrices",
    )
    rep.figure(roc_figure(y, probas, FLAVOUR_NAMES), "cvn_roc", "One-vs-rest ROC per class")
    energy = run.predictions["nu_energy"].to_numpy()
    eff_e = {name: efficiency_vs_energy(y, p.argmax(1), energy) for name, p in probas.items()}
    rep.figure(
        efficiency_vs_energy_figure(eff_e),
        "cvn_efficiency_vs_energy",
        "Efficiency vs true neutrino energy",
    )

    rep.heading("Detector: uncertainty and calibration", level=3)
    mc = out_of_fold_mc_dropout(run.models, run.pixel_maps, run.fold, n_samples=mc_samples)
    calib = {**probas, f"CNN MC dropout ({mc_samples})": mc.mean(0)}
    rep.table(
        pd.DataFrame(
            {"model": list(calib), "top-label ECE": [confidence_ece(y, p) for p in calib.values()]}
        ),
        caption="Expected calibration error of the top-class confidence (10 bins)",
        floatfmt=".3f",
    )
    top = {name: top_label(y, p) for name, p in calib.items()}
    rep.figure(
        reliability_diagram(
            {name: t[0] for name, t in top.items()},
            {name: t[1] for name, t in top.items()},
            n_bins=10,
            title="",
            histogram=False,
            xlabel="confidence (top class probability)",
            ylabel="accuracy",
            ece_format=".3f",
        ),
        "cvn_reliability",
        "Reliability diagram (top-label confidence)",
    )
    held_out = run.fold == 0
    rep.table(
        ood_table(
            run.models[0],
            run.ensemble,
            run.pixel_maps[held_out],
            run.flavour[held_out],
            n_samples=mc_samples,
        ),
        caption="Uncertainty with a wire plane blanked (fold 0 held-out events)",
        floatfmt=".3f",
    )
    return rep


def explanation_report(
    run: CVNRun, report: Report | None = None, per_class: int = 1, tsne: bool = True
) -> Report:
    """Add saliency, integrated gradients, occlusion and feature embeddings (fold-0 model on its
    held-out events) to ``report``."""
    rep = report or Report("nulearn detector: what the CVN looks at")
    model = run.models[0]
    test = np.flatnonzero(run.fold == 0)
    y = run.flavour[test]
    rep.heading("Detector: interpretation of the multi-view CNN")
    rep.text(
        "Fold-0 CNN on its held-out events. Saliency = |∂ logit / ∂ pixel|; integrated gradients "
        "from an empty detector; occlusion = drop of the logit when a 6x6 patch of one view is zeroed. "
        "Attributions are for the true class."
    )
    for c, cname in enumerate(FLAVOUR_NAMES):
        idx = test[y == c][:per_class]
        if idx.size == 0:
            continue
        x = run.pixel_maps[idx]
        attributions = pixel_map_attributions(model, x, np.full(len(idx), c))
        p = run.proba("cnn")[idx]
        for j, e in enumerate(idx):
            rep.figure(
                attribution_figure(
                    x[j],
                    {name: a[j] for name, a in attributions.items()},
                    VIEW_NAMES,
                    title=f"{cname} ({run.predictions['interaction_name'].iloc[e]}, E={run.predictions['nu_energy'].iloc[e]:.1f} GeV), P({cname})={p[j, c]:.2f}",
                ),
                f"cvn_attribution_{cname}_{j}",
                f"{cname} event {run.predictions['event'].iloc[e]}",
            )
    feats = learned_features(model.embedding, run.pixel_maps[test])
    emb = {"PCA": embed_2d(feats, "pca")}
    if tsne:
        emb["t-SNE"] = embed_2d(feats, "tsne")
    rep.figure(
        embedding_figure(emb, y, FLAVOUR_NAMES),
        "cvn_embedding",
        "Fused CNN features of held-out events, coloured by true flavour",
    )
    return rep


def write_evaluation(run_dir: str | Path, out_dir: str | Path, mc_samples: int = 10) -> Path:
    """Write the evaluation report of the run folder ``run_dir`` to ``out_dir``; returns its path.
    The report folder is checked before the run is read."""
    check_output(out_dir, directory=True, what="--out (report folder)")
    if mc_samples < 1:
        raise ValueError(f"MC-dropout passes = {mc_samples}; allowed range [1, inf)")
    return evaluation_report(load_run(run_dir), mc_samples=mc_samples).write(out_dir)


def write_explanation(
    run_dir: str | Path, out_dir: str | Path, per_class: int = 1, tsne: bool = True
) -> Path:
    """Write the interpretation report of the run folder ``run_dir`` to ``out_dir``. The report
    folder is checked before the run is read."""
    check_output(out_dir, directory=True, what="--out (report folder)")
    if per_class < 1:
        raise ValueError(f"events per class = {per_class}; allowed range [1, inf)")
    return explanation_report(load_run(run_dir), per_class=per_class, tsne=tsne).write(out_dir)
