"""The artificial-to-realistic study as a report: tables, figures, paper figures and a verdict.

:func:`study_report` turns a :class:`~nulearn.flavor.studies.realistic.config.StudyResult` into a
:class:`nulearn.ml.report.Report`; its "Targets" section states plainly whether the realistic-data
targets (>= 95 % artificial-only on realistic cells, >= 98 % with realistic profiles in training)
are met, and why, from the study's own tables (label-quality check, accuracy by radius, learning
curve in training profiles, closures). :func:`write_study` writes the report, every table as CSV
and the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nulearn.flavor.studies.published import published_accuracy
from nulearn.flavor.studies.realistic.config import (
    StudyConfig,
    StudyResult,
    previous_lr,
    study_models,
)
from nulearn.flavor.studies.realistic.experiments import best_accuracy
from nulearn.ml.report import Report

__all__ = ["study_report", "write_study"]


def _brief(frame: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    cols = [
        "train",
        "model",
        "test",
        *extra,
        "n_test",
        "accuracy",
        "precision (no crossing)",
        "recall (no crossing)",
        "precision (crossing)",
        "recall (crossing)",
        "f1 (crossing)",
    ]
    return frame[[c for c in cols if c in frame.columns]]


def _paper_accuracy(table: str, labels: Iterable[str], cfg: StudyConfig) -> list[float]:
    """Published accuracy (arXiv:2310.03807 ``table``) of the model behind each table label."""
    keys = {m.label: m.key for m in (previous_lr(cfg), *study_models(cfg))}
    return [published_accuracy(table, keys.get(label, label)) for label in labels]


def _overview(rep: Report, result: StudyResult) -> None:
    """The data, the targets with the verdict, the label-quality check and where crossings lie."""
    cfg, t, notes = result.config, result.tables, result.notes
    rep.text(
        f"Realistic data: {notes['n_cells']:,} cells of {notes['n_profiles']} transport-solved profiles "
        f"(gray, spherically symmetric, discrete ordinates along characteristics; `nulearn.flavor.physics.transport`). "
        f"ELN crossing fraction {notes['crossing_fraction']:.3f}, ELN-XLN {notes['crossing_fraction_xln']:.3f}. "
        f"Split by profile: {notes['n_train_profiles']} training profiles, {notes['n_test_profiles']} held out. "
        f"Artificial sets: {cfg.n_artificial:,} rows each, family `{cfg.family}`. Study wall time "
        f"{notes['study_seconds']:.0f} s."
    )
    rep.heading("Targets")
    rep.bullets([f"{k}: {v}" for k, v in notes["targets"].items()])
    rep.text(_verdict(result))
    if "label_resolution" in t:
        rep.heading("Label quality: are the crossings physical or numerical?")
        rep.text(
            "Fresh profiles re-solved with twice the core rays and twice the radial nodes, and "
            "the base solution searched on uniform mu grids instead of its native ray directions "
            "(the default). A label that changed under refinement would be a discretization "
            "artefact; the columns give the fraction of cells whose label is unchanged."
        )
        rep.table(t["label_resolution"], floatfmt=".4f")
    rep.heading("Where crossings lie")
    rep.table(
        t["radial"], caption="Crossing fraction and mean features per radial bin", floatfmt=".3f"
    )
    rep.figure(
        result.figures["radial"],
        "crossing_vs_radius",
        "Fraction of cells with a crossing against radius",
    )


def _table_1(rep: Report, result: StudyResult) -> None:
    t = result.tables
    rep.heading("Table I analogue: trained on artificial data only")
    best = t["table_1"][t["table_1"]["test"] == "all realistic"]
    pivot = best.pivot_table(index="model", columns="train", values="accuracy", sort=False)
    pivot["paper (Table I)"] = _paper_accuracy("I", pivot.index, result.config)
    rep.table(
        pivot.reset_index(),
        caption="Accuracy on all realistic cells by artificial training set",
        floatfmt=".3f",
    )
    rep.table(
        _brief(best), caption="Per-class scores (tested on all realistic cells)", floatfmt=".3f"
    )
    rep.figure(
        result.figures["degree_curve"],
        "lr_degree",
        "LR accuracy against polynomial degree (Fig. 1 analogue)",
    )
    curve = t["degree_curve"].pivot_table(index="degree", columns="train", values="accuracy")
    rep.table(
        curve.reset_index(),
        caption="LR accuracy on held-out profiles against degree",
        floatfmt=".3f",
    )


def _table_2(rep: Report, result: StudyResult) -> None:
    t = result.tables
    rep.heading("Table II analogue: artificial + realistic training, held-out profiles")
    budget = [c for c in t["table_2"].columns if c.startswith(("missed", "false alarms"))]
    t2 = _brief(t["table_2"], budget).copy()
    t2["paper accuracy"] = _paper_accuracy("II", t2["model"], result.config)
    rep.table(t2, floatfmt=".3f")
    rep.table(
        t["accuracy_by_radius"],
        caption="Accuracy on held-out profiles by radius (Table II models, analytic tests, bright-sphere closure, always no crossing)",
        floatfmt=".3f",
    )
    if "profile_curve" in t and len(t["profile_curve"]):
        rep.heading("Learning curve in independent profiles")
        rep.text(
            "Table II recipe (hierarchical artificial + realistic cells) with a growing share of "
            "the training profiles; held-out profiles as in Table II. Cells of one profile are "
            "strongly correlated -- beyond the neutrinospheres a profile's outer cells are one "
            "free-streaming image seen from different radii -- so the number of profiles, not of "
            "cells, is the sample size."
        )
        rep.table(t["profile_curve"], floatfmt=".4f")


def _further_tables(rep: Report, result: StudyResult) -> None:
    """Table III, the analytic tests, domain adaptation, higher moments and ELN-XLN."""
    cfg, t = result.config, result.tables
    rep.heading(f"Table III analogue: held-out cells at r <= {cfg.inner_radius_km:g} km")
    t3 = _brief(t["table_3"]).copy()
    if len(t3):
        t3["paper accuracy"] = _paper_accuracy("III", t3["model"], cfg)
    rep.table(t3, floatfmt=".3f")

    rep.heading("Analytic tests from moments")
    rep.table(_brief(t["analytic"], ["invalid fraction"]), floatfmt=".3f")

    rep.heading("Domain adaptation (gradient reversal)")
    rep.table(_brief(t["domain_adaptation"], ["train_s"]), floatfmt=".3f")

    rep.heading("Higher moments (I2, I3)")
    hm = t["higher_moments"].pivot_table(
        index=["train", "model"], columns="features", values="accuracy", sort=False
    )
    rep.table(
        hm.reset_index(), caption="Accuracy on held-out profiles by feature set", floatfmt=".4f"
    )

    rep.heading("ELN-XLN crossings")
    rep.table(_brief(t["xln"]), floatfmt=".3f")


def study_report(result: StudyResult) -> Report:
    """The study as a :class:`nulearn.ml.report.Report` (tables, figures, paper comparison)."""
    rep = Report(
        "Artificial-to-realistic crossing detection (arXiv:2310.03807 on transport-solved profiles)"
    )
    for section in (_overview, _table_1, _table_2, _further_tables):
        section(rep, result)
    return rep


def write_study(result: StudyResult, out_dir: str | Path) -> Path:
    """Write ``report.md`` (with figures), every table as ``<name>.csv`` and ``study_config.yaml``
    into ``out_dir``; returns the report's path."""
    out = Path(out_dir)
    path = study_report(result).write(out)
    for name, table in result.tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
    (out / "study_config.yaml").write_text(result.config.to_yaml())
    return path


