"""Configuration of the class-weighted MLP (:mod:`nulearn.flavor.models.mlp.classifier`): a frozen dataclass that
round-trips to YAML and validates every field at construction.

>>> cfg = MLPConfig(hidden_layers=(64, 64, 32, 32), dropout=0.1)
>>> MLPConfig.from_yaml(cfg.to_yaml()) == cfg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nulearn.flavor.models.coordinates import COORDINATES
from nulearn.ml import config as _config
from nulearn.ml.calibration import CALIBRATION_METHODS
from nulearn.ml.config import YAMLConfig
from nulearn.ml.training import TrainerConfig

__all__ = ["CLASS_WEIGHT_MODES", "SCHEDULES", "MLPConfig", "check_choice"]

#: Learning-rate schedules accepted by :class:`MLPConfig`.
SCHEDULES: tuple[str, ...] = ("cosine", "step", "constant")
#: Class-weight modes accepted by :class:`MLPConfig`.
CLASS_WEIGHT_MODES: tuple[str, ...] = ("balanced", "none")


@dataclass(frozen=True)
class MLPConfig(YAMLConfig):
    """Everything that defines an MLP training run; round-trips to YAML (:class:`YAMLConfig`; a
    file may hold the fields at top level or under an ``mlp:`` key).

    Attributes:
        hidden_layers: widths of the hidden layers, input to output (4-6 layers of a few
            hundred units in the reference study).
        dropout: dropout probability after every hidden layer, in [0, 1).
        batch_norm: BatchNorm1d after every hidden linear layer.
        learning_rate: AdamW peak learning rate.
        weight_decay: AdamW decoupled weight decay (not applied to biases and BatchNorm).
        batch_size: training batch size.
        schedule: ``"cosine"`` (annealed to 0 over ``max_epochs``), ``"step"`` (times
            ``step_gamma`` every ``step_size`` epochs) or ``"constant"``.
        step_size: epochs between decays of the step schedule.
        step_gamma: decay factor of the step schedule, in (0, 1].
        max_epochs: upper bound on epochs.
        patience: epochs without a lower validation loss before early stopping.
        val_fraction: stratified fraction of ``fit``'s data held out for early stopping,
            calibration and the threshold (when no ``eval_set`` is given), in (0, 1).
        class_weight: ``"balanced"`` (w_c = n / (2 n_c) on the training split) or ``"none"``.
        calibration: ``"isotonic"``, ``"temperature"`` or ``"none"``.
        threshold: fixed decision threshold on the calibrated probability; ``None`` picks the
            F1-maximising threshold on the validation split.
        seed: seed of the split, the initialisation and the batch order.
        accelerator: Lightning accelerator (``"auto"``, ``"cpu"``, ``"gpu"``).
        devices: Lightning devices (count or ``"auto"``).
        num_threads: PyTorch CPU threads (``None``: PyTorch's default).
        progress_bar: show Lightning's progress bar.
        features: feature columns to read from a table (``None``: all columns of ``X`` in
            :meth:`MLPClassifier.fit`; the scheme's features in :meth:`MLPClassifier.fit_frame`).
        label: label column of a table (0/1; rows with a negative label are dropped by
            :meth:`MLPClassifier.fit_frame`).
        coordinates: ``"raw"`` (the features as given) or ``"physical"`` (log density ratios,
            flux-factor rapidities and flux factors, :mod:`nulearn.flavor.models.coordinates`; needs the
            canonical 3 or 7 feature columns), applied before the standardization.
    """

    hidden_layers: tuple[int, ...] = (256, 256, 128, 128)
    dropout: float = 0.05
    batch_norm: bool = True
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 8192
    schedule: str = "cosine"
    step_size: int = 10
    step_gamma: float = 0.3
    max_epochs: int = 30
    patience: int = 5
    val_fraction: float = 0.2
    class_weight: str = "balanced"
    calibration: str = "isotonic"
    threshold: float | None = None
    seed: int = 0
    accelerator: str = "auto"
    devices: int | str = "auto"
    num_threads: int | None = None
    progress_bar: bool = False
    features: tuple[str, ...] | None = None
    label: str = "crossing"
    coordinates: str = "raw"

    yaml_section = "mlp"

    def __post_init__(self) -> None:
        # YAML and CLI hand over lists; the config is hashable and frozen, so store tuples.
        if not isinstance(self.hidden_layers, tuple):
            object.__setattr__(self, "hidden_layers", tuple(self.hidden_layers))
        if self.features is not None and not isinstance(self.features, tuple):
            object.__setattr__(self, "features", tuple(self.features))
        for i, w in enumerate(self.hidden_layers):
            if int(w) != w or w < 1:
                raise ValueError(f"hidden_layers[{i}] = {w!r}; widths must be integers >= 1")
        _check_range("dropout", self.dropout, 0.0, 1.0, hi_open=True)
        _check_range("learning_rate", self.learning_rate, 0.0, math.inf, lo_open=True)
        _check_range("weight_decay", self.weight_decay, 0.0, math.inf)
        _check_range("batch_size", self.batch_size, 1, math.inf)
        _check_range("step_size", self.step_size, 1, math.inf)
        _check_range("step_gamma", self.step_gamma, 0.0, 1.0, lo_open=True)
        _check_range("max_epochs", self.max_epochs, 1, math.inf)
        _check_range("patience", self.patience, 0, math.inf)
        _check_range("val_fraction", self.val_fraction, 0.0, 1.0, lo_open=True, hi_open=True)
        if self.threshold is not None:
            _check_range("threshold", self.threshold, 0.0, 1.0)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("class_weight", self.class_weight, CLASS_WEIGHT_MODES)
        check_choice("calibration", self.calibration, CALIBRATION_METHODS)
        check_choice("coordinates", self.coordinates, COORDINATES)

    def trainer_config(self) -> TrainerConfig:
        """The :class:`~nulearn.ml.training.TrainerConfig` that runs this config's loop."""
        return TrainerConfig(
            max_epochs=self.max_epochs,
            patience=self.patience,
            monitor="val_loss",
            accelerator=self.accelerator,
            devices=self.devices,
            deterministic=True,
            seed=self.seed,
            progress_bar=self.progress_bar,
            num_threads=self.num_threads,
        )


def _check_range(
    name: str, value: float, lo: float, hi: float, lo_open: bool = False, hi_open: bool = False
) -> None:
    _config.check_range(f"MLPConfig.{name}", value, lo, hi, lo_open=lo_open, hi_open=hi_open)


def check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    """Raise a ValueError naming ``MLPConfig.<name>`` when ``value`` is not in ``allowed``."""
    _config.check_choice(f"MLPConfig.{name}", value, allowed)
