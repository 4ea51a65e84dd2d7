"""Realistic neutrino angular distributions from a gray, spherically symmetric transport solver.

Data flow: :mod:`.background` (parametrized supernova profiles) -> :mod:`.opacities` (gray
opacities, Kirchhoff emission against :mod:`.equilibrium`) -> :mod:`.solver` (discrete ordinates
along :mod:`.characteristics`, scattering converged) -> :mod:`.profile`. Moment tables with exact
crossing labels are built from the solutions by :mod:`nulearn.flavor.data.realistic`. :mod:`.analytic` holds closed forms used for validation.
"""

from nulearn.flavor.physics.transport.background import (
    PARAMETER_RANGES,
    Background,
    BackgroundParams,
    build_background,
    sample_background_params,
)
from nulearn.flavor.physics.transport.opacities import Opacities, compute_opacities
from nulearn.flavor.physics.transport.profile import ProfileSolution, SolverConfig, solve_profile
from nulearn.flavor.physics.transport.solver import (
    TransportProblem,
    TransportSolution,
    solve_transport,
)

__all__ = [
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
    "sample_background_params",
    "solve_profile",
    "solve_transport",
]
