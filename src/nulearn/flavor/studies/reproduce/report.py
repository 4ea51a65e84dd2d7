"""The reproduction as one Markdown report with figures, section by section.

:func:`write_report` lays a :class:`~nulearn.flavor.studies.reproduce.config.ReproduceResult` out as
``report.md`` with PNG figures; each section of the report is one function below.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from nulearn.flavor.studies.published import PUBLISHED
from nulearn.flavor.studies.reproduce.config import SUBSET, ReproduceResult
from nulearn.flavor.studies.reproduce.figures import (
    curves_figure,
    degree_figure,
    example_figure,
    scores_figure,
    subset_figure,
)
from nulearn.flavor.studies.reproduce.tables import (
    acceptance_table,
    ceiling_table,
    degree_accuracy_table,
    paper_table,
    single_family_table,
    timing_table,
)
from nulearn.ml.report import Report

__all__ = ["write_report"]


def _introduction(rep: Report, result: ReproduceResult) -> None:
    cfg = result.config
    rep.text(
        "This report is written by `nulearn flavor reproduce`. It regenerates the tables and figures of "
        "Abbar & Nagakura, *Detecting fast neutrino flavor conversions with machine learning* "
        "(arXiv:2310.03807), on artificial data from `nulearn.flavor.data.generate`, and prints beside every "
        "score the **Bayes ceiling**: the best accuracy and F1 that any classifier of the moment features "
        "can reach when the data mix angular families (maximum entropy and Gaussian, 50/50) that disagree "
        "on the label at identical moments. Scores are on test splits that no model saw; validation splits "
        "(carved from the training part) choose early-stopping points and the best model."
    )
    rep.bullets(
        [
            f"sizes: ELN-XLN {cfg.n_xln:,} samples (split {1 - cfg.test_fraction:.0%}/{cfg.test_fraction:.0%}, "
            f"validation {cfg.val_fraction:.0%} of training), ELN schemes {cfg.n_eln:,} each, "
            f"single-family sets {cfg.n_single:,} each; seed {cfg.seed}",
            f"exact RBF SVM trained on at most {cfg.svm_max_train or 'all'} training samples"
            + (" (libsvm is O(n²); `--full` uses all)" if cfg.svm_max_train else ""),
            f"wall time: data {result.timings['generate']:.1f} s, ceilings {result.timings['ceiling']:.1f} s, "
            f"training and scoring {result.timings['train_and_score']:.1f} s, total {result.timings['total']:.1f} s "
            f"on {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), {cfg.n_jobs} worker(s)",
        ]
    )


def _checks_and_ceilings(rep: Report, result: ReproduceResult) -> None:
    rep.heading("Acceptance checks")
    rep.table(acceptance_table(result))

    rep.heading("Data and Bayes ceilings")
    rep.table(
        pd.DataFrame([{"dataset": k, **v} for k, v in result.datasets.items()]),
        caption="Generated datasets (before splitting).",
    )
    rep.table(
        ceiling_table(result),
        caption="Bayes ceiling per test set: fraction of samples whose maxent and Gaussian labels differ at the "
        "same moments, and the best expected accuracy / F1 for the set's family mix.",
    )


def _xln_and_cross_scheme(rep: Report, result: ReproduceResult) -> None:
    """Table IV (ELN-XLN) and Table I (trained on one scheme, tested on another)."""
    cfg = result.config
    rep.heading("Table IV: ELN-XLN crossings (arXiv:2310.03807 Table IV)")
    rep.text(
        "Same kind of data as the paper: seven features, family mix, 80/20 split. "
        + result.ceilings["xln_test"].describe()
    )
    rep.table(paper_table(result, "xln", "xln_test", PUBLISHED["IV"], (*cfg.models,)))
    rep.table(
        timing_table(result, "xln", "xln_test"), caption="Training and inference cost (ELN-XLN)."
    )
    rep.figure(
        curves_figure(result, "xln", "xln_test"),
        "roc_pr_xln",
        "ROC and precision-recall curves, ELN-XLN test split.",
    )

    rep.heading(
        "Table I: trained on the original scheme, tested on another (arXiv:2310.03807 Table I)"
    )
    rep.text(
        "The paper tests models trained on the original artificial data (arXiv:2303.05560) on CCSN simulation "
        "data. We have no simulation data, so the hierarchical scheme (F_nue in (0.6 F_nuebar, F_nuebar), the "
        "paper's realistic-like hierarchy) plays the test set. The published numbers are shown for the "
        "set-up, not as a target: the test populations differ. "
        + result.ceilings["hierarchical_test"].describe()
    )
    rep.table(
        paper_table(result, "original", "hierarchical_test", PUBLISHED["I"], ("lr9", *cfg.models))
    )


def _hierarchical(rep: Report, result: ReproduceResult) -> None:
    """Tables II and III: trained on the hierarchical scheme, on its test split and a sub-population."""
    cfg = result.config
    rep.heading(
        "Table II: trained and tested on the hierarchical scheme (arXiv:2310.03807 Table II)"
    )
    rep.text(
        "The paper's Table II trains on realistic plus artificial data; our analogue trains on the "
        "realistic-like hierarchical scheme. " + result.ceilings["hierarchical_test"].describe()
    )
    rep.table(paper_table(result, "hierarchical", "hierarchical_test", PUBLISHED["II"], cfg.models))

    if SUBSET in result.ceilings:
        rep.heading("Table III: a feature-range sub-population (arXiv:2310.03807 Table III)")
        rep.text(
            f"The Table II models on test samples with {cfg.subset_column} < {cfg.subset_max} (nearly isotropic "
            "antineutrinos, as deep in the decoupling region; the paper selects r < 100 km). "
            + result.ceilings[SUBSET].describe()
        )
        rep.table(paper_table(result, "hierarchical", SUBSET, PUBLISHED["III"], cfg.models))


def _in_distribution(rep: Report, result: ReproduceResult) -> None:
    cfg = result.config
    rep.heading("In-distribution ELN results")
    for scheme in ("original", "hierarchical"):
        test = f"{scheme}_test"
        rep.text(
            f"**{scheme}** scheme, trained and tested on it. " + result.ceilings[test].describe()
        )
        rep.table(paper_table(result, scheme, test, None, cfg.models))
    rep.table(
        timing_table(result, "hierarchical", "hierarchical_test"),
        caption="Training and inference cost (ELN, hierarchical).",
    )
    rep.text(
        "Cross-scheme, trained on hierarchical and tested on original (extrapolation to F_nue > F_nuebar): "
        + result.ceilings["original_test"].describe()
    )
    rep.table(paper_table(result, "hierarchical", "original_test", None, cfg.models))

    rep.heading("Single-family data (ceiling 100%)")
    rep.table(single_family_table(result))


def _degree_sweep(rep: Report, result: ReproduceResult) -> None:
    cfg = result.config
    rep.heading("Figures 1-3: the polynomial-degree sweep")
    rep.figure(
        degree_figure(result),
        "fig1_degree_sweep",
        "Fig. 1 analogue: LR accuracy against polynomial degree for different training sets.",
    )
    rep.figure(
        scores_figure(
            result, "hierarchical", "hierarchical_test", "trained and tested on hierarchical"
        ),
        "fig2_degree_scores",
        "Fig. 2 analogue: LR accuracy, precision, recall and F1 (crossing class) against degree.",
    )
    if SUBSET in result.ceilings:
        rep.figure(
            subset_figure(result),
            "fig3_subset_threshold",
            f"Fig. 3 analogue: LR on the {cfg.subset_column} < {cfg.subset_max} sub-population against degree "
            "(top; solid p_c = 0.5, dashed p_c = 0.3) and the threshold sweep of LR (n = 2) (bottom).",
        )
    table = degree_accuracy_table(result)
    if table is not None:
        rep.table(table, caption="LR accuracy [%] by degree (trained on hierarchical).")


def _example_and_notes(rep: Report, result: ReproduceResult) -> None:
    rep.heading("An angular distribution with its crossing")
    fig, text = example_figure(result.example)
    rep.figure(fig, "example_angular_distribution", "A test sample of the ELN-XLN set: " + text)

    rep.heading("Notes on differences from the published numbers")
    rep.bullets(
        [
            "Our generator caps flux factors strictly below 1 (F <= 0.999) and inverts every closure exactly "
            "(round-trip error < 1e-9); the published generator caps F at 1, where its root finder fails "
            "silently and labels a distribution whose moments differ from the reported ones. Those wrong labels "
            "are extra label noise in the published data, which can lower the published scores; our data carry "
            "only the irreducible family noise that the ceiling measures.",
            "Tables I-III compare set-ups, not populations: the paper tests on CCSN simulation data we do not "
            "have; the hierarchical scheme stands in for it.",
            "The exact SVM (gamma = 100 on raw features) keeps nearly every training sample as a support vector; "
            "its accuracy grows with the training size, so a run that subsamples its training set "
            "(see the sizes above) under-reports it relative to the paper's full 40k.",
            "'LR (n = 2), physical coordinates' is the papers' degree-2 logistic regression on "
            "log density ratios, flux-factor rapidities artanh F, the flux factors and the closure-free "
            "moments g0, g1 of G(μ) (`nulearn.flavor.models.coordinates`) instead of (alpha, F): a density ratio "
            "acts multiplicatively and the angular shapes diverge as F -> 1, so the crossing boundary, far "
            "from a quadric in the raw features, is nearly one in these. The raw-feature LR (n = 2) rows "
            "keep the papers' configuration for comparison with their numbers.",
            "Gradient-boosted trees read, besides the features, the zeroth and first moments of G(μ) "
            "(closure-free sums of the features; `nulearn.flavor.models.classical.ELNMomentFeatures`). The row "
            "'GBT + maxent-closure G(μ)' also reads G(μ) at five angles as reconstructed by the maximum-entropy "
            "closure: physics-informed features that nearly decide the maxent label, so that model shows how "
            "close to the ceiling a deployable classifier gets when it is told the closure; the acceptance "
            "table lists the best closure-free model separately.",
        ]
    )


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}, sort_keys=False
    )


def write_report(result: ReproduceResult, out_dir: str | Path) -> Path:
    """Lay ``result`` out as ``<out_dir>/report.md`` with figures in ``<out_dir>/figures/``."""
    import matplotlib

    matplotlib.use("Agg")
    rep = Report("Fast-flavor crossing detection: reproduction of arXiv:2310.03807")
    for section in (
        _introduction,
        _checks_and_ceilings,
        _xln_and_cross_scheme,
        _hierarchical,
        _in_distribution,
        _degree_sweep,
        _example_and_notes,
    ):
        section(rep, result)
    rep.heading("Configuration")
    rep.text("```yaml\n" + _yaml(result.config.to_dict()) + "```")
    return rep.write(out_dir)
