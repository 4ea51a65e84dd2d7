"""The ELN(-XLN) sign table lives in nulearn.flavor.physics.species and nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nulearn.flavor
from nulearn.flavor.models.coordinates import lepton_number_moments
from nulearn.flavor.physics.crossings import eln_from_distributions
from nulearn.flavor.physics.species import ELN_SIGN, SPECIES, species_signs


def test_signs_define_g() -> None:
    """G = (f_nue - f_nux) - (f_nuebar - f_nuxbar) (arXiv:2310.03807 Eq. 1)."""
    rng = np.random.default_rng(0)
    f = {s: rng.uniform(0.1, 1.0, (3, 5)) for s in SPECIES}
    want = (f["nue"] - f["nux"]) - (f["nuebar"] - f["nuxbar"])
    np.testing.assert_allclose(eln_from_distributions(f), want, rtol=1e-15)
    np.testing.assert_array_equal(
        eln_from_distributions({s: f[s] for s in ("nue", "nuebar")}), f["nue"] - f["nuebar"]
    )
    assert species_signs(SPECIES).tolist() == [ELN_SIGN[s] for s in SPECIES] == [1, -1, -1, 1]


def test_lepton_moments_follow_the_sign_table() -> None:
    """g0 = 1 - alpha - alpha_x + alpha_xbar, g1 = F_nue - alpha F_nuebar - alpha_x F_nux + alpha_xbar F_nuxbar."""
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.uniform(0.3, 3.0, (50, 3)), rng.uniform(0.0, 0.9, (50, 4))])
    g0, g1 = lepton_number_moments(X)
    np.testing.assert_allclose(g0, 1 - X[:, 0] - X[:, 1] + X[:, 2], rtol=1e-14)
    np.testing.assert_allclose(
        g1, X[:, 3] - X[:, 0] * X[:, 4] - X[:, 1] * X[:, 5] + X[:, 2] * X[:, 6], rtol=1e-14
    )


def test_no_other_copy_of_the_sign_table() -> None:
    root = Path(nulearn.flavor.__file__).parent
    table = re.compile(r"""["']nuxbar["']\s*:\s*[+-]?1(\.0)?\b""")
    copies = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if table.search(p.read_text()) and p.name != "species.py"
    ]
    assert copies == []


@pytest.mark.parametrize("dropped", ["alpha_x", "alpha_xbar", "F_nux", "F_nuxbar"])
def test_partial_eln_xln_table_is_refused_not_read_as_eln(dropped: str) -> None:
    """A table with some heavy-lepton columns missing must not fall back to the ELN features."""
    from nulearn.flavor.physics.species import XLN_FEATURES, species_for_features

    cols = [c for c in XLN_FEATURES if c != dropped]
    with pytest.raises(ValueError, match=f"lacks \\['{dropped}'\\]"):
        species_for_features(cols)


def test_eln_features_beside_heavy_raw_moments_read_as_eln() -> None:
    from nulearn.flavor.physics.species import ELN_FEATURES, ELN_SPECIES, species_for_features

    assert species_for_features([*ELN_FEATURES, "n_nux", "F_nux"]) == ELN_SPECIES
