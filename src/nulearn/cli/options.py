"""Command-line options that several ``nulearn`` commands share, declared once.

Each alias is an ``Annotated`` type carrying its :func:`typer.Option`; a command gives the default
in its signature, e.g. ``threads: Threads = 1``. The option name comes from the parameter name.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nulearn.flavor.models.registry import model_names

__all__ = [
    "DataTable",
    "ExportFormat",
    "Family",
    "FeatureList",
    "FlagBackend",
    "FloatType",
    "GenerationFamily",
    "IgnoreHeavyLeptons",
    "LabelColumn",
    "MLPConfigFile",
    "MaxEpochs",
    "ModelDir",
    "ModelKey",
    "ModelKeyOption",
    "NDirections",
    "NEvents",
    "Patience",
    "Progress",
    "Pruner",
    "ReportDir",
    "Scheme",
    "Seed",
    "SplitSeed",
    "TPCConfigFile",
    "TestFraction",
    "TestTable",
    "Threads",
    "Threshold",
    "TrustModel",
]

#: Random seed of a command (data, split and model).
Seed = Annotated[int, typer.Option(help="Random seed.")]
#: PyTorch CPU threads.
Threads = Annotated[int, typer.Option(min=1, help="PyTorch CPU threads.")]
#: Epoch limit of a training loop.
MaxEpochs = Annotated[
    int, typer.Option(min=1, help="Maximum training epochs (early stopping may end sooner).")
]
#: Early-stopping patience.
Patience = Annotated[int, typer.Option(min=1, help="Early-stopping patience in epochs.")]
#: Folder a report (report.md and figures/) is written to.
ReportDir = Annotated[Path, typer.Option(help="Report folder (report.md and figures/).")]
#: Number of events to simulate or generate, as ``--n``.
NEvents = Annotated[int, typer.Option("--n", min=1, help="Number of events.")]
#: A :class:`~nulearn.detector.tpc.physics.config.TPCConfig` YAML file.
TPCConfigFile = Annotated[
    Path | None, typer.Option(help="TPCConfig YAML (default: the EXO-200-like detector).")
]


# -- nulearn flavor: choices and shared options ---------------------------------------------------
# The choices mirror constants of nulearn.flavor (a test checks that they agree); they are spelled
# out here so that `nulearn --help` does not import NumPy, h5py or the deployment stack.
class Scheme(StrEnum):
    """Sampling schemes (:data:`nulearn.flavor.data.sampling.SCHEMES`)."""

    original = "original"
    hierarchical = "hierarchical"
    xln = "xln"


class Family(StrEnum):
    """Angular families that close the moments (built into :mod:`nulearn.flavor.physics.families`)."""

    maxent = "maxent"
    gaussian = "gaussian"


class GenerationFamily(StrEnum):
    """Families of generated samples: one of :class:`Family`, or ``mix`` (50/50 per sample)."""

    maxent = "maxent"
    gaussian = "gaussian"
    mix = "mix"


class ExportFormat(StrEnum):
    """Export targets (:data:`nulearn.flavor.deploy.export.FORMATS`)."""

    onnx = "onnx"
    torchscript = "torchscript"
    c = "c"
    fortran = "fortran"


class FlagBackend(StrEnum):
    """Snapshot-flagging backends (:data:`nulearn.flavor.deploy.flagging.BACKENDS`)."""

    auto = "auto"
    c = "c"
    onnx = "onnx"
    python = "python"


class FloatType(StrEnum):
    """Floating-point types of exported arithmetic and snapshot datasets."""

    float64 = "float64"
    float32 = "float32"


class Pruner(StrEnum):
    """Optuna pruners of a tuning study (:func:`nulearn.ml.tuning.make_pruner`)."""

    median = "median"
    hyperband = "hyperband"
    none = "none"


#: Model keys and aliases of :mod:`nulearn.flavor.models.registry` (a light module: its builders
#: import scikit-learn, LightGBM and torch when called).
ModelKey = StrEnum("ModelKey", {name: name for name in model_names()})  # type: ignore[misc]


_MODEL_NAMES: tuple[str, ...] = tuple(m.value for m in ModelKey)


def _model_key(value: str | StrEnum) -> StrEnum:
    # Parsed here rather than by typer's choice check, whose message would not say "unknown model".
    try:
        return ModelKey(str(value))
    except ValueError:
        raise ValueError(f"unknown model {value!r}; allowed: {', '.join(_MODEL_NAMES)}") from None


#: A crossing-classifier variant by registry key (``lr``, ``lr2_phys``, ``gbt``, ``mlp``, ...).
ModelKeyOption = Annotated[
    ModelKey,  # type: ignore[valid-type]
    typer.Option(
        parser=_model_key,
        metavar="[" + "|".join(_MODEL_NAMES) + "]",
        help="Model key of nulearn.flavor.models.registry: lr (degree from --degree), lr2, lr9, "
        "lr2_phys, knn, svm, tree, gbt, gbt_closure, gbt_forward, mlp, mlp_phys.",
    ),
]
#: Show a progress bar.
Progress = Annotated[bool, typer.Option(help="Show a progress bar.")]
#: A model directory (``card.yaml`` and the estimator), as the first argument.
ModelDir = Annotated[
    Path,
    typer.Argument(
        help="Model directory written by `nulearn flavor train`, or builtin:NAME for a "
        "ready-made model (list: `nulearn flavor models`)."
    ),
]
#: Load a model directory whose card has no integrity checksum, or whose estimator file needs an
#: unrestricted unpickler (older nulearn, another tool).
TrustModel = Annotated[
    bool,
    typer.Option(
        "--trust-model",
        help="Load a model whose card has no checksum or whose estimator needs a full unpickler "
        "(can run code from the file: only for models you trust).",
    ),
]
#: Apply an ELN model to data with distinct heavy-lepton moments.
IgnoreHeavyLeptons = Annotated[
    bool,
    typer.Option(
        "--ignore-heavy-leptons",
        help="Apply an ELN model to ELN-XLN data anyway: it ignores nu_x/nu_xbar and misses "
        "ELN-XLN crossings where they differ.",
    ),
]
#: Decision threshold on P(crossing).
Threshold = Annotated[
    float | None,
    typer.Option(min=0.0, max=1.0, help="Decision threshold p_c (default: the card's)."),
]
#: Fibonacci directions of the analytic 3D crossing test.
NDirections = Annotated[
    int, typer.Option(min=1000, help="Fibonacci directions on the sphere of the 3D crossing test.")
]
#: Labelled table of a deep-MLP command.
DataTable = Annotated[
    Path,
    typer.Option("--data", help="Training table (.parquet or .h5) with feature and label columns."),
]
#: Optional test table of a deep-MLP command.
TestTable = Annotated[
    Path | None,
    typer.Option("--test-data", help="Test table; default: a stratified split of --data."),
]
#: ``MLPConfig`` YAML of a deep-MLP command.
MLPConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config", help="MLPConfig YAML (fields of nulearn.flavor.models.mlp.config.MLPConfig)."
    ),
]
#: Comma-separated feature columns.
FeatureList = Annotated[
    str | None,
    typer.Option("--features", help="Comma-separated feature columns (default: the scheme's)."),
]
#: The 0/1 label column.
LabelColumn = Annotated[str, typer.Option("--label", help="0/1 label column.")]
#: Test share when no test table is given.
TestFraction = Annotated[
    float,
    typer.Option("--test-fraction", min=0.01, max=0.9, help="Test fraction without --test-data."),
]
#: Seed of the train/test split.
SplitSeed = Annotated[int, typer.Option("--split-seed", help="Seed of the train/test split.")]
