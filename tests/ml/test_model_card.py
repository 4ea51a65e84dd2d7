"""Model directories: round trip, input checks, tamper and version checks."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

import nulearn.ml.model_card as model_card_module
from nulearn.ml.model_card import (
    ModelCard,
    ModelCardError,
    data_sha256,
    load_model,
    save_model,
)

FEATURES = ("alpha", "F_nue", "F_nuebar")


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(200, 3)), columns=list(FEATURES))
    y = (X["F_nue"] > X["F_nuebar"]).astype(int).to_numpy()
    card = ModelCard.for_training(
        "lr", X, y, feature_names=FEATURES, label="crossing", scheme="original"
    )
    est = LogisticRegression().fit(X.to_numpy(), y)
    save_model(est, card, tmp_path / "m")
    return tmp_path / "m", X


def test_round_trip_and_card_fields(trained: tuple[Path, pd.DataFrame]) -> None:
    path, X = trained
    model = load_model(path)
    card = yaml.safe_load((path / "card.yaml").read_text())
    assert card["feature_names"] == list(FEATURES)
    assert card["scheme"] == "original"
    assert "scikit-learn" in card["versions"] and len(card["estimator_sha256"]) == 64
    assert card["params"]["C"] == 1.0
    p = model.predict_proba(X)
    assert p.shape == (200, 2)
    np.testing.assert_array_equal(model.predict(X), (p[:, 1] >= 0.5).astype(int))
    # Extra columns anywhere are fine; plain arrays of the right width are taken in card order.
    wider = X.assign(family="maxent", crossing=0)[["family", *FEATURES, "crossing"]]
    np.testing.assert_allclose(model.predict_proba(wider), p)
    np.testing.assert_allclose(model.predict_proba(X.to_numpy()), p)


def test_refuses_missing_and_reordered_features(trained: tuple[Path, pd.DataFrame]) -> None:
    path, X = trained
    model = load_model(path)
    with pytest.raises(ModelCardError, match=r"lacks feature column\(s\) \['F_nuebar'\]"):
        model.predict(X.drop(columns="F_nuebar"))
    with pytest.raises(ModelCardError, match="reordered"):
        model.predict(X[["F_nue", "alpha", "F_nuebar"]])
    with pytest.raises(ModelCardError, match=r"\(n_samples, 3\)"):
        model.predict(X.to_numpy()[:, :2])
    bad = X.copy()
    bad.iloc[5, 1] = np.nan
    with pytest.raises(ModelCardError, match="'F_nue' at row 5"):
        model.predict(bad)


def test_tampered_estimator_is_refused(trained: tuple[Path, pd.DataFrame]) -> None:
    path, _ = trained
    with open(path / "estimator.joblib", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelCardError, match="changed or corrupted"):
        load_model(path)


def test_version_mismatch_warns_or_refuses(trained: tuple[Path, pd.DataFrame]) -> None:
    path, _ = trained
    # A model saved where scikit-learn had another version (its checksum is consistent).
    card = ModelCard.from_yaml(path / "card.yaml")
    card.versions = {**card.versions, "scikit-learn": "0.0.1"}
    card.card_sha256 = card.content_sha256()
    card.to_yaml(path / "card.yaml")
    with pytest.warns(UserWarning, match="scikit-learn 0.0.1"):
        load_model(path)
    with pytest.raises(ModelCardError, match="package versions differ"):
        load_model(path, strict=True)


def test_edited_card_is_refused(trained: tuple[Path, pd.DataFrame]) -> None:
    path, _ = trained
    text = (path / "card.yaml").read_text()
    swapped = text.replace("- F_nue\n- F_nuebar\n", "- F_nuebar\n- F_nue\n", 1)
    assert swapped != text
    (path / "card.yaml").write_text(swapped)
    with pytest.raises(ModelCardError, match="does not match its integrity checksum"):
        load_model(path)
    with pytest.raises(ModelCardError, match="does not match"):
        load_model(path, trusted=True)  # trust never excuses an edited card


def test_card_without_checksum_needs_trust(trained: tuple[Path, pd.DataFrame]) -> None:
    path, X = trained
    card = yaml.safe_load((path / "card.yaml").read_text())
    card.pop("card_sha256")
    (path / "card.yaml").write_text(yaml.safe_dump(card))
    with pytest.raises(ModelCardError, match=r"no integrity checksum.*--trust-model"):
        load_model(path)
    assert load_model(path, trusted=True).predict(X).shape == (len(X),)


@pytest.mark.parametrize("content", ["", "{{{ not: yaml: [", "- just\n- a list\n", "model: lr\n"])
def test_garbage_card_is_one_error(trained: tuple[Path, pd.DataFrame], content: str) -> None:
    path, _ = trained
    (path / "card.yaml").write_text(content)
    with pytest.raises(ModelCardError) as err:
        load_model(path)
    assert "card.yaml" in str(err.value) and "\n" not in str(err.value)


def test_data_hash_sensitivity() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    y = np.array([0, 1])
    h = data_sha256(X, y)
    assert h == data_sha256(X.copy(), y.copy())
    assert h != data_sha256(X, y[::-1])
    assert h != data_sha256(X[["b", "a"]], y)
    assert h != data_sha256(X.assign(a=[1.0, 2.0 + 1e-12]), y)


def test_card_validation_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplicates"):
        ModelCard("lr", ("a", "a"), "y", "0" * 64, 1)
    with pytest.raises(ValueError, match="threshold"):
        ModelCard("lr", ("a",), "y", "0" * 64, 1, threshold=1.5)
    with pytest.raises(ModelCardError, match=r"lacks card\.yaml"):
        load_model(tmp_path)


def test_save_refuses_width_mismatch(tmp_path: Path) -> None:
    est = LogisticRegression().fit(np.eye(4)[:, :2], [0, 1, 0, 1])
    card = ModelCard("lr", ("a", "b", "c"), "y", "0" * 64, 4)
    with pytest.raises(ModelCardError, match="fitted on 2 features"):
        save_model(est, card, tmp_path)


def test_docstring_example() -> None:
    assert doctest.testmod(model_card_module).failed == 0
