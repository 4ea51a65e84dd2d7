"""Fixtures for nulearn.cosmo tests: analytic spectrum tables (no CAMB)."""

from __future__ import annotations

import numpy as np
import pytest

from nulearn.cosmo.data.maps import SpectrumTable


def power_law_table(
    m_nodes: tuple[float, ...] = (0.0, 0.1),
    suppression: float = 0.05,
    amplitude: float = 1e-9,
    shift: float = 0.06,
) -> SpectrumTable:
    """C_ℓ = A (ℓ/1000)^-1.2, suppressed by ``suppression`` × (M_ν / 0.1 eV) above ℓ ~ 500, ∝ A_s^1.2."""
    ell = np.geomspace(1.0, 1e5, 300)
    factors = np.array([0.95, 1.0, 1.05])
    base = amplitude * (ell / 1000.0) ** -1.2
    shape = 1.0 / (1.0 + (500.0 / ell) ** 2)
    cl = np.stack(
        [
            np.stack([base * f**1.2 * (1 - suppression * (m / 0.1) * shape) for f in factors])
            for m in m_nodes
        ]
    )
    return SpectrumTable(ell, np.asarray(m_nodes), factors, cl, shift)


@pytest.fixture
def table() -> SpectrumTable:
    """Two-class analytic table (M_ν = 0, 0.1 eV)."""
    return power_law_table()
