"""Where the deep-MLP studies read their data: a table file, an optional test table and an
``MLPConfig`` YAML, split into training and test matrices."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:  # torch-heavy; imported when the inputs are loaded
    from nulearn.flavor.models.mlp.config import MLPConfig

__all__ = ["DeepInputs", "TableSource"]


@dataclass(frozen=True)
class DeepInputs:
    """Training and test data of one deep-MLP study, with the configuration to train.

    Attributes:
        config: the MLP configuration (features and label set from the source).
        X_train, y_train: training features ``(n_train, n_features)`` and 0/1 labels ``(n_train,)``.
        X_test, y_test: test data, never used for a threshold, a calibrator or early stopping.
    """

    config: MLPConfig
    X_train: pd.DataFrame
    y_train: NDArray[np.int64]
    X_test: pd.DataFrame
    y_test: NDArray[np.int64]


@dataclass(frozen=True)
class TableSource:
    """A labelled table file and how to split it.

    Attributes:
        data: training table (.parquet or .h5) with the feature and label columns.
        test_data: test table; ``None``: a stratified ``test_fraction`` of ``data``.
        config: ``MLPConfig`` YAML (``None``: the defaults).
        features: feature columns (``None`` or empty: the configuration's, else the scheme's).
        label: 0/1 label column (every row must be 0 or 1).
        test_fraction: test share without ``test_data``.
        split_seed: seed of the train/test split.
    """

    data: Path
    test_data: Path | None = None
    config: Path | None = None
    features: tuple[str, ...] | None = None
    label: str = "crossing"
    test_fraction: float = 0.2
    split_seed: int = 0

    def load(self) -> DeepInputs:
        """Read the tables and the configuration; split off a test set unless one is given."""
        from nulearn.flavor.data.splits import split_dataset
        from nulearn.flavor.data.tables import read_table
        from nulearn.flavor.models.mlp.classifier import MLPConfig, default_features, table_xy
        from nulearn.flavor.physics.validity import check_feature_choice, validate_features

        if self.config is not None:
            from nulearn.ml.io import read_yaml

            read_yaml(self.config, what="MLP config")
        cfg = MLPConfig.from_yaml(self.config) if self.config is not None else MLPConfig()
        feats: Any = self.features or cfg.features
        cfg = dataclasses.replace(cfg, features=feats, label=self.label)
        frame = read_table(self.data, label=self.label).frame
        try:
            names = tuple(feats) if feats else default_features(frame)
        except ValueError as err:
            raise ValueError(f"{self.data}: {err}") from None
        check_feature_choice(names, self.label)
        validate_features(frame, names, source=str(self.data))
        if self.test_data is not None:
            test_frame = read_table(self.test_data, label=self.label).frame
            validate_features(test_frame, names, source=str(self.test_data))
            train, test = frame, test_frame
        else:
            train, _, test = split_dataset(
                frame,
                test_fraction=self.test_fraction,
                val_fraction=0.0,
                label=self.label,
                seed=self.split_seed,
            )
        X_tr, y_tr = table_xy(train, cfg.features, self.label)
        X_te, y_te = table_xy(test, tuple(X_tr.columns), self.label)
        return DeepInputs(cfg, X_tr, y_tr, X_te, y_te)
