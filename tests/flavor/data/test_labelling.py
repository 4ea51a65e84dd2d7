"""The analytic test from moments: validation, masking, feature conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.physics.species import feature_names, features_from_moments


def _eln(alpha: list[float], f_e: list[float], f_b: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"alpha": alpha, "F_nue": f_e, "F_nuebar": f_b})


def test_known_cases() -> None:
    # Isotropic, equal densities: G = 0, no crossing. More nuebar, more forward-peaked: crossing.
    out = label_moments(_eln([1.0, 1.5, 0.5], [0.0, 0.1, 0.1], [0.0, 0.6, 0.1]))
    assert out["crossing"].tolist() == [0, 1, 0]
    assert out["valid"].all()
    assert out.loc[1, "depth"] > 0 and out.loc[0, "depth"] == 0


def test_invalid_rows_raise_or_are_masked() -> None:
    frame = _eln([1.0, -1.0, 1.0, 1.0], [0.2, 0.2, 1.0, np.nan], [0.3, 0.3, 0.3, 0.3])
    # Species are checked in order nue, nuebar, ...: nue's flux factor 1.0 in row 2 is reported first.
    with pytest.raises(ValueError, match=r"nue: flux factor .* row 2 has 1\.0"):
        label_moments(frame)
    with pytest.raises(ValueError, match=r"nuebar: number density .* row 1 has -1\.0"):
        label_moments(frame.iloc[:2])
    out = label_moments(frame, on_invalid="mask")
    assert out["valid"].tolist() == [True, False, False, False]
    assert out["crossing"].tolist()[1:] == [-1, -1, -1]
    assert out["depth"].isna().tolist() == [False, True, True, True]


def test_missing_columns_named() -> None:
    with pytest.raises(ValueError, match="F_nuebar"):
        label_moments(pd.DataFrame({"alpha": [1.0], "F_nue": [0.1]}))


def test_features_from_raw_moments() -> None:
    raw = pd.DataFrame(
        {
            "n_nue": [2.0],
            "n_nuebar": [3.0],
            "n_nux": [1.0],
            "n_nuxbar": [4.0],
            "F_nue": [0.1],
            "F_nuebar": [0.2],
            "F_nux": [0.3],
            "F_nuxbar": [0.4],
        }
    )
    feats = features_from_moments(raw)
    assert list(feats.columns) == list(feature_names("xln"))
    assert feats.loc[0, "alpha"] == 1.5 and feats.loc[0, "alpha_xbar"] == 2.0
    bad = raw.assign(F_nux=[1.2])
    with pytest.raises(ValueError, match=r"nux: flux factor.*row 0"):
        features_from_moments(bad)
    with pytest.raises(ValueError, match="lacks columns"):
        features_from_moments(raw.drop(columns=["n_nuebar"]))


def test_gaussian_and_maxent_disagree_sometimes() -> None:
    """The family ambiguity behind the Bayes ceiling: same moments, different labels for some cells."""
    rng = np.random.default_rng(0)
    frame = _eln(
        list(rng.uniform(0.03, 2.5, 5000)),
        list(rng.uniform(0, 0.999, 5000)),
        list(rng.uniform(0, 0.999, 5000)),
    )
    a = label_moments(frame, "maxent")["crossing"]
    b = label_moments(frame, "gaussian")["crossing"]
    disagreement = (a != b).mean()
    assert 0.01 < disagreement < 0.3


def test_validate_features_names_column_row_and_range() -> None:
    from nulearn.flavor.physics.validity import validate_features

    frame = _eln([1.0, 1.0, 0.5], [0.2, 1.0, 0.3], [0.1, 0.2, -0.1])
    with pytest.raises(ValueError, match=r"'F_nue' must be finite and in \[0, 1\); row 1 has 1\.0"):
        validate_features(frame, ["alpha", "F_nue", "F_nuebar"])
    assert validate_features(frame, ["alpha", "F_nue", "F_nuebar"], mask=True).tolist() == [
        True,
        False,
        False,
    ]
