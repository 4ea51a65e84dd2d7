"""Realistic neutrino angular distributions from a gray, spherically symmetric transport solver.

Data flow: :mod:`.background` (parametrized supernova profiles) -> :mod:`.opacities` (gray
opacities, Kirchhoff emission against :mod:`.equilibrium`) -> :mod:`.solver` (discrete ordinates
along :mod:`.characteristics`, scattering converged) -> :mod:`.profile` -> :mod:`.dataset`
(moments and exact crossing labels). :mod:`.analytic` holds closed forms used for validation.
"""

from nulearn.flavor.transport.background import (
    PARAMETER_RANGES,
    Background,
    BackgroundParams,
    build_background,
    sample_background_params,
)
from nulearn.flavor.transport.dataset import (
    MOMENT_COLUMNS,
    profile_table,
    realistic_dataset,
    realistic_metadata,
    write_realistic_dataset,
)
from nulearn.flavor.transport.opacities import Opacities, compute_opacities
from nulearn.flavor.transport.profile import ProfileSolution, SolverConfig, solve_profile
from nulearn.flavor.transport.solver import TransportProblem, TransportSolution, solve_transport

__all__ = [
    "MOMENT_COLUMNS",
    "PARAMETER_RANGES",
    "Background",
    "BackgroundParams",
    "Opacities",
    "ProfileSolution",
    "SolverConfig",
    "TransportProblem",
    "TransportSolution",
    "build_background",
    "compute_opacities",
    "profile_table",
    "realistic_dataset",
    "realistic_metadata",
    "sample_background_params",
    "solve_profile",
    "solve_transport",
    "write_realistic_dataset",
]
