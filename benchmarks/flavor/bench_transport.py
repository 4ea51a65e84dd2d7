"""Seconds per transport profile, scattering-solver iterations and validation errors.

Prints measured figures for the gray transport solver of ``nulearn.flavor.physics.transport``:
wall time per profile at several resolutions (background + opacities + scattering solve +
moments + crossing search), the iteration counts of the three scattering methods on one profile,
and the homogeneous-sphere error. Taken on a shared machine: re-run for clean numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nulearn.flavor.data.realistic import profile_table
from nulearn.flavor.physics.transport import (
    BackgroundParams,
    SolverConfig,
    build_background,
    compute_opacities,
    sample_background_params,
    solve_profile,
)
from nulearn.flavor.physics.transport.analytic import homogeneous_sphere
from nulearn.flavor.physics.transport.solver import TransportProblem, solve_transport


def seconds_per_profile(config: SolverConfig, n_profiles: int) -> float:
    """Mean wall time of solve + tabulation per profile (after one warm-up solve for numba)."""
    params = sample_background_params(n_profiles, seed=11)
    profile_table(solve_profile(params[0], config), 0, config)
    t0 = time.perf_counter()
    for i, p in enumerate(params):
        profile_table(solve_profile(p, config), i, config)
    return (time.perf_counter() - t0) / n_profiles


def sphere_error(n_r: int, n_core: int) -> float:
    """Mean relative I_0 error of the pure-absorption homogeneous sphere (R = 10 km, kappa = 0.3/km)."""
    radius = np.linspace(0.5, 10.0, n_r)
    one = np.ones((1, n_r))
    sol = solve_transport(
        TransportProblem(radius, 0.3 * one, 0 * one, one, species=("nue",)), n_core=n_core
    )
    mu = np.linspace(-1, 1, 40001)
    exact = np.trapezoid(homogeneous_sphere(radius, mu, 10.0, 0.3, 1.0), mu, axis=1)
    return float(np.mean(np.abs(sol.moments()[0][:, 0] - exact) / exact))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    resolutions = ((32, 8),) if args.smoke else ((64, 16), (128, 24), (256, 32))
    n_profiles = 1 if args.smoke else 5
    scattering_radii = 32 if args.smoke else 64
    spheres = ((30, 6),) if args.smoke else ((30, 6), (60, 12), (120, 24), (240, 48))
    print("== seconds per profile (solve + moments + crossings), 4 species")
    for n_radii, n_core in resolutions:
        cfg = SolverConfig(n_radii=n_radii, n_core=n_core)
        print(
            f"n_radii={n_radii:4d} n_core={n_core:3d}: "
            f"{seconds_per_profile(cfg, n_profiles):.3f} s/profile"
        )
    print(f"== scattering solve on the default profile (n_radii={scattering_radii}, 4 species)")
    bg = build_background(BackgroundParams(), scattering_radii)
    op = compute_opacities(bg)
    problem = TransportProblem(bg.radius, op.absorption, op.scattering, op.equilibrium)
    ref = None
    for method in ("direct", "gmres", "source"):
        t0 = time.perf_counter()
        sol = solve_transport(problem, n_core=16, method=method, tol=1e-8, max_iter=2000)  # type: ignore[arg-type]
        dt = time.perf_counter() - t0
        if ref is None:
            ref = sol.mean
        diff = float(np.max(np.abs(sol.mean - ref) / np.maximum(ref, 1e-300)))
        print(
            f"{method:7s}: {dt:.2f} s, iterations {sol.iterations}, max rel. diff to direct {diff:.1e}"
        )
    print("== homogeneous sphere, pure absorption: mean relative I_0 error")
    for n_r, n_core in spheres:
        print(f"n_r={n_r:4d} n_core={n_core:3d}: {sphere_error(n_r, n_core):.2e}")


if __name__ == "__main__":
    main()
