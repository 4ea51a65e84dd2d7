"""The one registry of named crossing-classifier variants.

Every model that a command, a study or a config file names is one row of :data:`MODEL_VARIANTS`:
its key, the labels the reports print, the estimator it is built from, its fixed settings and
what it reads. To add a model, add a builder below (if its estimator is new) and a row.

Keys follow one scheme, ``<estimator>[<degree>][_<inputs>]``:

* estimator: ``lr`` (polynomial logistic regression), ``knn``, ``svm``, ``tree``, ``gbt``
  (LightGBM), ``mlp`` (the PyTorch MLP) -- :data:`ESTIMATORS`;
* degree: the polynomial degree n of an LR (the papers' ``lr2`` and ``lr9``; every ``lr<n>``
  resolves); a bare ``lr`` takes the caller's degree (``--degree``, default 2);
* inputs: ``_phys`` reads physical coordinates (:mod:`nulearn.flavor.models.coordinates`),
  ``_forward`` forward-peak coordinates (:mod:`nulearn.flavor.models.forward_coordinates`),
  ``_closure`` also G(mu) reconstructed under the maximum-entropy closure; none: the papers'
  moment features.

Older names stay valid as :data:`ALIASES` (``lr_physical``, ``mlp_physical``).

>>> get_variant("lr2_phys").label
'LR (n = 2), physical coordinates'
>>> get_variant("lr_physical").key
'lr2_phys'
>>> get_variant("lr7").compact_label
'LR (n=7)'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ALIASES",
    "ESTIMATORS",
    "MODEL_KEYS",
    "MODEL_VARIANTS",
    "ModelVariant",
    "build_model",
    "get_variant",
    "load_model_config",
    "model_label",
    "model_names",
]

#: Estimators every variant is built from (``nulearn flavor train --model`` accepted these first).
ESTIMATORS: tuple[str, ...] = ("lr", "knn", "svm", "tree", "gbt", "mlp")

#: A builder: (random_state, polynomial degree, hyperparameters) -> unfitted estimator. It removes
#: the parameters it consumed from the mapping; the rest are applied with ``set_params``.
Builder = Callable[[int, int, dict[str, Any]], Any]


@dataclass(frozen=True)
class ModelVariant:
    """One named crossing classifier.

    Attributes:
        key: registry key (module docstring: ``<estimator>[<degree>][_<inputs>]``).
        label: display name in the reproduction's tables (as the papers spell it).
        compact_label: display name in wide tables (the realistic study, evaluation defaults).
        estimator: one of :data:`ESTIMATORS`.
        builder: makes the unfitted estimator (:data:`Builder`).
        degree: fixed polynomial degree of an LR; ``None``: the caller's (default 2).
        params: fixed hyperparameters applied before the caller's overrides.
        coordinates: what the model maps its features to first: ``raw`` (nothing), ``physical``
            or ``forward``.
        uses_closure: reads features reconstructed under a closure, not only the moments and sums
            of them (never the "best closure-free" model of a report).
        eln_only: reads the three ELN features (optionally with I2, I3) only, not ELN-XLN tables.
        aliases: older names that resolve to this variant.
    """

    key: str
    label: str
    compact_label: str
    estimator: str
    builder: Builder
    degree: int | None = None
    params: tuple[tuple[str, Any], ...] = ()
    coordinates: str = "raw"
    uses_closure: bool = False
    eln_only: bool = False
    aliases: tuple[str, ...] = ()

    def polynomial_degree(self, degree: int | None = None) -> int:
        """The LR degree this variant is built with, given the caller's ``degree`` (or ``None``).

        Raises:
            ValueError: the caller's degree contradicts the degree in the key (``lr9`` at 3).
        """
        if self.degree is None:
            return 2 if degree is None else int(degree)
        if degree is not None and int(degree) != self.degree:
            raise ValueError(
                f"model {self.key!r} has polynomial degree {self.degree}; degree {degree} contradicts "
                f"it (use 'lr' with that degree, or 'lr{degree}')"
            )
        return self.degree

    def build(
        self,
        random_state: int = 0,
        *,
        degree: int | None = None,
        config: str | Path | Mapping[str, Any] | None = None,
    ) -> Any:
        """An unfitted estimator: this variant's settings, then the caller's overrides.

        Args:
            random_state: seed of the models that use randomness.
            degree: polynomial degree of a bare ``lr`` (ignored by other estimators).
            config: hyperparameter overrides, a mapping or a YAML file of ``name: value``
                (scikit-learn parameter names, e.g. ``{"C": 10}`` for ``svm``,
                ``{"logreg__C": 0.1}`` or ``{"coordinates": "physical"}`` for ``lr``); for ``mlp``
                a YAML path is an ``MLPConfig`` file.
        """
        n = self.polynomial_degree(degree) if self.estimator == "lr" else 2
        if self.estimator == "mlp" and isinstance(config, str | Path):
            return _mlp_from_yaml(Path(config), dict(self.params))
        params = {**dict(self.params), **load_model_config(config)}
        model = self.builder(random_state, n, params)
        if params:
            try:
                model.set_params(**params)
            except ValueError as err:
                valid = sorted(model.get_params(deep=True))
                raise ValueError(
                    f"model config for {self.key!r} has an invalid parameter ({err}); valid: {valid}"
                ) from err
        return model


def load_model_config(config: str | Path | Mapping[str, Any] | None) -> dict[str, Any]:
    """Hyperparameter overrides from a YAML file path or a mapping (``None``: no overrides)."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    from nulearn.ml.io import read_yaml

    return read_yaml(config, what="model config")


