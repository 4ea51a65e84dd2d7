"""Maps: measured power against theory, noise level, lognormal properties, jitter, storage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.cosmo.data.files import load_maps, save_maps
from nulearn.cosmo.data.maps import (
    ARCMIN2_PER_SR,
    MapConfig,
    MapMaker,
    SpectrumTable,
    interpolate_nodes,
    noise_power,
    simulate_maps,
)
from nulearn.cosmo.theory.fourier import BandBinning, band_powers, ell_grid

from ..conftest import power_law_table


def _relative_residual(mapset, table: SpectrumTable, config: MapConfig, m: float):  # type: ignore[no-untyped-def]
    binning = BandBinning.logarithmic(config.n_pix, config.side_deg, 12)
    measured = band_powers(mapset.maps, binning).mean(axis=0)
    ell = ell_grid(config.n_pix, config.side_rad)
    theory = binning.bin_average(
        table.on_grid(ell, [m], [1.0])[0] + noise_power(config.n_gal, config.sigma_e)
    )
    # expected scatter of the mean band power: 1/sqrt(total independent modes)
    sigma = 1.0 / np.sqrt(binning.mode_counts() * len(mapset))
    return measured / theory - 1.0, sigma


@pytest.mark.parametrize("field", ["gaussian", "lognormal"])
def test_measured_power_matches_theory_within_two_percent(table: SpectrumTable, field: str) -> None:
    config = MapConfig(n_pix=64, side_deg=3.5, field=field, n_gal=None, amplitude_jitter=0.0)
    maps = simulate_maps(table, config, np.full(1000, 0.1), seed=1)
    resid, sigma = _relative_residual(maps, table, config, 0.1)
    well_sampled = sigma < 0.006
    assert well_sampled.sum() >= 4
    assert np.all(np.abs(resid[well_sampled]) < 0.02)
    assert np.all(np.abs(resid) < 5 * sigma + 0.02)


def test_shape_noise_pixel_variance_closed_form() -> None:
    quiet = power_law_table(amplitude=1e-30)
    config = MapConfig(n_pix=32, side_deg=2.0, n_gal=30.0, amplitude_jitter=0.0)
    maps = simulate_maps(quiet, config, np.zeros(200), seed=2)
    pixel_arcmin2 = (2.0 * 60 / 32) ** 2
    expected = 0.26**2 / (30.0 * pixel_arcmin2)
    assert maps.maps.var() == pytest.approx(expected, rel=0.02)
    assert noise_power(30.0) == pytest.approx(0.26**2 / 30.0 / ARCMIN2_PER_SR)


def test_lognormal_maps_are_skewed_bounded_and_zero_mean(table: SpectrumTable) -> None:
    config = MapConfig(n_pix=64, field="lognormal", n_gal=None, amplitude_jitter=0.0)
    m = simulate_maps(table, config, np.zeros(100), seed=3).maps.astype(np.float64)
    assert m.min() > -table.lognormal_shift
    assert abs(m.mean()) < 0.02 * m.std()
    skew = np.mean((m - m.mean()) ** 3) / m.std() ** 3
    assert skew > 0.3
    g = simulate_maps(
        table, MapConfig(n_pix=64, n_gal=None, amplitude_jitter=0.0), np.zeros(100), seed=3
    ).maps
    assert abs(np.mean(g.astype(np.float64) ** 3) / g.std() ** 3) < 0.1


def test_lognormal_shift_is_the_same_for_both_classes(table: SpectrumTable) -> None:
    maker = MapMaker(table, MapConfig(n_pix=32, field="lognormal"))
    assert maker.shift == table.lognormal_shift


def test_smoothing_and_band_limit(table: SpectrumTable) -> None:
    base = MapConfig(n_pix=64, n_gal=None, amplitude_jitter=0.0)
    raw = simulate_maps(table, base, np.zeros(50), seed=4).maps
    smooth = simulate_maps(
        table, MapConfig(**{**base.to_dict(), "smoothing_arcmin": 2.0}), np.zeros(50), seed=4
    ).maps
    assert smooth.var() < 0.7 * raw.var()
    limited = simulate_maps(
        table, MapConfig(**{**base.to_dict(), "ell_max": 2000.0}), np.zeros(4), seed=4
    ).maps
    fk = np.abs(np.fft.rfft2(limited)) ** 2
    ell = ell_grid(64, base.side_rad)
    assert fk[:, ell > 2000].max() < 1e-10 * fk[:, (ell > 0) & (ell < 2000)].max()


def test_amplitude_jitter_statistics_and_reproducibility(table: SpectrumTable) -> None:
    config = MapConfig(n_pix=16, amplitude_jitter=0.015)
    a = simulate_maps(table, config, np.zeros(2000), seed=5)
    assert a.amplitude.std() == pytest.approx(0.015, rel=0.1)
    assert abs(a.amplitude.mean() - 1) < 3 * 0.015 / np.sqrt(2000)
    b = simulate_maps(table, config, np.zeros(2000), seed=5)
    np.testing.assert_array_equal(a.maps, b.maps)


@given(st.sampled_from([0.0, 0.1]), st.sampled_from([0.95, 1.0, 1.05]))
@settings(max_examples=12, deadline=None)
def test_interpolation_is_exact_at_nodes(m: float, a: float) -> None:
    t = power_law_table()
    i, j = list(t.m_nu).index(m), list(t.amplitude_factors).index(a)
    np.testing.assert_allclose(np.exp(t.log_cl([m], [a])[0]), t.cl[i, j], rtol=1e-12)


def test_cubic_interpolation_in_m_nu_and_range_check() -> None:
    t = power_law_table(m_nodes=(0.0, 0.1, 0.2, 0.3))
    mid = np.exp(t.log_cl([0.05], [1.0])[0])
    assert np.all((mid <= t.cl[0, 1] * (1 + 1e-12)) & (mid >= t.cl[1, 1] * (1 - 1e-12)))
    with pytest.raises(ValueError, match=r"m_nu\[1\]"):
        interpolate_nodes(t.m_nu, t.amplitude_factors, np.log(t.cl), [0.1, 0.4], [1.0, 1.0])


def test_hdf5_roundtrip_keeps_cosmology_config_and_spectra(table: SpectrumTable, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = MapConfig(n_pix=16, field="lognormal", n_gal=50.0)
    ms = simulate_maps(table, config, np.array([0.0, 0.1, 0.1]), seed=6, labels=[0, 1, 1])
    back = load_maps(save_maps(ms, tmp_path / "m.h5"))
    np.testing.assert_array_equal(back.maps, ms.maps)
    np.testing.assert_array_equal(back.labels, [0, 1, 1])
    assert back.config == config and back.fiducial == ms.fiducial
    assert back.spectra is not None
    np.testing.assert_array_equal(back.spectra.cl, table.cl)
    assert MapConfig.from_yaml(config.to_yaml()) == config


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="n_pix"):
        MapConfig(n_pix=33)
    with pytest.raises(ValueError, match="field"):
        MapConfig(field="poisson")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_gal"):
        MapConfig(n_gal=-1.0)
