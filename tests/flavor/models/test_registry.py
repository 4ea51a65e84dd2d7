"""The registry of named model variants: one key scheme, old names as aliases, builders."""

from __future__ import annotations

import pytest
from sklearn.base import clone

from nulearn.flavor.evaluation.scoring import evaluate_probabilities
from nulearn.flavor.models.registry import (
    ALIASES,
    ESTIMATORS,
    MODEL_KEYS,
    MODEL_VARIANTS,
    build_model,
    get_variant,
    model_label,
    model_names,
)


def test_keys_follow_the_scheme_and_are_unique() -> None:
    assert len(set(model_names())) == len(MODEL_KEYS) + len(ALIASES)
    for key, variant in MODEL_VARIANTS.items():
        assert variant.key == key and variant.estimator in ESTIMATORS
        assert key.startswith(variant.estimator)
        suffix = {"raw": "", "physical": "_phys", "forward": "_forward"}[variant.coordinates]
        assert key.endswith(suffix)


@pytest.mark.parametrize(
    ("old", "key"), [("lr_physical", "lr2_phys"), ("mlp_physical", "mlp_phys")]
)
def test_old_names_are_aliases(old: str, key: str) -> None:
    assert get_variant(old) is MODEL_VARIANTS[key]


def test_lr_degree_comes_from_the_key_or_the_caller() -> None:
    assert build_model("lr", degree=4).named_steps["poly"].degree == 4
    assert build_model("lr").named_steps["poly"].degree == 2
    assert get_variant("lr7").label == "LR (n = 7)"
    assert build_model("lr3_phys").named_steps["coords"] is not None
    with pytest.raises(ValueError, match="degree 9; degree 3 contradicts"):
        build_model("lr9", degree=3)


def test_variants_build_what_the_old_spellings_built() -> None:
    """lr2_phys = lr + coordinates physical; gbt_closure = gbt + maxent closure features."""
    pairs = [
        (build_model("lr2_phys"), build_model("lr", config={"coordinates": "physical"})),
        (build_model("gbt_closure"), build_model("gbt", config={"closure_features": "maxent"})),
    ]
    for variant, spelled in pairs:
        assert repr(variant.get_params()) == repr(spelled.get_params())
    assert get_variant("gbt_closure").uses_closure and get_variant("gbt_forward").eln_only


@pytest.mark.parametrize("key", [k for k in MODEL_KEYS if not k.startswith("mlp")])
def test_every_classical_variant_is_a_fresh_sklearn_estimator(key: str) -> None:
    model = build_model(key, random_state=3)
    assert hasattr(model, "predict_proba")
    clone(model)


def test_mlp_variants_carry_their_coordinates() -> None:
    assert build_model("mlp_phys", config={"max_epochs": 2}).config.coordinates == "physical"
    assert build_model("mlp").config.coordinates == "raw"


def test_unknown_names_and_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="unknown model 'rf'; allowed: lr, lr2"):
        get_variant("rf")
    with pytest.raises(ValueError, match="invalid parameter"):
        build_model("svm", config={"nope": 1})


def test_labels() -> None:
    assert model_label("lr") == "LR" and model_label("knn") == "KNN (k=3)"
    assert model_label("lr_physical") == "LR (n=2, physical coordinates)"
    assert model_label("svm", compact=False) == "SVM (RBF, γ = 100)"
    assert model_label("maxent") == "maxent"
    assert evaluate_probabilities([0, 1], [0.2, 0.9], name="gbt_closure").label == (
        "GBT + maxent-closure G(μ)"
    )
