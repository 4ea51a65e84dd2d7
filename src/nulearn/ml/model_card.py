"""Model directories: a fitted estimator plus a card that says what it expects and how it was made.

A model directory holds

- ``estimator.joblib``: the fitted scikit-learn-compatible estimator, pickled with joblib;
- ``card.yaml``: a :class:`ModelCard` — model name, feature names *in order*, label column,
  scheme, SHA-256 of the training data and of the estimator file, metrics, hyperparameters,
  package versions and the decision threshold.

:func:`load_model` checks the card against the directory (estimator hash, feature count,
package versions) and returns a :class:`CardedModel` whose ``predict``/``predict_proba``
refuse a table with missing or reordered feature columns, so that a model can never silently
read alpha where it was trained on F_nue.

Estimators that hold non-picklable state (e.g. a PyTorch model bound to a device) use the
standard pickling hook: ``__getstate__`` returns plain data (for torch, ``state_dict()``
tensors moved to CPU) and ``__setstate__`` rebuilds the network. Nothing else is needed here.

>>> import numpy as np, pandas as pd, tempfile
>>> from sklearn.linear_model import LogisticRegression
>>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]}); y = np.array([0, 0, 1, 1])
>>> card = ModelCard.for_training("demo", X, y, feature_names=("a", "b"), label="y")
>>> d = tempfile.mkdtemp()
>>> _ = save_model(LogisticRegression().fit(X.to_numpy(), y), card, d)
>>> load_model(d).predict(X).tolist()
[0, 0, 1, 1]
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import platform
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import ArrayLike, NDArray

from nulearn.ml.domain import TrainingDomain
from nulearn.ml.io import atomic_output, check_output, read_yaml
from nulearn.ml.persistence import dump_estimator, load_estimator

__all__ = [
    "CARD_FILE",
    "ESTIMATOR_FILE",
    "CardedModel",
    "ModelCard",
    "ModelCardError",
    "data_sha256",
    "file_sha256",
    "load_model",
    "package_versions",
    "save_model",
]

CARD_FILE = "card.yaml"
ESTIMATOR_FILE = "estimator.joblib"
CARD_FORMAT = 2
#: Card formats this version reads (1: before the integrity checksum and the training domain).
_READABLE_FORMATS = (1, 2)

# Packages whose versions decide whether a pickle still means the same model.
_TRACKED_PACKAGES: tuple[str, ...] = (
    "nulearn",
    "numpy",
    "scikit-learn",
    "scipy",
    "lightgbm",
    "torch",
    "pandas",
)
# A mismatch in these refuses loading in strict mode; others only warn.
_PICKLE_CRITICAL: tuple[str, ...] = ("scikit-learn", "torch", "lightgbm")


class ModelCardError(ValueError):
    """A model directory is inconsistent with its card, or input does not match the card."""


def package_versions(packages: Sequence[str] = _TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` (absent ones omitted) plus the Python version."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_sha256(features: pd.DataFrame, labels: ArrayLike | None = None) -> str:
    """Hex SHA-256 of a training table: column names, float64 values (row-major) and labels.

    Two tables hash equal iff they hold the same columns in the same order with bit-identical
    values and the same labels; the index is ignored.
    """
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, features.columns)).encode())
    h.update(np.ascontiguousarray(features.to_numpy(dtype=np.float64)).tobytes())
    if labels is not None:
        h.update(b"\x1elabels")
        h.update(np.ascontiguousarray(np.asarray(labels, dtype=np.int64)).tobytes())
    return h.hexdigest()


@dataclass
class ModelCard:
    """What a saved model expects and how it was made.

    Attributes:
        model: model name (e.g. ``"lr"``, ``"gbt"``).
        feature_names: feature columns in the order the estimator reads them.
        label: name of the target column.
        training_data_sha256: :func:`data_sha256` of the training features and labels.
        n_train: number of training samples.
        scheme: sampling scheme or data provenance (``None`` if not known).
        params: estimator hyperparameters (``get_params(deep=False)``, made YAML-safe).
        metrics: scores measured after training (e.g. on a validation split).
        threshold: decision threshold p_c on ``predict_proba[:, 1]`` used by ``predict``.
        classes: class names for label 0 and 1.
        versions: :func:`package_versions` at training time.
        created: UTC timestamp (ISO 8601).
        estimator_sha256: SHA-256 of ``estimator.joblib``; filled in by :func:`save_model`.
        extra: free-form provenance (data file path, training time, ...).
        domain: the training domain (:meth:`nulearn.ml.domain.TrainingDomain.to_dict`), or
            ``None`` when none was recorded.
        card_sha256: SHA-256 of the card's own content (every other field, the estimator hash
            included), filled in by :func:`save_model`; :func:`load_model` refuses a card whose
            content no longer matches it (an edited feature order, threshold, scheme, ...).
    """

    model: str
    feature_names: tuple[str, ...]
    label: str
    training_data_sha256: str
    n_train: int
    scheme: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.5
    classes: tuple[str, str] = ("0", "1")
    versions: dict[str, str] = field(default_factory=package_versions)
    created: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    )
    estimator_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    domain: dict[str, Any] | None = None
    card_sha256: str = ""

    def __post_init__(self) -> None:
        self.feature_names = tuple(str(f) for f in self.feature_names)
        self.classes = (str(self.classes[0]), str(self.classes[1]))
        if len(self.feature_names) == 0:
            raise ValueError("a model card needs at least one feature name")
        if len(set(self.feature_names)) != len(self.feature_names):
            raise ValueError(f"feature_names contain duplicates: {list(self.feature_names)}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold = {self.threshold} is outside the allowed range [0, 1]")

    @classmethod
    def for_training(
        cls,
        model: str,
        features: pd.DataFrame,
        labels: ArrayLike,
        *,
        feature_names: Sequence[str],
        label: str,
        **kwargs: Any,
    ) -> ModelCard:
        """Card for an estimator about to be trained on ``features[feature_names]`` and ``labels``."""
        names = tuple(feature_names)
        table = features.loc[:, list(names)]
        return cls(
            model=model,
            feature_names=names,
            label=label,
            training_data_sha256=data_sha256(table, labels),
            n_train=len(table),
            **kwargs,
        )

    def to_dict(self) -> dict[str, Any]:
        """YAML-safe dict (tuples as lists, NumPy scalars as Python numbers)."""
        d = asdict(self)
        d["format"] = CARD_FORMAT
        return _plain(d)

    def content_sha256(self) -> str:
        """SHA-256 of everything the card says except ``card_sha256`` itself (canonical YAML)."""
        d = self.to_dict()
        d.pop("card_sha256", None)
        d.pop("format", None)
        return hashlib.sha256(yaml.safe_dump(d, sort_keys=True).encode()).hexdigest()

    def training_domain(self) -> TrainingDomain | None:
        """The recorded :class:`~nulearn.ml.domain.TrainingDomain`, or ``None``."""
        if self.domain is None:
            return None
        return TrainingDomain.from_dict(self.domain)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        """Inverse of :meth:`to_dict`; unknown keys are rejected."""
        if not isinstance(data, dict):
            raise ModelCardError(f"a card is a mapping of fields, got {type(data).__name__}")
        data = dict(data)
        fmt = data.pop("format", CARD_FORMAT)
        if fmt not in _READABLE_FORMATS:
            raise ModelCardError(
                f"card format {fmt} is not supported; this nulearn reads formats {_READABLE_FORMATS}"
            )
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelCardError(f"card has unknown fields {unknown}")
        required = [
            f
            for f in ("model", "feature_names", "label", "training_data_sha256", "n_train")
            if f not in data
        ]
        if required:
            raise ModelCardError(f"card lacks required fields {required}")
        try:
            data["feature_names"] = tuple(data["feature_names"])
            data["classes"] = tuple(data.get("classes", ("0", "1")))
            return cls(**data)
        except (TypeError, ValueError) as err:
            raise ModelCardError(f"malformed card ({err})") from None

    def to_yaml(self, path: str | Path) -> None:
        """Write the card as YAML."""
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_yaml(cls, path: str | Path) -> ModelCard:
        """Read a card written by :meth:`to_yaml`; an unreadable or malformed card is one
        :class:`ModelCardError` naming the file."""
        try:
            return cls.from_dict(read_yaml(path, what="model card"))
        except ModelCardError as err:
            raise ModelCardError(f"model card {path}: {err}") from None
        except ValueError as err:
            raise ModelCardError(str(err)) from None


def _plain(obj: Any) -> Any:
    """Convert to YAML-safe builtins; anything exotic becomes its repr."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return repr(obj)


