"""Ready-made crossing classifiers shipped inside the package, named ``builtin:NAME``.

Each built-in is an ordinary model directory (``card.yaml`` + ``estimator.joblib``, written by
:func:`nulearn.ml.model_card.save_model`) under ``nulearn/flavor/models/builtin/NAME``. It loads
through the same safe path as any model (restricted unpickler, card and estimator checksums, so
no ``--trust-model``), carries its training domain, and its card records how it was made: the
exact commands, data size, seed and data hash (``extra.builtin``), validation scores and a
hold-out test score beside the Bayes ceiling, and its speed.

Every command and library loader that takes a model directory resolves its argument through
:func:`resolve_model_dir`, so ``builtin:xln-gbt`` works wherever a path does
(``nulearn flavor predict | evaluate | flag | export``, :func:`~nulearn.flavor.deploy.load_deployable`).
They are rebuilt by ``scripts/build_builtin_models.py``
(:func:`nulearn.flavor.evaluation.builtin_build.build_builtin`) from :data:`BUILTIN_SPECS`.

>>> resolve_model_dir("builtin:eln-lr2").name
'eln-lr2'
>>> resolve_model_dir("runs/my_model").as_posix()
'runs/my_model'
>>> resolve_model_dir("builtin:nope")
Traceback (most recent call last):
...
ValueError: unknown built-in model 'builtin:nope'; known: builtin:eln-lr2, builtin:xln-lr2, builtin:xln-gbt, builtin:xln-mlp, builtin:xln3d-mlp
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BUILTIN_CLOSURES",
    "BUILTIN_DIR",
    "BUILTIN_PREFIX",
    "BUILTIN_SPECS",
    "BuiltinInfo",
    "BuiltinSpec",
    "builtin_catalog",
    "builtin_names",
    "describe_models",
    "get_builtin_spec",
    "resolve_closure_dir",
    "resolve_model_dir",
]

#: Prefix that names a built-in model where a model directory is expected.
BUILTIN_PREFIX = "builtin:"
#: Folder of the shipped model directories (package data).
BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"


@dataclass(frozen=True)
class BuiltinSpec:
    """How one built-in model is trained (what ``scripts/build_builtin_models.py`` runs).

    Attributes:
        name: the name after ``builtin:``.
        model: registry key (:mod:`nulearn.flavor.models.registry`).
        description: one line for the listing.
        scheme: sampling scheme of the training data (:data:`nulearn.flavor.data.sampling.SCHEMES`).
        n: generated training rows (10% of them are held out for the card's validation scores).
        seed: seed of the data, the split and the model.
        family: angular family of the 1D labels (``mix``: 50/50, the setting of the Bayes ceiling).
        config: hyperparameter overrides (``nulearn flavor train --config`` YAML mapping).
        moments: ``"1d"`` (number densities and flux factors) or ``"3d"`` (flux vectors).
        spread, n_directions: direction spread and labelling directions of 3D data.
        n_test, test_seed: independent hold-out test set, never used for training or choices.
    """

    name: str
    model: str
    description: str
    scheme: str
    n: int
    seed: int = 0
    family: str = "mix"
    config: Mapping[str, Any] = field(default_factory=dict)
    moments: str = "1d"
    spread: float = 0.3
    n_directions: int = 2000
    n_test: int = 20_000
    test_seed: int = 1

    def features(self) -> tuple[str, ...]:
        """Feature columns in the order the model reads them."""
        if self.moments == "3d":
            from nulearn.flavor.physics.moments3d import ELN_FEATURES_3D, XLN_FEATURES_3D

            return XLN_FEATURES_3D if self.scheme == "xln" else ELN_FEATURES_3D
        from nulearn.flavor.physics.species import feature_names

        return tuple(feature_names(self.scheme))

    def commands(self, data: str = "data.parquet", out: str = "MODEL_DIR") -> list[list[str]]:
        """The ``nulearn`` command lines (argv after ``nulearn``) that train this model.

        A non-empty :attr:`config` is passed as ``--config config.yaml`` holding that mapping.
        """
        if self.moments == "3d":
            generate = [
                "flavor",
                "generate3d",
                "--scheme",
                self.scheme,
                "--n",
                str(self.n),
                "--seed",
                str(self.seed),
                "--spread",
                repr(self.spread),
                "--n-directions",
                str(self.n_directions),
                "--out",
                data,
            ]
        else:
            generate = [
                "flavor",
                "generate",
                "--scheme",
                self.scheme,
                "--family",
                self.family,
                "--n",
                str(self.n),
                "--seed",
                str(self.seed),
                "--out",
                data,
            ]
        train = ["flavor", "train", "--model", self.model, "--data", data]
        train += ["--features", ",".join(self.features()), "--seed", str(self.seed), "--out", out]
        if self.config:
            train += ["--config", "config.yaml"]
        return [generate, train]


#: The shipped models. Sizes keep the package data small (all together well under 5 MB).
BUILTIN_SPECS: dict[str, BuiltinSpec] = {
    s.name: s
    for s in (
        BuiltinSpec(
            "eln-lr2",
            "lr2_phys",
            "ELN crossing (nu_e, anti-nu_e): polynomial LR (n = 2), physical coordinates",
            "original",
            # 18 coefficients are saturated long before this; small enough that the test suite
            # rebuilds it from its recorded commands in seconds
            50_000,
        ),
        BuiltinSpec(
            "xln-lr2",
            "lr2_phys",
            "ELN-XLN crossing (four species): polynomial LR (n = 2), physical coordinates",
            "xln",
            100_000,
        ),
        BuiltinSpec(
            "xln-gbt",
            "gbt",
            "ELN-XLN crossing: LightGBM (15 leaves, at most 300 rounds) on moments + g0, g1",
            "xln",
            100_000,
            config={"num_leaves": 15, "max_rounds": 300},
        ),
        BuiltinSpec(
            "xln-mlp",
            "mlp",
            "ELN-XLN crossing: MLP (128-128-64, calibrated) on the seven moment features",
            "xln",
            40_000,
        ),
        BuiltinSpec(
            "xln3d-mlp",
            "mlp",
            "ELN-XLN crossing from 3D moments (flux vectors): MLP on rotation invariants",
            "xln",
            20_000,
            moments="3d",
            n_test=5_000,
        ),
    )
}


def builtin_names() -> tuple[str, ...]:
    """Every built-in, as ``builtin:NAME``."""
    return tuple(BUILTIN_PREFIX + n for n in BUILTIN_SPECS)


def _unknown(name: str) -> ValueError:
    return ValueError(f"unknown built-in model {name!r}; known: {', '.join(builtin_names())}")


def get_builtin_spec(name: str) -> BuiltinSpec:
    """The spec of ``NAME`` or ``builtin:NAME``.

    Raises:
        ValueError: an unknown name, in one line listing the known ones.
    """
    bare = name[len(BUILTIN_PREFIX) :] if name.startswith(BUILTIN_PREFIX) else name
    if bare not in BUILTIN_SPECS:
        raise _unknown(name if name.startswith(BUILTIN_PREFIX) else BUILTIN_PREFIX + name)
    return BUILTIN_SPECS[bare]


def resolve_model_dir(model: str | os.PathLike[str]) -> Path:
    """The model directory a command argument names: ``builtin:NAME`` -> the shipped directory,
    anything else -> that path, unchanged (checked later by the loader).

    Raises:
        ValueError: ``builtin:NAME`` with an unknown ``NAME`` (one line listing the known names),
            or a built-in missing from this installation.
    """
    text = os.fspath(model)
    if not text.startswith(BUILTIN_PREFIX):
        return Path(text)
    spec = get_builtin_spec(text)
    path = BUILTIN_DIR / spec.name
    if not (path / "card.yaml").is_file():
        raise ValueError(
            f"built-in model {text!r} is not installed at {path}; rebuild it with "
            "scripts/build_builtin_models.py"
        )
    return path


#: Shipped asymptotic closures (:class:`~nulearn.flavor.models.closure.ClosureModel`), built by
#: ``scripts/build_builtin_closure.py`` from fast-flavor solver runs; the held-out scores and the
#: commands that made them are in the ``metadata`` of their ``closure.json``.
BUILTIN_CLOSURES: dict[str, str] = {
    "xln-closure": "asymptotic moments after fast conversion (ELN-XLN, maxent), learned on "
    "solver runs of xln cells and transport-profile cells",
}


def resolve_closure_dir(closure: str | os.PathLike[str]) -> Path:
    """The closure directory a command argument names: ``builtin:NAME`` -> the shipped one,
    anything else -> that path, unchanged.

    >>> resolve_closure_dir("builtin:xln-closure").name
    'xln-closure'

    Raises:
        ValueError: an unknown built-in closure (one line listing the known ones).
    """
    text = os.fspath(closure)
    if not text.startswith(BUILTIN_PREFIX):
        return Path(text)
    bare = text[len(BUILTIN_PREFIX) :]
    if bare not in BUILTIN_CLOSURES:
        known = ", ".join(BUILTIN_PREFIX + n for n in BUILTIN_CLOSURES)
        raise ValueError(f"unknown built-in closure {text!r}; known: {known}")
    return BUILTIN_DIR / bare


@dataclass(frozen=True)
class BuiltinInfo:
    """What the listing shows of one built-in (read from its card; the estimator is not loaded).

    Attributes:
        spec: how it is trained.
        card: its :class:`~nulearn.ml.model_card.ModelCard`.
        size_bytes: bytes on disk (card + estimator).
    """

    spec: BuiltinSpec
    card: Any
    size_bytes: int

    @property
    def provenance(self) -> dict[str, Any]:
        """``extra.builtin`` of the card: commands, data, test score, speed."""
        return dict(self.card.extra.get("builtin", {}))


def builtin_catalog() -> list[BuiltinInfo]:
    """The installed built-ins, in :data:`BUILTIN_SPECS` order (missing ones are skipped)."""
    from nulearn.ml.model_card import ModelCard

    out = []
    for spec in BUILTIN_SPECS.values():
        d = BUILTIN_DIR / spec.name
        if not (d / "card.yaml").is_file():
            continue
        size = sum(p.stat().st_size for p in d.iterdir() if p.is_file())
        out.append(BuiltinInfo(spec, ModelCard.from_yaml(d / "card.yaml"), size))
    return out


def _score(scores: Mapping[str, Any] | None, ceiling: Mapping[str, Any] | None) -> str:
    if not scores:
        return "-"
    text = f"{scores['accuracy']:.4f}"
    return text + (f" / {ceiling['accuracy']:.4f}" if ceiling else " / 1 (single closure)")


def _detail(info: BuiltinInfo) -> list[str]:
    card, prov = info.card, info.provenance
    data = prov.get("data", {})
    test = prov.get("test", {})
    lines = [
        f"{BUILTIN_PREFIX}{info.spec.name}: {info.spec.description}",
        f"  registry key {card.model}, scheme {card.scheme}, threshold p_c = {card.threshold:g}",
        f"  features (in order): {', '.join(card.feature_names)}",
        f"  training data: {data.get('n', '?'):,} generated rows (seed {data.get('seed', '?')}, "
        f"sha256 {str(data.get('sha256', '?'))[:16]}...); fitted on {card.n_train:,} "
        f"(sha256 {card.training_data_sha256[:16]}...), 10% held out for validation",
        "  validation accuracy / Bayes ceiling: "
        + _score(card.metrics.get("validation"), card.metrics.get("validation_bayes_ceiling")),
        f"  test accuracy / Bayes ceiling ({test.get('n_samples', 0):,} rows, seed "
        f"{test.get('seed', '?')}): " + _score(test.get("scores"), test.get("bayes_ceiling")),
        f"  speed: {prov.get('cells_per_s', float('nan')):,.0f} cells/s (Python predict_proba, "
        f"one thread, {prov.get('speed_machine', 'build machine')})",
        f"  size: {info.size_bytes / 1024:.1f} KiB; trained with nulearn "
        f"{card.versions.get('nulearn', '?')}, scikit-learn {card.versions.get('scikit-learn', '?')}",
        "  rebuild: python scripts/build_builtin_models.py " + info.spec.name + "; or",
    ]
    if info.spec.config:
        lines.append(f"    config.yaml: {dict(info.spec.config)}")
    lines += [f"    nulearn {cmd}" for cmd in prov.get("commands", [])]
    return lines


def describe_models(name: str | None = None, *, builtin_only: bool = False) -> str:
    """The text of ``nulearn flavor models``: the built-ins (ready to use as ``--model
    builtin:NAME`` or ``MODEL_DIR``) with their scores and speed, then the registry keys that
    ``nulearn flavor train --model`` accepts. With ``name`` (``builtin:NAME`` or ``NAME``), the
    full provenance of that built-in.

    Raises:
        ValueError: an unknown built-in ``name``.
    """
    if name is not None:
        spec = get_builtin_spec(name)
        resolve_model_dir(BUILTIN_PREFIX + spec.name)  # refuses one that is not installed
        info = next(i for i in builtin_catalog() if i.spec.name == spec.name)
        return "\n".join(_detail(info))
    infos = builtin_catalog()
    header = f"{'built-in':<20} {'kind':<9} {'scheme':<9} {'features':>8} {'val acc/ceil':>17} {'test acc/ceil':>17} {'cells/s':>11} {'KiB':>7}"
    lines = [
        "Ready-made models (use builtin:NAME wherever a model directory goes; "
        "`nulearn flavor models builtin:NAME` shows how each was trained):",
        header,
    ]
    for i in infos:
        prov = i.provenance
        test = prov.get("test", {})
        lines.append(
            f"{BUILTIN_PREFIX + i.spec.name:<20} {i.card.model:<9} {i.card.scheme!s:<9} "
            f"{len(i.card.feature_names):>8} "
            f"{_score(i.card.metrics.get('validation'), i.card.metrics.get('validation_bayes_ceiling')):>17} "
            f"{_score(test.get('scores'), test.get('bayes_ceiling')):>17} "
            f"{prov.get('cells_per_s', float('nan')):>11,.0f} {i.size_bytes / 1024:>7.1f}"
        )
    if not infos:
        lines.append("  (none installed; build them with scripts/build_builtin_models.py)")
    if builtin_only:
        return "\n".join(lines)
    from nulearn.flavor.models.registry import ALIASES, MODEL_VARIANTS

    lines += ["", "Registry keys (nulearn flavor train --model KEY; also lr<n>, lr<n>_phys):"]
    lines += [f"  {v.key:<12} {v.label}" for v in MODEL_VARIANTS.values()]
    lines.append("  aliases: " + ", ".join(f"{a} = {k}" for a, k in ALIASES.items()))
    return "\n".join(lines)
