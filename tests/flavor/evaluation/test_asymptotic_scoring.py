"""Prescriptions scored against solver results, and the fast-flavor figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.evaluation.asymptotic import (
    QUANTITIES,
    box3d_from_features,
    score_prescriptions,
)
from nulearn.flavor.evaluation.fast_flavor_figures import save_evolution_figures
from nulearn.flavor.physics.asymptotic import PRESCRIPTIONS
from nulearn.flavor.physics.fast_flavor import EvolveConfig, evolve
from nulearn.flavor.physics.fast_flavor_batch import evolve_many
from nulearn.flavor.physics.fast_flavor_beams import beams_from_moments

SMALL = EvolveConfig(n_mu=12, n_z=64, box_length=60.0, t_relax=150.0, relax_growth_times=30.0)


@pytest.fixture(scope="module")
def solved() -> pd.DataFrame:
    cells = pd.DataFrame(
        {
            "alpha": [0.9, 0.4, 1.3],
            "alpha_x": [0.5, 0.3, 0.8],
            "alpha_xbar": [0.5, 0.3, 0.6],
            "F_nue": [0.1, 0.2, 0.15],
            "F_nuebar": [0.4, 0.25, 0.3],
            "F_nux": [0.5, 0.3, 0.45],
            "F_nuxbar": [0.5, 0.3, 0.55],
        }
    )
    return evolve_many(cells, "maxent", SMALL, n_jobs=1)


def test_score_table_covers_every_prescription_and_quantity(solved: pd.DataFrame) -> None:
    table = score_prescriptions(solved)
    assert set(table["prescription"]) == {*PRESCRIPTIONS, "box3d"}
    assert set(table["quantity"]) == set(QUANTITIES)
    err = table.set_index(["prescription", "quantity"])["mae"]
    # conserving prescriptions keep the ELN-XLN number exactly, like the solver
    for name in ("no_mixing", "box", "box_power", "box_smooth", "box3d"):
        assert err[name, "eln_xln_number"] < 1e-8
    assert err["equipartition", "eln_xln_number"] > 0.05
    # the box is closer to the solver than no mixing or equipartition for the nue density
    assert err["box", "n_nue"] < err["no_mixing", "n_nue"]
    assert err["box", "n_nue"] < err["equipartition", "n_nue"]
    assert (table["n"] == len(solved)).all()


def test_stable_cells_score_zero_for_no_mixing(solved: pd.DataFrame) -> None:
    stable = solved[~solved["evolved"]]
    assert len(stable) == 1  # row 1: alpha = 0.4 and alike heavy leptons, G > 0 everywhere
    table = score_prescriptions(stable, prescriptions=("no_mixing", "box"))
    assert table["max_error"].max() < 1e-9


def test_box3d_on_axisymmetric_features_conserves_lepton_number(solved: pd.DataFrame) -> None:
    features = solved[["alpha", "alpha_x", "alpha_xbar", "F_nue", "F_nuebar", "F_nux", "F_nuxbar"]]
    out = box3d_from_features(features)
    np.testing.assert_allclose(out["eln_xln_number"], solved["eln_xln_number_before"], atol=1e-10)
    np.testing.assert_allclose(
        out["n_nue"] + 2 * out["n_nux"], 1.0 + 2 * features["alpha_x"], rtol=1e-12
    )


def test_figures_are_written(tmp_path: Path, solved: pd.DataFrame) -> None:
    cells = pd.DataFrame({"alpha": [0.9], "F_nue": [0.1], "F_nuebar": [0.4]})
    result = evolve(beams_from_moments(cells, "maxent", SMALL.n_mu), SMALL)
    paths = save_evolution_figures(result, tmp_path, "crossing")
    assert [p.name for p in paths] == ["crossing_angular.png", "crossing_history.png"]
    from_row = save_evolution_figures(solved.iloc[0], tmp_path, "row0")
    assert [p.name for p in from_row] == ["row0_angular.png"]
    assert all(p.stat().st_size > 1000 for p in [*paths, *from_row])