class CardedModel:
    """A fitted estimator bound to its card; predictions check the input's feature columns.

    Args:
        estimator: fitted estimator with ``predict_proba`` (binary).
        card: its :class:`ModelCard`.
    """

    def __init__(self, estimator: Any, card: ModelCard) -> None:
        self.estimator = estimator
        self.card = card

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Feature columns in the order the estimator reads them."""
        return self.card.feature_names

    def feature_matrix(self, X: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Check ``X`` against the card and return the (n_samples, n_features) float64 matrix.

        A DataFrame must hold every card feature, and the feature columns must appear in the card's
        order (other columns, e.g. labels or provenance, may sit anywhere and are ignored). A plain
        array must have exactly ``n_features`` columns and is taken to be in card order.

        Raises:
            ModelCardError: a feature is missing, the features are reordered, or the width is wrong.
        """
        names = self.card.feature_names
        if isinstance(X, pd.DataFrame):
            cols = [str(c) for c in X.columns]
            missing = [f for f in names if f not in cols]
            if missing:
                raise ModelCardError(
                    f"input lacks feature column(s) {missing}; the model expects {list(names)} in this order"
                )
            present = [c for c in cols if c in names]
            if present != list(names):
                raise ModelCardError(
                    f"input feature columns are reordered: found {present}, the model expects {list(names)}"
                )
            mat = X.loc[:, list(names)].to_numpy(dtype=np.float64)
        else:
            mat = np.asarray(X, dtype=np.float64)
            if mat.ndim != 2 or mat.shape[1] != len(names):
                raise ModelCardError(
                    f"input array has shape {mat.shape}; the model expects (n_samples, {len(names)}) "
                    f"with columns {list(names)}"
                )
        bad = ~np.isfinite(mat)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise ModelCardError(
                f"feature {names[col]!r} at row {row} is {mat[row, col]}; features must be finite"
            )
        return mat

    def predict_proba(self, X: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Class probabilities, shape (n_samples, 2)."""
        return np.asarray(self.estimator.predict_proba(self.feature_matrix(X)), dtype=np.float64)

    def predict(self, X: pd.DataFrame | ArrayLike) -> NDArray[np.int8]:
        """Labels 0/1 from ``predict_proba[:, 1] >= card.threshold``, shape (n_samples,)."""
        return (self.predict_proba(X)[:, 1] >= self.card.threshold).astype(np.int8)


def save_model(estimator: Any, card: ModelCard, out_dir: str | Path) -> Path:
    """Write ``estimator.joblib`` and ``card.yaml`` (with the estimator's hash) to ``out_dir``.

    Returns:
        The model directory.
    """
    out = check_output(out_dir, directory=True, what="model directory")
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None and int(n_in) != len(card.feature_names):
        raise ModelCardError(
            f"estimator was fitted on {n_in} features but the card lists {len(card.feature_names)}: "
            f"{list(card.feature_names)}"
        )
    # Built in a temporary sibling and renamed: a failure leaves no half-written model behind.
    with atomic_output(out, directory=True, replaceable=(CARD_FILE, ESTIMATOR_FILE)) as tmp:
        dump_estimator(estimator, tmp / ESTIMATOR_FILE)
        final = replace(card, estimator_sha256=file_sha256(tmp / ESTIMATOR_FILE), card_sha256="")
        if not final.params and hasattr(estimator, "get_params"):
            final.params = _plain(estimator.get_params(deep=False))
        final = replace(final, card_sha256=final.content_sha256())
        final.to_yaml(tmp / CARD_FILE)
    return out


def load_model(
    model_dir: str | Path, *, strict: bool = False, trusted: bool = False
) -> CardedModel:
    """Load a model directory written by :func:`save_model`, checking it against its card.

    Checks: both files exist; the card parses and its content matches its own checksum
    (``card_sha256``: an edited card is refused); the estimator file's SHA-256 equals the card's;
    the estimator loads without running code from the file (a restricted unpickler,
    :mod:`nulearn.ml.persistence`); its ``n_features_in_`` (if any) equals the number of card
    features; package versions equal those at training time (a mismatch warns, or, with
    ``strict=True`` and for pickle-critical packages scikit-learn/torch/lightgbm, raises).

    Args:
        model_dir: the model directory.
        strict: refuse a version mismatch of a pickle-critical package.
        trusted: accept a card without checksum (written before nulearn recorded one) and
            resolve every global the estimator file names. Only for models whose origin you trust.

    Raises:
        ModelCardError: a file is missing, a checksum or the feature count disagree, or a strict
            version check fails.
        UnsafeModelError: (not trusted) the estimator file names code a restricted load refuses.
    """
    d = Path(model_dir)
    if not d.is_dir():
        raise ModelCardError(f"model directory {d}: no such folder")
    card_path, est_path = d / CARD_FILE, d / ESTIMATOR_FILE
    for p in (card_path, est_path):
        if not p.is_file():
            raise ModelCardError(f"model directory {d} lacks {p.name}")
    card = ModelCard.from_yaml(card_path)
    if card.card_sha256:
        if card.content_sha256() != card.card_sha256:
            raise ModelCardError(
                f"{card_path} does not match its integrity checksum: the card was edited after "
                "training (feature order, threshold, scheme or another field); restore it or retrain"
            )
    elif not trusted:
        raise ModelCardError(
            f"{card_path} carries no integrity checksum (written before nulearn recorded one), so "
            "its feature order cannot be verified; load it with --trust-model if you know where "
            "it came from"
        )
    digest = file_sha256(est_path)
    if card.estimator_sha256 and digest != card.estimator_sha256:
        raise ModelCardError(
            f"{est_path} has SHA-256 {digest[:12]}..., the card records {card.estimator_sha256[:12]}...; "
            "the estimator file was changed or corrupted"
        )
    now = package_versions(tuple(k for k in card.versions if k != "python"))
    diffs = {
        k: (v, now.get(k, "absent")) for k, v in card.versions.items() if now.get(k, "absent") != v
    }
    if diffs:
        msg = ", ".join(f"{k} {a} (trained) vs {b} (now)" for k, (a, b) in sorted(diffs.items()))
        if strict and any(k in _PICKLE_CRITICAL for k in diffs):
            raise ModelCardError(f"package versions differ from training time: {msg}")
        warnings.warn(f"model {d}: package versions differ from training time: {msg}", stacklevel=2)
    estimator = load_estimator(est_path, trusted=trusted)
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None and int(n_in) != len(card.feature_names):
        raise ModelCardError(
            f"estimator reads {n_in} features but the card lists {len(card.feature_names)}: {list(card.feature_names)}"
        )
    return CardedModel(estimator, card)
