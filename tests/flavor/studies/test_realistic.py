"""The artificial-to-realistic study: profile split, higher moments, DANN, end-to-end CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.data.splits import split_by_profile
from nulearn.flavor.models.domain_adaptation import (
    DomainAdversarialClassifier,
    reverse_gradient,
)
from nulearn.flavor.physics.transport.profile import SolverConfig
from nulearn.flavor.studies.realistic import StudyConfig, add_family_moments


def test_split_by_profile_never_shares_a_profile() -> None:
    frame = pd.DataFrame({"profile": np.repeat(np.arange(10), 5), "x": np.arange(50)})
    train, test = split_by_profile(frame, 0.3, seed=1)
    assert set(train["profile"]).isdisjoint(set(test["profile"]))
    assert train["profile"].nunique() == 3 and len(train) + len(test) == 50
    with pytest.raises(ValueError, match="profiles"):
        split_by_profile(frame[frame["profile"] == 0], 0.5)


def test_family_moments_match_closed_forms() -> None:
    frame = pd.DataFrame(
        {
            "family": ["maxent", "gaussian", "maxent"],
            "alpha": [1.0, 1.0, 1.0],
            "F_nue": [0.0, 0.3, 0.9],
            "F_nuebar": [0.0, 0.5, 0.95],
        }
    )
    out = add_family_moments(frame)
    assert out.loc[0, "I2_nue"] == pytest.approx(1 / 3, abs=1e-6)  # isotropic
    assert out.loc[0, "I3_nue"] == pytest.approx(0.0, abs=1e-6)
    # Cauchy-Schwarz and ordering for forward-peaked distributions
    assert np.all(out["I2_nue"] >= out["F_nue"] ** 2)
    assert out.loc[2, "I2_nuebar"] > out.loc[2, "I2_nue"]


def test_gradient_reversal_flips_the_gradient() -> None:
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    (reverse_gradient(x, 0.5) * torch.tensor([3.0, 4.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-1.5, -2.0]))


def test_dann_honours_estimator_contract_and_validates_labels() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    y[450:] = -1
    clf = DomainAdversarialClassifier(hidden=16, max_epochs=8, batch_size=64, learning_rate=1e-2)
    clone(clf).fit(X, y)
    clf.fit(X, y)
    p = clf.predict_proba(X[:450])
    assert p.shape == (450, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert np.mean(clf.predict(X[:450]) == y[:450]) > 0.8
    y_bad = y.copy()
    y_bad[3] = 2
    with pytest.raises(ValueError, match="index 3"):
        clf.fit(X, y_bad)


def test_study_config_yaml_roundtrip() -> None:
    cfg = StudyConfig(n_artificial=500, models=("lr", "knn"), solver=SolverConfig(n_radii=32))
    assert StudyConfig.from_yaml(cfg.to_yaml()) == cfg
    with pytest.raises(ValueError, match="train_profile_fraction"):
        StudyConfig(train_profile_fraction=1.0)
    with pytest.raises(ValueError, match="unknown study model 'gbt_raw'"):
        StudyConfig(models=("lr", "gbt_raw"))


def test_cli_study_end_to_end(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    cfg = StudyConfig(
        n_artificial=1500,
        n_profiles=6,
        models=("lr", "knn", "lr_physical", "gbt_forward"),
        degrees=(1, 2),
        sweep_rows=1000,
        dann_epochs=2,
        label_check_profiles=1,
        seed=2,
        solver=SolverConfig(n_radii=32, n_core=8, n_mu=101),
    )
    path = tmp_path / "study.yaml"
    path.write_text(cfg.to_yaml())
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["flavor", "study", "--out", str(out), "--config", str(path)])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    for heading in (
        "Table I analogue",
        "Table II analogue",
        "Table III analogue",
        "Analytic tests",
        "Domain adaptation",
        "Higher moments",
        "ELN-XLN",
        "Targets",
        "Label quality",
        "Learning curve in independent profiles",
    ):
        assert heading in text
    table_2 = pd.read_csv(out / "table_2.csv")
    assert len(table_2) == 4 and table_2["accuracy"].between(0, 1).all()
    assert "GBT (forward-peak coordinates)" in set(table_2["model"])
    # the forward-peak model reads ELN features only: absent from the ELN-XLN table
    xln = pd.read_csv(out / "xln.csv")
    assert "GBT (forward-peak coordinates)" not in set(xln["model"])
    assert "LR (n=2, physical coordinates)" in set(xln["model"])
    curve = pd.read_csv(out / "profile_curve.csv")
    assert curve["train profiles"].is_monotonic_increasing
    assert curve.groupby("model")["train profiles"].max().to_dict() == {
        "GBT (forward-peak coordinates)": 3
    }
    assert (out / "figures" / "lr_degree.png").exists()
    assert "artificial only" in result.output
    assert "**Target 2 (with realistic profiles >= 98 % on held-out profiles):" in text
    label_check = pd.read_csv(out / "label_resolution.csv")
    assert label_check["2x core rays"].between(0, 1).all()