# -- builders, one per estimator (scikit-learn, LightGBM and torch are imported when used) ------------
def _build_lr(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    from nulearn.flavor.models.classical import polynomial_logistic_regression

    coordinates = str(params.pop("coordinates", "raw"))
    return polynomial_logistic_regression(
        degree=degree, random_state=random_state, coordinates=coordinates
    )


def _build_knn(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=3, weights="distance")


def _build_svm(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    from nulearn.flavor.models.classical import RBFSVMClassifier

    return RBFSVMClassifier(gamma=100.0, random_state=random_state)


def _build_tree(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(random_state=random_state)


def _build_gbt(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    from nulearn.flavor.models.classical import BoostedTreesClassifier

    return BoostedTreesClassifier(random_state=random_state)


def _build_gbt_forward(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    # LightGBM (with its validation-split early stopping) on forward-peak coordinates of the ELN
    # features, plus I2/I3 when given; the moment features of plain ``gbt`` are not appended.
    from sklearn.pipeline import Pipeline

    from nulearn.flavor.models.classical import BoostedTreesClassifier
    from nulearn.flavor.models.forward_coordinates import ForwardPeakCoordinates

    return Pipeline(
        [
            ("coords", ForwardPeakCoordinates()),
            ("gbt", BoostedTreesClassifier(moment_features=False, random_state=random_state)),
        ]
    )


#: The small, fast MLP for moment features (3 or 7 inputs, balanced classes): the deep,
#: class-weighted recipe of :mod:`nulearn.flavor.models.mlp.classifier` is for rare instabilities.
#: Threshold 0.5 on calibrated probabilities is the accuracy-optimal rule the papers' tables score.
_SMALL_MLP: dict[str, Any] = {
    "hidden_layers": (128, 128, 64),
    "dropout": 0.0,
    "batch_size": 512,
    "learning_rate": 3e-3,
    "max_epochs": 50,
    "patience": 8,
    "val_fraction": 0.1,
    "class_weight": "none",
    "threshold": 0.5,
    "accelerator": "cpu",
    "devices": 1,
}


def _build_mlp(random_state: int, degree: int, params: dict[str, Any]) -> Any:
    from nulearn.flavor.models.mlp.classifier import MLPClassifier

    overrides = {**_SMALL_MLP, "seed": random_state, **params}
    params.clear()  # every override is a constructor argument, none is left for set_params
    return MLPClassifier(**overrides)


def _mlp_from_yaml(path: Path, fixed: dict[str, Any]) -> Any:
    """An MLP from an ``MLPConfig`` YAML file, with the variant's fixed settings on top."""
    from nulearn.flavor.models.mlp.classifier import MLPClassifier, MLPConfig
    from nulearn.ml.io import read_yaml

    read_yaml(path, what="MLP config")  # a missing, empty-but-garbage or malformed file: one line
    config = MLPConfig.from_yaml(path)
    return MLPClassifier(dataclasses.replace(config, **fixed) if fixed else config)


# -- the table -------------------------------------------------------------------------------------
def _polynomial_lr(degree: int, coordinates: str = "raw") -> ModelVariant:
    """The LR of a fixed degree ``n`` (key ``lr<n>``, or ``lr<n>_phys`` in physical coordinates)."""
    if coordinates == "physical":
        return ModelVariant(
            f"lr{degree}_phys",
            f"LR (n = {degree}), physical coordinates",
            f"LR (n={degree}, physical coordinates)",
            "lr",
            _build_lr,
            degree=degree,
            params=(("coordinates", "physical"),),
            coordinates="physical",
            aliases=("lr_physical",) if degree == 2 else (),
        )
    return ModelVariant(
        f"lr{degree}", f"LR (n = {degree})", f"LR (n={degree})", "lr", _build_lr, degree=degree
    )


#: Every named variant, by key. ``lr<n>`` and ``lr<n>_phys`` of other degrees resolve too.
MODEL_VARIANTS: dict[str, ModelVariant] = {
    v.key: v
    for v in (
        ModelVariant("lr", "LR", "LR", "lr", _build_lr),
        _polynomial_lr(2),
        _polynomial_lr(9),
        _polynomial_lr(2, "physical"),
        ModelVariant("knn", "KNN (k = 3)", "KNN (k=3)", "knn", _build_knn),
        ModelVariant("svm", "SVM (RBF, γ = 100)", "SVM", "svm", _build_svm),
        ModelVariant("tree", "Decision tree", "Decision tree", "tree", _build_tree),
        ModelVariant("gbt", "Gradient-boosted trees", "Gradient-boosted trees", "gbt", _build_gbt),
        ModelVariant(
            "gbt_closure",
            "GBT + maxent-closure G(μ)",
            "GBT + maxent-closure G(μ)",
            "gbt",
            _build_gbt,
            params=(("closure_features", "maxent"),),
            uses_closure=True,
        ),
        ModelVariant(
            "gbt_forward",
            "GBT (forward-peak coordinates)",
            "GBT (forward-peak coordinates)",
            "gbt",
            _build_gbt_forward,
            coordinates="forward",
            eln_only=True,
        ),
        ModelVariant("mlp", "MLP", "MLP", "mlp", _build_mlp),
        ModelVariant(
            "mlp_phys",
            "MLP (physical coordinates)",
            "MLP (physical coordinates)",
            "mlp",
            _build_mlp,
            params=(("coordinates", "physical"),),
            coordinates="physical",
            aliases=("mlp_physical",),
        ),
    )
}

#: Registry keys, in table order.
MODEL_KEYS: tuple[str, ...] = tuple(MODEL_VARIANTS)

#: Older names -> registry key.
ALIASES: dict[str, str] = {a: v.key for v in MODEL_VARIANTS.values() for a in v.aliases}

_LR_KEY = re.compile(r"lr(\d+)(_phys)?")


def model_names() -> tuple[str, ...]:
    """Every name :func:`get_variant` accepts by listing: the keys, then the aliases."""
    return (*MODEL_KEYS, *ALIASES)


def get_variant(name: str) -> ModelVariant:
    """The variant of a key, an alias or ``lr<n>[_phys]``.

    Raises:
        ValueError: ``unknown model ...`` naming the allowed keys.
    """
    key = ALIASES.get(name, name)
    if key in MODEL_VARIANTS:
        return MODEL_VARIANTS[key]
    match = _LR_KEY.fullmatch(key)
    if match and int(match[1]) >= 1:
        return _polynomial_lr(int(match[1]), "physical" if match[2] else "raw")
    raise ValueError(f"unknown model {name!r}; allowed: {', '.join(model_names())}")


def model_label(name: str, compact: bool = True) -> str:
    """Display name of a model key (``compact`` or as the papers spell it); unknown names as given."""
    try:
        variant = get_variant(name)
    except ValueError:
        return name
    return variant.compact_label if compact else variant.label


def build_model(
    name: str,
    *,
    degree: int | None = None,
    config: str | Path | Mapping[str, Any] | None = None,
    random_state: int = 0,
) -> Any:
    """An unfitted crossing classifier by registry key or alias.

    Args:
        name: a key of :data:`MODEL_VARIANTS`, an alias or ``lr<n>[_phys]``.
        degree: polynomial degree of a bare ``lr`` (default 2; ignored by other estimators; must
            agree with the degree of ``lr2``, ``lr9``, ...).
        config: hyperparameter overrides (YAML path or mapping), applied with ``set_params``;
            for ``mlp`` a YAML path is read by ``MLPConfig.from_yaml`` and a mapping is passed as
            keyword overrides.
        random_state: seed for the models that use randomness.

    Returns:
        A scikit-learn-compatible classifier with ``predict_proba``.

    >>> build_model("lr9").named_steps["poly"].degree
    9
    """
    return get_variant(name).build(random_state, degree=degree, config=config)
