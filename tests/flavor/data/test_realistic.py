"""The realistic dataset: columns, labels from the solved f(mu), file round trip, CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.data.label_resolution import REFINEMENTS, label_resolution_check
from nulearn.flavor.data.realistic import MOMENT_COLUMNS, profile_table, realistic_dataset
from nulearn.flavor.data.tables import read_dataset
from nulearn.flavor.physics.crossings import mu_grid
from nulearn.flavor.physics.species import XLN_FEATURES
from nulearn.flavor.physics.transport.background import BackgroundParams
from nulearn.flavor.physics.transport.profile import SolverConfig, solve_profile

SMALL = SolverConfig(n_radii=48, n_core=10, n_mu=201)


def _sign_change(g: np.ndarray, rtol: float) -> np.ndarray:
    """Rows of g that take both signs beyond rtol * max|g| (the labelling rule)."""
    tol = rtol * np.abs(g).max(axis=-1, keepdims=True)
    return (g > tol).any(axis=-1) & (g < -tol).any(axis=-1)


def test_labels_are_sign_changes_of_the_solved_distribution() -> None:
    # a low-Ye pocket produces abundant nuebar and ELN crossings
    params = BackgroundParams(outer_degeneracy=-0.6, ye_dip_depth=0.5)
    sol = solve_profile(params, SMALL)
    table = profile_table(sol, 7, SMALL)
    assert (table["profile"] == 7).all()
    # default: sign changes at the native ray directions of every node
    native = []
    for node in range(sol.transport.grid.n_radii - 1):
        mu, psi = sol.transport.native_directions(node)
        assert np.all(np.diff(mu) > 0) and mu[0] == -1.0 and mu[-1] == 1.0
        native.append(_sign_change(psi[0] - psi[1], SMALL.crossing_rtol))
    np.testing.assert_array_equal(table["crossing"].to_numpy() == 1, np.array(native))
    assert 0 < table["crossing"].mean() < 1  # both crossing and stable cells
    assert np.all(table.loc[table["crossing"] == 1, "depth"] > 0)
    # the uniform-grid alternative reports the sign changes of the interpolated psi
    grid_cfg = replace(SMALL, crossings="grid")
    grid_table = profile_table(sol, 7, grid_cfg)
    psi = sol.transport.on_mu_grid(mu_grid(SMALL.n_mu))[:, :-1]
    np.testing.assert_array_equal(
        grid_table["crossing"].to_numpy() == 1, _sign_change(psi[0] - psi[1], SMALL.crossing_rtol)
    )
    # moments are those of the solved field
    m = sol.transport.moments()[:, :-1]
    np.testing.assert_allclose(table["alpha"], m[1, :, 0] / m[0, :, 0])
    np.testing.assert_allclose(table["I2_nux"], m[2, :, 2] / m[2, :, 0])


def test_native_directions_carry_the_moment_quadrature() -> None:
    # the solver's weights are the trapezoid rule on the native directions: I_0 and I_1 agree
    sol = solve_profile(BackgroundParams(), SMALL)
    mom = sol.transport.moments(1)
    for node in (0, 5, 30, 46):
        mu, psi = sol.transport.native_directions(node)
        np.testing.assert_allclose(np.trapezoid(psi, mu, axis=1), mom[:, node, 0], rtol=1e-12)
        np.testing.assert_allclose(
            np.trapezoid(psi * mu, mu, axis=1), mom[:, node, 1], rtol=1e-10, atol=1e-30
        )
    with pytest.raises(ValueError, match="node must be in"):
        sol.transport.native_directions(48)


def test_label_resolution_check_reports_agreement() -> None:
    table = label_resolution_check(1, seed=4, base=SMALL, edges=(0, 60, 1000))
    assert list(table["radius [km]"]) == ["0-60", "60-1000"]
    assert table["cells"].sum() == SMALL.n_radii - 1
    for col in REFINEMENTS:
        assert table[col].between(0, 1).all()
    # a ten times finer uniform grid agrees with the native directions at least as well
    assert (table["uniform grid, 4001 points"] >= table["uniform grid, 401 points"]).all()


def test_dataset_columns_validity_and_roundtrip(tmp_path: Path) -> None:
    frame = realistic_dataset(2, seed=1, config=SMALL)
    for col in (
        *XLN_FEATURES,
        *MOMENT_COLUMNS,
        "profile",
        "radius_km",
        "crossing",
        "crossing_xln",
        "depth_xln",
    ):
        assert col in frame.columns
    assert set(frame["profile"]) == {0, 1}
    flux = frame[["F_nue", "F_nuebar", "F_nux", "F_nuxbar"]].to_numpy()
    assert np.all((flux >= 0) & (flux < 1))
    assert frame.attrs["seconds_per_profile"] > 0
    # |I_n / I_0| <= 1 and I_2 / I_0 >= F^2 (Cauchy-Schwarz) for a non-negative distribution
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        assert np.all(frame[f"I2_{s}"] >= frame[f"F_{s}"] ** 2 - 1e-9)
        assert np.all(np.abs(frame[f"I3_{s}"]) <= 1 + 1e-9)


def test_cli_transport_writes_dataset(tmp_path: Path) -> None:
    out = tmp_path / "realistic.parquet"
    result = CliRunner().invoke(
        app,
        [
            "flavor",
            "transport",
            "--profiles",
            "2",
            "--seed",
            "3",
            "--out",
            str(out),
            "--n-radii",
            "32",
            "--n-core",
            "8",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "crossing fraction" in result.output
    ds = read_dataset(out)
    assert ds.metadata["scheme"] == "realistic" and ds.metadata["n_profiles"] == 2
    assert ds.metadata["solver"]["n_radii"] == 32
    assert len(ds.frame) == ds.metadata["n"] > 0


@pytest.mark.parametrize("bad", [0, -1])
def test_dataset_rejects_bad_profile_count(bad: int) -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        realistic_dataset(bad, config=SMALL)