def _verdict(result: StudyResult) -> str:
    """Plain statement of the two targets: met or not, and why, from the study's own tables."""
    t = result.tables
    art, art_model = best_accuracy(t["table_1"], "all realistic")
    mixed, mixed_model = best_accuracy(t["table_2"], "held-out profiles")
    parts = [
        f"**Target 1 (artificial only >= 95 % on realistic cells): "
        f"{'met' if art >= 0.95 else 'not met'}** -- best {100 * art:.1f} % ({art_model}). "
        f"**Target 2 (with realistic profiles >= 98 % on held-out profiles): "
        f"{'met' if mixed >= 0.98 else 'not met'}** -- best {100 * mixed:.1f} % ({mixed_model})."
    ]
    radial = t.get("accuracy_by_radius")
    if radial is not None and mixed_model.split(" trained on ")[0] in radial.columns:
        col = radial[mixed_model.split(" trained on ")[0]]
        parts.append(
            f"By radius the same model ranges from {100 * col.max():.1f} % to "
            f"{100 * col.min():.1f} % (outermost bins lowest)."
        )
    curve = t.get("profile_curve")
    if curve is not None and len(curve):
        for model, c in curve.groupby("model", sort=False):
            n0, n1 = int(c["train profiles"].iloc[0]), int(c["train profiles"].iloc[-1])
            a0, a1 = float(c["accuracy"].iloc[0]), float(c["accuracy"].iloc[-1])
            if n1 <= n0:
                continue
            slope = 100 * (a1 - a0) / np.log2(n1 / n0)
            parts.append(
                f"{model}: {100 * a0:.1f} % with {n0} training profiles, {100 * a1:.1f} % with "
                f"{n1} ({slope:+.1f} points per doubling of the profiles)."
            )
    check = t.get("label_resolution")
    if check is not None and len(check):
        refined = [c for c in check.columns if c.startswith("2x")]
        worst = float(check[refined].to_numpy().min()) if refined else float("nan")
        grid = "uniform grid, 401 points"
        grid_note = (
            f"; a uniform 401-point mu grid (the former search) would change "
            f"{100 * (1 - float(check[grid].iloc[-1])):.1f} % of the labels in the outermost bin"
            if grid in check.columns
            else ""
        )
        parts.append(
            f"Labels are converged, not grid artefacts: under twice the core rays or radial "
            f"nodes the worst radial bin keeps {100 * worst:.1f} % of its labels (changes are "
            f"confined to shallow crossings){grid_note}."
        )
    if radial is not None and {"analytic maxent", "bright spheres", "no crossing"} <= set(
        radial.columns
    ):
        out = radial.iloc[-1]
        parts.append(
            f"Beyond {out['radius [km]'].split('-')[0]} km the maxent test scores "
            f"{100 * out['analytic maxent']:.1f} %, the bright-sphere (cone) closure "
            f"{100 * out['bright spheres']:.1f} % and always answering 'no crossing' "
            f"{100 * out['no crossing']:.1f} %."
        )
    parts.append(
        "Why: beyond the neutrinospheres the crossings are narrow bands of G(mu) in the forward "
        "cone -- the image, along rays of impact parameter b = r sqrt(1 - mu^2), of where the nue "
        "and nuebar emission and scattering of the decoupling region differ. Two moments per "
        "species fix only the mean squared size (1 - F) and brightness of each image, not the "
        "band, and a profile's outer cells are one image seen from many radii, so the learnable "
        "information grows with the number of profiles, not of cells. Neither the parametric "
        "families nor sharp cones have such bands, which caps models trained on artificial data "
        "alone."
    )
    return " ".join(parts)
