"""From artificial to realistic angular distributions: the study of arXiv:2310.03807 on our data.

Realistic data are the transport-solved profiles of :mod:`nulearn.flavor.physics.transport` (moments and
exact crossing labels per radial cell); artificial data come from
:func:`nulearn.flavor.data.generate.generate`. Every split of realistic data is by *profile*, never by
cell, because neighbouring cells of one profile are strongly correlated.

Experiments (``run_study``), each a table of the report:

1. Table I analogue: train on artificial data only (``original``, ``hierarchical`` and ``mixed`` =
   half of each), test on all realistic cells; plus LR accuracy against polynomial degree (Fig. 1).
2. Table II analogue: train on hierarchical artificial data plus the realistic training profiles,
   test on held-out profiles.
3. Table III analogue: the same models on held-out cells at r <= ``inner_radius_km``.
4. The analytic maximum-entropy and Gaussian tests from moments on the same cells.
5. Domain adaptation: a domain-adversarial network (labelled artificial + unlabelled realistic
   training profiles) against the same network without the adversary.
6. Higher moments: ELN features plus I_2/I_0 (and I_3/I_0) per species; artificial rows get them
   from their own angular family.
7. ELN-XLN: models trained on the ``xln`` scheme, tested on the realistic XLN labels.

Beside the papers' models the study runs the same inputs in coordinates that resolve
forward-peaked distributions (:data:`STUDY_MODELS`: LR and an MLP in
:mod:`nulearn.flavor.models.coordinates`, LightGBM in :mod:`nulearn.flavor.models.forward_coordinates`), the
bright-sphere (cone) closure, a learning curve in the number of training profiles, an error
budget by crossing depth, and a label-quality check under solver refinement
(:func:`nulearn.flavor.data.label_resolution.label_resolution_check`); the report states plainly
whether the issue's targets are met and why (:mod:`nulearn.flavor.studies.realistic_report`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.generate import generate
from nulearn.flavor.data.label_resolution import label_resolution_check
from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.data.realistic import realistic_dataset
from nulearn.flavor.data.splits import split_by_profile
from nulearn.flavor.data.tables import read_dataset
from nulearn.flavor.evaluation.fit import degree_sweep, fit_model
from nulearn.flavor.evaluation.scoring import evaluate_model, evaluate_probabilities
from nulearn.flavor.models.classical import BoostedTreesClassifier
from nulearn.flavor.models.domain_adaptation import DomainAdversarialClassifier
from nulearn.flavor.models.forward_coordinates import (
    ForwardPeakCoordinates,
    bright_sphere_crossing,
)
from nulearn.flavor.models.registry import MODEL_LABELS, build_model
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES
from nulearn.flavor.physics.transport.profile import SolverConfig
from nulearn.ml.config import YAMLConfig

__all__ = ["PAPER_TABLES", "PROFILE_CURVE_FRACTIONS", "SHALLOW_DEPTH", "STUDY_MODELS", "StudyConfig", "StudyResult", "add_family_moments", "artificial_training_sets", "best_accuracy", "build_study_model", "error_budget", "profile_learning_curve", "radial_crossing_profile", "run_study"]

#: Accuracies printed in arXiv:2310.03807 (Table I: artificial-trained models on their CCSN data;
#: Table II: artificial + realistic training, realistic test; Table III: the same at r <~ 100 km).
PAPER_TABLES: dict[str, dict[str, float]] = {
    "table_1": {"lr": 0.68, "knn": 0.77, "svm": 0.87, "tree": 0.71},
    "table_2": {"lr": 0.94, "knn": 0.98, "svm": 0.97, "tree": 0.99},
    "table_3": {"lr": 0.96, "knn": 1.00, "svm": 0.99, "tree": 1.00},
}

#: Study models beyond :func:`nulearn.flavor.models.registry.build_model`: the papers' inputs mapped to
#: coordinates that resolve forward-peaked distributions (issue 6, lead 2).
STUDY_MODELS: dict[str, str] = {
    "lr_physical": "LR (n=2, physical coordinates)",
    "gbt_forward": "GBT (forward-peak coordinates)",
    "mlp_physical": "MLP (physical coordinates)",
}
#: Models that read the ELN features (optionally + I2, I3) only; left out of the ELN-XLN table.
_ELN_ONLY = ("gbt_forward",)
#: Models of the learning curve in training profiles, when they are among the study's models.
_CURVE_MODELS = ("gbt", "gbt_forward", "mlp_physical")

_HIGHER = {
    "ELN (3)": (),
    "+ I2 (5)": ("I2_nue", "I2_nuebar"),
    "+ I2, I3 (7)": ("I2_nue", "I2_nuebar", "I3_nue", "I3_nuebar"),
}


@dataclass(frozen=True)
class StudyConfig(YAMLConfig):
    """Sizes and choices of the study; round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        n_artificial: rows per artificial training set.
        family: angular family of the artificial data (``maxent``, ``gaussian`` or ``mix``).
        n_profiles: realistic profiles to solve when no ``realistic_path`` is given.
        realistic_path: an existing realistic table (``nulearn flavor transport`` output).
        train_profile_fraction: share of profiles whose cells may enter training.
        inner_radius_km: Table III restricts the test to r <= this.
        models: classifiers of :func:`nulearn.flavor.models.registry.build_model`, or ``lr_physical`` (LR
            in :mod:`nulearn.flavor.models.coordinates` physical coordinates), ``gbt_forward`` (LightGBM
            on :mod:`nulearn.flavor.models.forward_coordinates`) and ``mlp_physical`` (the small MLP of
            ``build_model("mlp")`` in physical coordinates), see :data:`STUDY_MODELS`.
        lr_degree: LR polynomial degree in the tables (the paper's n = 2).
        old_lr_degree: degree of the "previous" artificial-only LR of Table I (the paper's n = 9).
        degrees: degrees of the LR accuracy curve.
        sweep_rows: artificial rows used by the degree curve (it fits one LR per degree).
        dann_epochs: epoch cap of the domain-adaptation networks.
        label_check_profiles: fresh profiles (seed ``seed + 1000``) re-solved at higher resolution
            to check that the labels are not discretization artefacts (0 skips the check).
        seed: master seed (artificial data, profile split, models).
        solver: transport resolution when profiles are solved here.
    """

    n_artificial: int = 60_000
    family: str = "mix"
    n_profiles: int = 200
    realistic_path: str | None = None
    train_profile_fraction: float = 0.5
    inner_radius_km: float = 100.0
    models: tuple[str, ...] = (
        "lr",
        "knn",
        "svm",
        "tree",
        "gbt",
        "lr_physical",
        "gbt_forward",
        "mlp_physical",
    )
    lr_degree: int = 2
    old_lr_degree: int = 9
    degrees: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    sweep_rows: int = 20_000
    dann_epochs: int = 30
    label_check_profiles: int = 20
    seed: int = 0
    solver: SolverConfig = field(default_factory=SolverConfig)

    def __post_init__(self) -> None:
        if self.n_artificial < 100:
            raise ValueError(f"n_artificial must be >= 100, got {self.n_artificial}")
        if not 0.0 < self.train_profile_fraction < 1.0:
            raise ValueError(
                f"train_profile_fraction must be in (0, 1), got {self.train_profile_fraction}"
            )
        if self.inner_radius_km <= 0:
            raise ValueError(f"inner_radius_km must be > 0, got {self.inner_radius_km}")
        if self.label_check_profiles < 0:
            raise ValueError(f"label_check_profiles must be >= 0, got {self.label_check_profiles}")
        for name in self.models:
            if name not in MODEL_LABELS and name not in STUDY_MODELS:
                allowed = sorted({*MODEL_LABELS, *STUDY_MODELS} - {"mlp"})
                raise ValueError(f"unknown study model {name!r}; allowed: {', '.join(allowed)}")


@dataclass
class StudyResult:
    """All tables and figures of one study run (DataFrames keyed by experiment)."""

    config: StudyConfig
    tables: dict[str, pd.DataFrame]
    figures: dict[str, Any]
    notes: dict[str, Any]


def add_family_moments(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``I2_s``, ``I3_s`` (I_n / I_0) to artificial rows, from each row's own angular family.

    Args:
        frame: artificial table with ``family`` and the ELN (or XLN) feature columns.

    Returns:
        A copy with the higher-moment columns of ``nue`` and ``nuebar`` (and ``nux``, ``nuxbar``
        when their flux factors are present).
    """
    out = frame.copy()
    species = [s for s in ("nue", "nuebar", "nux", "nuxbar") if f"F_{s}" in frame.columns]
    for s in species:
        for n in (2, 3):
            out[f"I{n}_{s}"] = np.nan
    for fam in np.unique(frame["family"].to_numpy()):
        rows = (frame["family"] == fam).to_numpy()
        family = get_family(str(fam))
        for s in species:
            flux = frame.loc[rows, f"F_{s}"].to_numpy(dtype=np.float64)
            mom = family.moments(np.ones(flux.size), flux, n_max=3, species=s)
            out.loc[rows, f"I2_{s}"] = mom[:, 2] / mom[:, 0]
            out.loc[rows, f"I3_{s}"] = mom[:, 3] / mom[:, 0]
    return out


def artificial_training_sets(config: StudyConfig) -> dict[str, pd.DataFrame]:
    """The three ELN training sets of Table I: ``original``, ``hierarchical``, ``mixed`` (half each)."""
    n, fam, seed = config.n_artificial, config.family, config.seed
    original = generate("original", fam, n, seed)
    hierarchical = generate("hierarchical", fam, n, seed + 1)
    half = n // 2
    mixed = pd.concat([original.iloc[:half], hierarchical.iloc[: n - half]], ignore_index=True)
    return {"original": original, "hierarchical": hierarchical, "mixed": mixed}


_RADIAL_BINS: tuple[float, ...] = (0, 20, 30, 40, 60, 100, 150, 250, 1000)


def radial_crossing_profile(
    frame: pd.DataFrame, edges: Sequence[float] | None = None
) -> pd.DataFrame:
    """Fraction of crossing cells (ELN and ELN-XLN) and mean features per radial bin."""
    bins = list(edges or _RADIAL_BINS)
    cut = pd.cut(frame["radius_km"], bins)
    grouped = frame.groupby(cut, observed=True)
    table = pd.DataFrame(
        {
            "cells": grouped.size(),
            "ELN crossing fraction": grouped["crossing"].mean(),
            "ELN crossing fraction, depth > 1e-3": grouped["depth"].apply(
                lambda d: float((d > 1e-3).mean())
            ),
            "ELN-XLN crossing fraction": grouped["crossing_xln"].mean(),
            "mean alpha": grouped["alpha"].mean(),
            "mean F_nue": grouped["F_nue"].mean(),
            "mean F_nuebar": grouped["F_nuebar"].mean(),
            "mean F_nux": grouped["F_nux"].mean(),
        }
    )
    table.index = [f"{iv.left:g}-{iv.right:g}" for iv in table.index]
    return table.rename_axis("radius [km]").reset_index()


def _row(train: str, model: str, test: str, ev: Any) -> dict[str, Any]:
    summary = ev.summary()
    out = {
        "train": train,
        "model": model,
        "test": test,
        "n_test": ev.n_test,
        "accuracy": ev.accuracy,
    }
    for cls in ("no crossing", "crossing"):
        for k in ("precision", "recall", "f1"):
            out[f"{k} ({cls})"] = summary[f"{k} ({cls})"]
    return out


def _models(config: StudyConfig) -> list[tuple[str, str, int]]:
    """(key, display, degree) for every model of the tables; LR appears at ``lr_degree``."""
    out = []
    for name in config.models:
        if name == "lr":
            out.append(("lr", f"LR (n={config.lr_degree})", config.lr_degree))
        else:
            out.append((name, STUDY_MODELS.get(name) or MODEL_LABELS.get(name, name), 2))
    return out


def build_study_model(name: str, degree: int = 2, random_state: int = 0) -> Any:
    """An unfitted classifier: :func:`~nulearn.flavor.models.registry.build_model` or a :data:`STUDY_MODELS` key.

    ``gbt_forward`` is LightGBM (with its validation-split early stopping) on
    :class:`~nulearn.flavor.models.forward_coordinates.ForwardPeakCoordinates` of the ELN features, plus
    I2/I3 when given; ``lr_physical`` is the polynomial LR of degree ``degree`` and
    ``mlp_physical`` the small MLP of ``build_model("mlp")``, both in physical coordinates.
    """
    from sklearn.pipeline import Pipeline

    if name == "lr_physical":
        return build_model(
            "lr", degree=degree, config={"coordinates": "physical"}, random_state=random_state
        )
    if name == "mlp_physical":
        return build_model("mlp", config={"coordinates": "physical"}, random_state=random_state)
    if name == "gbt_forward":
        return Pipeline(
            [
                ("coords", ForwardPeakCoordinates()),
                (
                    "gbt",
                    BoostedTreesClassifier(moment_features=False, random_state=random_state),
                ),
            ]
        )
    return build_model(name, degree=degree, random_state=random_state)


def _fit_eval(
    name: str,
    degree: int,
    train: pd.DataFrame,
    tests: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    seed: int,
    label: str = "crossing",
) -> tuple[float, dict[str, Any]]:
    model = build_study_model(name, degree=degree, random_state=seed)
    seconds = fit_model(model, train, list(features), label)
    return seconds, {
        k: evaluate_model(model, t, list(features), label=label, name=name)
        for k, t in tests.items()
        if len(t)
    }


def _analytic(frame: pd.DataFrame, family: str, features: Sequence[str], label: str) -> Any:
    labelled = label_moments(frame[list(features)], family=family, on_invalid="mask")
    pred = labelled["crossing"].to_numpy()
    valid = pred >= 0
    ev = evaluate_probabilities(
        frame[label].to_numpy()[valid], pred[valid].astype(np.float64), name=family
    )
    return ev, float(1.0 - valid.mean())


def _plot_degree_curve(curve: pd.DataFrame) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, grp in curve.groupby("train"):
        ax.plot(grp["degree"], grp["accuracy"], marker="o", label=str(name))
    ax.set_xlabel("polynomial degree n")
    ax.set_ylabel("LR accuracy on held-out realistic profiles")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _plot_radial(frame: pd.DataFrame) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.geomspace(max(frame["radius_km"].min(), 1.0), frame["radius_km"].max() * 1.001, 25)
    cut = pd.cut(frame["radius_km"], list(edges))
    grouped = frame.groupby(cut, observed=True)
    centers = np.array([iv.mid for iv in grouped.size().index])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogx(centers, grouped["crossing"].mean().to_numpy(), marker="o", label="ELN")
    ax.semilogx(centers, grouped["crossing_xln"].mean().to_numpy(), marker="s", label="ELN-XLN")
    ax.set_xlabel("radius [km]")
    ax.set_ylabel("fraction of cells with a crossing")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def load_realistic(config: StudyConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The realistic table: read ``realistic_path`` or solve ``n_profiles`` profiles now."""
    if config.realistic_path is not None:
        ds = read_dataset(config.realistic_path)
        return ds.frame, ds.metadata
    frame = realistic_dataset(config.n_profiles, config.seed, config.solver)
    return frame, {
        "n_profiles": config.n_profiles,
        "seconds_per_profile": frame.attrs.get("seconds_per_profile"),
        "n_invalid_dropped": frame.attrs.get("n_invalid"),
    }


def run_study(config: StudyConfig, realistic: pd.DataFrame | None = None) -> StudyResult:
    """Run every experiment of the module docstring.

    Args:
        config: sizes and choices.
        realistic: the realistic table (default: :func:`load_realistic`).

    Returns:
        :class:`StudyResult` with tables ``radial``, ``table_1``, ``table_1_detail``, ``degree_curve``,
        ``table_2``, ``table_3``, ``analytic``, ``domain_adaptation``, ``higher_moments``, ``xln``.
    """
    t_start = time.perf_counter()
    notes: dict[str, Any] = {}
    if realistic is None:
        realistic, meta = load_realistic(config)
        notes["realistic_metadata"] = meta
    eln = list(ELN_FEATURES)
    train_real, test_real = split_by_profile(realistic, config.train_profile_fraction, config.seed)
    inner = test_real[test_real["radius_km"] <= config.inner_radius_km]
    notes.update(
        n_cells=len(realistic),
        n_profiles=int(realistic["profile"].nunique()),
        n_train_profiles=int(train_real["profile"].nunique()),
        n_test_profiles=int(test_real["profile"].nunique()),
        crossing_fraction=float(realistic["crossing"].mean()),
        crossing_fraction_xln=float(realistic["crossing_xln"].mean()),
    )
    tables: dict[str, pd.DataFrame] = {"radial": radial_crossing_profile(realistic)}
    if config.label_check_profiles > 0:
        tables["label_resolution"] = label_resolution_check(
            config.label_check_profiles, config.seed + 1000, config.solver
        )
    figures: dict[str, Any] = {"radial": _plot_radial(realistic)}

    # 1. Table I: artificial only, tested on every realistic cell.
    artificial = artificial_training_sets(config)
    rows = []
    for set_name, train in artificial.items():
        specs = [("lr", f"LR (n={config.old_lr_degree})", config.old_lr_degree), *_models(config)]
        for name, display, degree in specs:
            _, evs = _fit_eval(
                name, degree, train, {"all": realistic, "held-out": test_real}, eln, config.seed
            )
            rows.append(_row(set_name, display, "all realistic", evs["all"]))
            rows.append(_row(set_name, display, "held-out profiles", evs["held-out"]))
    table_1 = pd.DataFrame(rows)
    tables["table_1"] = table_1

    # Fig. 1: LR accuracy against degree, artificial-only and artificial + realistic training.
    sweep_sets = {
        k: v.sample(n=min(config.sweep_rows, len(v)), random_state=config.seed)
        for k, v in artificial.items()
    }
    sweep_sets["hierarchical + realistic"] = pd.concat(
        [sweep_sets["hierarchical"], train_real], ignore_index=True
    )
    curves = []
    for set_name, train in sweep_sets.items():
        c = degree_sweep(
            train, {"held-out": test_real}, eln, degrees=config.degrees, random_state=config.seed
        )
        c["train"] = set_name
        curves.append(c)
    degree_curve = pd.concat(curves, ignore_index=True)
    tables["degree_curve"] = degree_curve[
        ["train", "degree", "accuracy", "precision", "recall", "f1", "train_s"]
    ]
    figures["degree_curve"] = _plot_degree_curve(degree_curve)

    # 2./3. Tables II and III: artificial (hierarchical) + realistic training profiles.
    combined = pd.concat([artificial["hierarchical"], train_real], ignore_index=True)
    rows2, rows3 = [], []
    by_radius: dict[str, pd.Series] = {}
    bins = pd.cut(test_real["radius_km"], list(_RADIAL_BINS))
    truth = test_real["crossing"].to_numpy()
    for name, display, degree in _models(config):
        _, evs = _fit_eval(
            name, degree, combined, {"test": test_real, "inner": inner}, eln, config.seed
        )
        row = _row("hierarchical + realistic", display, "held-out profiles", evs["test"])
        row.update(error_budget(truth, evs["test"].probability >= 0.5, test_real["depth"]))
        rows2.append(row)
        hit = pd.Series((evs["test"].probability >= 0.5) == truth, index=test_real.index)
        by_radius[display] = hit.groupby(bins, observed=True).mean()
        if "inner" in evs:
            rows3.append(
                _row(
                    "hierarchical + realistic",
                    display,
                    f"held-out, r <= {config.inner_radius_km:g} km",
                    evs["inner"],
                )
            )
    tables["table_2"] = pd.DataFrame(rows2)
    for family in ("maxent", "gaussian"):
        pred = label_moments(test_real[eln], family=family, on_invalid="mask")[
            "crossing"
        ].to_numpy()
        hit = pd.Series(pred == truth, index=test_real.index)
        by_radius[f"analytic {family}"] = hit.groupby(bins, observed=True).mean()
    sphere = bright_sphere_crossing(test_real[eln].to_numpy())
    hit = pd.Series(sphere == truth.astype(bool), index=test_real.index)
    by_radius["bright spheres"] = hit.groupby(bins, observed=True).mean()
    by_radius["no crossing"] = (
        pd.Series(truth == 0, index=test_real.index).groupby(bins, observed=True).mean()
    )
    radial_acc = pd.DataFrame(by_radius)
    radial_acc.insert(0, "cells", bins.value_counts().reindex(radial_acc.index).to_numpy())
    radial_acc.index = [f"{iv.left:g}-{iv.right:g}" for iv in radial_acc.index]
    tables["accuracy_by_radius"] = radial_acc.rename_axis("radius [km]").reset_index()
    tables["table_3"] = pd.DataFrame(rows3)
    tables["profile_curve"] = profile_learning_curve(
        artificial["hierarchical"], train_real, test_real, config
    )

    # 4. Analytic tests from moments on the same cells.
    rows4 = []
    for family in ("maxent", "gaussian"):
        for test_name, test in (
            ("all realistic", realistic),
            ("held-out profiles", test_real),
            ("held-out inner", inner),
        ):
            if len(test) == 0:
                continue
            ev, invalid = _analytic(test, family, eln, "crossing")
            row = _row("-", f"analytic {family}", test_name, ev)
            row["invalid fraction"] = invalid
            rows4.append(row)
    for test_name, test in (("all realistic", realistic), ("held-out profiles", test_real)):
        pred = bright_sphere_crossing(test[eln].to_numpy()).astype(np.float64)
        ev = evaluate_probabilities(test["crossing"].to_numpy(), pred, name="bright spheres")
        rows4.append(_row("-", "analytic bright spheres (cone closure)", test_name, ev))
    tables["analytic"] = pd.DataFrame(rows4)

    # 5. Domain adaptation: labelled artificial + unlabelled realistic training profiles.
    rows5 = []
    source = artificial["hierarchical"]
    X = np.vstack([source[eln].to_numpy(), train_real[eln].to_numpy()])
    y = np.concatenate([source["crossing"].to_numpy(), -np.ones(len(train_real), dtype=np.int64)])
    for adversarial in (False, True):
        clf = DomainAdversarialClassifier(
            adversarial=adversarial, max_epochs=config.dann_epochs, random_state=config.seed
        )
        t0 = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - t0
        name = "DANN (gradient reversal)" if adversarial else "same network, no adversary"
        for test_name, test in (("all realistic", realistic), ("held-out profiles", test_real)):
            ev = evaluate_model(clf, test, eln, name="dann")
            row = _row(
                "hierarchical (+ unlabelled realistic)" if adversarial else "hierarchical",
                name,
                test_name,
                ev,
            )
            row["train_s"] = seconds
            rows5.append(row)
    tables["domain_adaptation"] = pd.DataFrame(rows5)

    # 6. Higher moments.
    art_hm = add_family_moments(artificial["hierarchical"])
    combined_hm = pd.concat([art_hm, train_real], ignore_index=True)
    rows6 = []
    for feat_name, extra in _HIGHER.items():
        features = eln + list(extra)
        for train_name, train in (
            ("hierarchical", art_hm),
            ("hierarchical + realistic", combined_hm),
            ("realistic only", train_real),
        ):
            for name in ("lr", "knn", "tree", "gbt_forward"):
                degree = config.lr_degree
                _, evs = _fit_eval(name, degree, train, {"test": test_real}, features, config.seed)
                display = (
                    f"LR (n={degree})"
                    if name == "lr"
                    else STUDY_MODELS.get(name) or MODEL_LABELS.get(name, name)
                )
                row = _row(train_name, display, "held-out profiles", evs["test"])
                row["features"] = feat_name
                rows6.append(row)
    tables["higher_moments"] = pd.DataFrame(rows6)

    # 7. ELN-XLN crossings.
    xln_art = generate("xln", config.family, config.n_artificial, config.seed + 2)
    xln = list(XLN_FEATURES)
    rows7 = []
    for train_name, train in (
        ("xln artificial", xln_art),
        (
            "xln artificial + realistic",
            pd.concat(
                [xln_art, train_real.assign(crossing=train_real["crossing_xln"])], ignore_index=True
            ),
        ),
    ):
        for name, display, degree in _models(config):
            if name in _ELN_ONLY:
                continue
            _, evs = _fit_eval(
                name,
                degree,
                train,
                {"test": test_real.assign(crossing=test_real["crossing_xln"])},
                xln,
                config.seed,
            )
            rows7.append(_row(train_name, display, "held-out profiles (XLN label)", evs["test"]))
    for family in ("maxent", "gaussian"):
        ev, invalid = _analytic(
            test_real.assign(crossing=test_real["crossing_xln"]), family, xln, "crossing"
        )
        row = _row("-", f"analytic {family}", "held-out profiles (XLN label)", ev)
        rows7.append(row)
    tables["xln"] = pd.DataFrame(rows7)
    notes["targets"] = _targets(tables)
    notes["study_seconds"] = time.perf_counter() - t_start
    return StudyResult(config, tables, figures, notes)


#: Crossings shallower than this (minority-sign share of |G|) are counted apart in the error budget.
SHALLOW_DEPTH = 1e-3


def error_budget(
    truth: np.ndarray, predicted: np.ndarray, depth: pd.Series | np.ndarray
) -> dict[str, float]:
    """Where a classifier's errors lie, as fractions of all cells (they sum to 1 - accuracy).

    Args:
        truth: exact labels (0/1), shape (n_cells,).
        predicted: predicted labels (bool or 0/1), shape (n_cells,).
        depth: crossing depth of each cell (0 without a crossing), shape (n_cells,).

    Returns:
        ``missed, depth < SHALLOW_DEPTH``, ``missed, deeper`` and ``false alarms``.
    """
    t = np.asarray(truth).astype(bool)
    p = np.asarray(predicted).astype(bool)
    d = np.asarray(depth, dtype=np.float64)
    n = max(t.size, 1)
    missed = t & ~p
    return {
        f"missed, depth < {SHALLOW_DEPTH:g}": float(np.sum(missed & (d < SHALLOW_DEPTH)) / n),
        "missed, deeper": float(np.sum(missed & (d >= SHALLOW_DEPTH)) / n),
        "false alarms": float(np.sum(~t & p) / n),
    }


#: Shares of the training profiles in the learning curve (the last is all of them).
PROFILE_CURVE_FRACTIONS: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)


def profile_learning_curve(
    artificial: pd.DataFrame,
    train_real: pd.DataFrame,
    test_real: pd.DataFrame,
    config: StudyConfig,
    fractions: Sequence[float] = PROFILE_CURVE_FRACTIONS,
) -> pd.DataFrame:
    """Held-out accuracy against the number of realistic training profiles (Table II recipe).

    The best Table II candidates (``gbt``, ``gbt_forward``, ``mlp_physical``, those in
    ``config.models``) are
    trained on ``artificial`` plus the cells of the first ``fraction`` of the training profiles (a
    fixed random order), and scored on all held-out cells and on those beyond
    ``config.inner_radius_km``. Accuracy that still rises at the full training set means the
    score is limited by the number of independent profiles, not by the model.

    Returns:
        Rows ``model, train profiles, train cells, accuracy, accuracy (r > inner)``.
    """
    profiles = np.random.default_rng(config.seed + 7).permutation(
        np.unique(train_real["profile"].to_numpy())
    )
    outer = test_real[test_real["radius_km"] > config.inner_radius_km]
    names = [n for n in _CURVE_MODELS if n in config.models]
    rows = []
    for frac in fractions:
        k = max(1, round(frac * profiles.size))
        part = train_real[train_real["profile"].isin(profiles[:k])]
        train = pd.concat([artificial, part], ignore_index=True)
        for name in names:
            _, evs = _fit_eval(
                name, 2, train, {"test": test_real, "outer": outer}, ELN_FEATURES, config.seed
            )
            rows.append(
                {
                    "model": STUDY_MODELS.get(name) or MODEL_LABELS.get(name, name),
                    "train profiles": k,
                    "train cells": len(part),
                    "accuracy": evs["test"].accuracy,
                    f"accuracy (r > {config.inner_radius_km:g} km)": (
                        evs["outer"].accuracy if "outer" in evs else float("nan")
                    ),
                }
            )
    return pd.DataFrame(rows)


def best_accuracy(frame: pd.DataFrame, test: str) -> tuple[float, str]:
    """Highest accuracy among ``frame``'s rows for ``test``, and "model trained on set" of that row."""
    rows = frame[frame["test"] == test]
    if rows.empty:
        return float("nan"), "-"
    top = rows.iloc[int(np.argmax(rows["accuracy"].to_numpy()))]
    return float(top["accuracy"]), f"{top['model']} trained on {top['train']}"


def _targets(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """The issue's targets: >= 95 % artificial-only on realistic data, >= 98 % with realistic profiles."""
    art, art_model = best_accuracy(tables["table_1"], "all realistic")
    mixed, mixed_model = best_accuracy(tables["table_2"], "held-out profiles")
    analytic = tables["analytic"]
    out = {
        "artificial only, all realistic cells (target >= 0.95)": f"{art:.4f} ({art_model})",
        "artificial + realistic, held-out profiles (target >= 0.98)": f"{mixed:.4f} ({mixed_model})",
    }
    for family in ("maxent", "gaussian"):
        for test in ("all realistic", "held-out profiles"):
            acc = analytic[
                (analytic["model"] == f"analytic {family}") & (analytic["test"] == test)
            ]["accuracy"]
            if len(acc):
                out[f"analytic {family}, {test}"] = f"{float(acc.iloc[0]):.4f}"
    return out
