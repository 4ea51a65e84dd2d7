"""The detector section of the nulearn report: CVN evaluation, uncertainty and interpretation.

Every number here is out-of-fold: an event is only ever scored by a model that did not train on
it (the fold-0 model and the ensemble are evaluated on fold 0's held-out events).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nulearn.detector.cvn.data import FLAVOUR_NAMES, VIEW_NAMES
from nulearn.detector.cvn.evaluation import (
    accuracy_table,
    binomial_error,
    confusion_figure,
    efficiency_purity,
    efficiency_vs_energy,
    efficiency_vs_energy_figure,
    published_comparison,
    roc_figure,
)
from nulearn.detector.cvn.pipeline import CVNRun
from nulearn.detector.interpret import (
    attribution_figure,
    embed_2d,
    embedding_figure,
    integrated_gradients,
    learned_features,
    occlusion_map,
    saliency_map,
)
from nulearn.detector.uncertainty import (
    blank_channel,
    confidence_ece,
    ensemble_proba,
    mc_dropout_proba,
    predictive_summary,
    reliability_figure,
)
from nulearn.ml.report import Report

__all__ = ["evaluation_report", "explanation_report", "ood_table", "out_of_fold_mc_dropout"]

_MODELS = {"CNN (multi-view)": "cnn", "BDT (hand features)": "bdt"}


def out_of_fold_mc_dropout(run: CVNRun, n_samples: int = 10, seed: int = 0) -> np.ndarray:
    """MC-dropout probabilities of every event by its own fold's model, ``(n_samples, n_events, 4)``."""
    out = np.zeros((n_samples, len(run.fold), 4))
    for k, model in enumerate(run.models):
        m = run.fold == k
        out[:, m] = mc_dropout_proba(model, run.pixel_maps[m], n_samples=n_samples, seed=seed + k)
    return out


def ood_table(run: CVNRun, n_samples: int = 10, seed: int = 0) -> pd.DataFrame:
    """Uncertainty on fold 0's held-out events as they are and with one view blanked.

    One row per (input, method): mean predictive entropy and mutual information (nats) with
    their standard errors over events, and the accuracy. Blanking a wire plane is an input
    never seen in training; a trustworthy model must become less certain.
    """
    m = run.fold == 0
    x = run.pixel_maps[m]
    y = run.flavour[m]
    inputs = {
        "nominal": x,
        **{f"view {VIEW_NAMES[v]} blanked": blank_channel(x, v) for v in range(x.shape[1])},
    }
    rows: list[dict[str, Any]] = []
    for name, xi in inputs.items():
        for method, samples in (
            ("MC dropout", mc_dropout_proba(run.models[0], xi, n_samples=n_samples, seed=seed)),
            (f"ensemble ({len(run.ensemble)})", ensemble_proba(run.ensemble, xi)),
        ):
            s = predictive_summary(samples)
            n = len(s)
            rows.append(
                {
                    "input": name,
                    "method": method,
                    "entropy": s["entropy"].mean(),
                    "entropy_err": s["entropy"].std(ddof=1) / np.sqrt(n),
                    "mutual_information": s["mutual_information"].mean(),
                    "mi_err": s["mutual_information"].std(ddof=1) / np.sqrt(n),
                    "accuracy": float((s["predicted"].to_numpy() == y).mean()),
                }
            )
    return pd.DataFrame(rows)


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
        confusion_figure(y, {n: p.argmax(1) for n, p in probas.items()}),
        "cvn_confusion",
        "Row-normalised confusion matrices",
    )
    rep.figure(roc_figure(y, probas), "cvn_roc", "One-vs-rest ROC per class")
    energy = run.predictions["nu_energy"].to_numpy()
    eff_e = {name: efficiency_vs_energy(y, p.argmax(1), energy) for name, p in probas.items()}
    rep.figure(
        efficiency_vs_energy_figure(eff_e),
        "cvn_efficiency_vs_energy",
        "Efficiency vs true neutrino energy",
    )

    rep.heading("Detector: uncertainty and calibration", level=3)
    mc = out_of_fold_mc_dropout(run, n_samples=mc_samples)
    calib = {**probas, f"CNN MC dropout ({mc_samples})": mc.mean(0)}
    rep.table(
        pd.DataFrame(
            {"model": list(calib), "top-label ECE": [confidence_ece(y, p) for p in calib.values()]}
        ),
        caption="Expected calibration error of the top-class confidence (10 bins)",
        floatfmt=".3f",
    )
    rep.figure(
        reliability_figure(y, calib),
        "cvn_reliability",
        "Reliability diagram (top-label confidence)",
    )
    rep.table(
        ood_table(run, n_samples=mc_samples),
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
        tgt = np.full(len(idx), c)
        sal = saliency_map(model, x, tgt)
        ig = integrated_gradients(model, x, tgt)
        occ = occlusion_map(model, x, tgt)
        p = run.proba("cnn")[idx]
        for j, e in enumerate(idx):
            rep.figure(
                attribution_figure(
                    x[j],
                    {"saliency": sal[j], "integrated gradients": ig[j], "occlusion": occ[j]},
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
