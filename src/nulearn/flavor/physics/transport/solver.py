r"""Steady-state, spherically symmetric, gray discrete-ordinates transport with isotropic scattering.

For each species s the angular number density ``psi_s(r, mu) = dn_s/dmu`` (fm^-3) obeys

.. math:: \mu\partial_r\psi + \frac{1-\mu^2}{r}\partial_\mu\psi
          = \kappa_a(\psi_{eq} - \psi) + \kappa_s(\bar\psi - \psi),
          \qquad \bar\psi = \tfrac12\int_{-1}^{1}\psi\,d\mu ,

emission set by Kirchhoff's law against the equilibrium ``psi_eq`` (Fermi-Dirac at the local
temperature and chemical potential). With ``chi = kappa_a + kappa_s``, ``omega = kappa_s/chi``
the source is ``S = (1 - omega) psi_eq + omega psi_bar`` and the formal solution along the
characteristics (:mod:`.characteristics`) is linear, ``psi_bar = Lambda[S]``. Scattering is
converged by solving ``(I - Lambda omega) psi_bar = Lambda[(1 - omega) psi_eq]``:

* ``"direct"`` (default): Lambda is built column by column in one batched sweep (n_r unit sources)
  and the n_r x n_r system is solved exactly; robust in the optically thick, scattering-dominated
  PNS interior where plain iteration stalls (spectral radius -> omega -> 1).
* ``"gmres"``: matrix-free restarted GMRES (scipy), one sweep per matrix-vector product.
* ``"source"``: unaccelerated source (Lambda) iteration, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse.linalg as spla
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from nulearn.flavor.physics.transport.characteristics import RayGrid, make_ray_grid, sweep

__all__ = ["ScatteringMethod", "TransportProblem", "TransportSolution", "solve_transport"]

ScatteringMethod = Literal["direct", "gmres", "source"]


@dataclass(frozen=True)
class TransportProblem:
    """Opacities and equilibrium distributions on a radial grid.

    Attributes:
        radius: radial nodes (km), shape (n_r,), increasing, radius[0] > 0 (inner boundary).
        absorption: kappa_a (km^-1), shape (n_species, n_r), >= 0.
        scattering: kappa_s (km^-1), shape (n_species, n_r), >= 0.
        equilibrium: psi_eq = n_eq / 2 (fm^-3), shape (n_species, n_r), >= 0.
        species: names of the species rows.
    """

    radius: NDArray[np.float64]
    absorption: NDArray[np.float64]
    scattering: NDArray[np.float64]
    equilibrium: NDArray[np.float64]
    species: tuple[str, ...] = ("nue", "nuebar", "nux", "nuxbar")

    def __post_init__(self) -> None:
        n_r = np.asarray(self.radius).size
        shape = (len(self.species), n_r)
        for name in ("absorption", "scattering", "equilibrium"):
            arr = np.asarray(getattr(self, name))
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
            bad = ~np.isfinite(arr) | (arr < 0)
            if np.any(bad):
                s, i = np.argwhere(bad)[0]
                raise ValueError(
                    f"{name} must be finite and >= 0; species {self.species[s]} index {i} is {arr[s, i]}"
                )


@dataclass(frozen=True)
class TransportSolution:
    """Converged radiation field.

    Attributes:
        grid: the rays used.
        species: species names.
        mean: psi_bar = I_0 / 2 (fm^-3), shape (n_species, n_r).
        inward, outward: psi on the two branches of every ray (fm^-3), (n_species, n_rays, n_r).
        iterations: scattering iterations (0 for the direct solve).
        residual: max relative residual of the scattering equation.
    """

    grid: RayGrid
    species: tuple[str, ...]
    mean: NDArray[np.float64]
    inward: NDArray[np.float64]
    outward: NDArray[np.float64]
    iterations: int
    residual: float

    @property
    def radius(self) -> NDArray[np.float64]:
        """Radial nodes (km), shape (n_r,)."""
        return self.grid.radius

    def moments(self, n_max: int = 3) -> NDArray[np.float64]:
        """Angular moments I_n = int mu^n psi dmu (fm^-3), shape (n_species, n_r, n_max + 1).

        I_0 is the number density and I_1 the number flux / c; computed with the trapezoid weights
        of the characteristics on both branches.
        """
        w, mu = self.grid.weight, self.grid.mu
        out = np.empty((len(self.species), self.grid.n_radii, n_max + 1))
        for n in range(n_max + 1):
            wn = w * mu**n
            out[:, :, n] = np.einsum("ji,sji->si", wn, self.outward) + (-1) ** n * np.einsum(
                "ji,sji->si", wn, self.inward
            )
        return out

    def native_directions(self, node: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """psi at the ray directions that reach radial node ``node``, where the solver computed it.

        Returns:
            ``(mu, psi)``: the strictly increasing directions, shape (2 m - 1,) with m = n_core +
            node + 1 rays (the tangent ray, mu = 0, is shared by both branches), and psi there,
            shape (n_species, 2 m - 1).
        """
        if not 0 <= node < self.grid.n_radii:
            raise ValueError(f"node must be in [0, {self.grid.n_radii - 1}], got {node}")
        m = self.grid.n_core + node + 1  # rays active at the node, mu decreasing with ray index
        mu_out = self.grid.mu[:m, node]
        nodes = np.concatenate([-mu_out, mu_out[-2::-1]])
        values = np.concatenate(
            [self.inward[:, :m, node], self.outward[:, m - 2 :: -1, node]], axis=1
        )
        # Core rays that graze the inner boundary can share a direction with the first tangent
        # ray at tiny radii; keep each direction once.
        keep = np.concatenate([[True], np.diff(nodes) > 0])
        return nodes[keep], values[:, keep]

    def on_mu_grid(self, mu: NDArray[np.float64]) -> NDArray[np.float64]:
        """psi interpolated (linearly in mu) onto a common grid, shape (n_species, n_r, n_mu).

        Linear interpolation keeps the sign pattern of any combination of species at the native
        ray directions, so crossings of psi-differences are those of the native samples.
        """
        mu = np.asarray(mu, dtype=np.float64)
        n_sp, n_r = len(self.species), self.grid.n_radii
        out = np.empty((n_sp, n_r, mu.size))
        core = self.grid.n_core
        for i in range(n_r):
            m = core + i + 1  # rays active at node i, mu decreasing with ray index
            mu_out = self.grid.mu[:m, i]
            nodes = np.concatenate([-mu_out, mu_out[-2::-1]])
            for s in range(n_sp):
                values = np.concatenate([self.inward[s, :m, i], self.outward[s, m - 2 :: -1, i]])
                out[s, i] = np.interp(mu, nodes, values)
        return out


def solve_transport(
    problem: TransportProblem,
    n_core: int = 24,
    method: ScatteringMethod = "direct",
    tol: float = 1e-10,
    max_iter: int = 5000,
) -> TransportSolution:
    """Solve the gray transport problem for all species at once.

    Args:
        problem: opacities and equilibrium distributions.
        n_core: number of core rays (angular resolution at the inner boundary).
        method: ``"direct"``, ``"gmres"`` or ``"source"`` (see module docstring).
        tol: relative tolerance of the iterative methods.
        max_iter: iteration cap of the iterative methods.

    Returns:
        :class:`TransportSolution`; ``residual`` is the max |psi_bar - Lambda[S]| / max psi_bar.
    """
    grid = make_ray_grid(problem.radius, n_core)
    kappa_a = np.asarray(problem.absorption, dtype=np.float64)
    kappa_s = np.asarray(problem.scattering, dtype=np.float64)
    chi = kappa_a + kappa_s
    omega = np.divide(kappa_s, chi, out=np.zeros_like(chi), where=chi > 0)
    thermal = (1.0 - omega) * problem.equilibrium
    n_sp, n_r = chi.shape

    def apply_lambda(src: NDArray[np.float64]) -> NDArray[np.float64]:
        return sweep(grid, chi, src).mean

    rhs = apply_lambda(thermal[None])[0]
    iterations = 0
    if method == "direct":
        # Column k of Lambda: response to a unit source at node k (all species in one batch).
        unit = np.broadcast_to(np.eye(n_r)[:, None, :], (n_r, n_sp, n_r))
        columns = apply_lambda(np.ascontiguousarray(unit))  # (k, s, i)
        lam = np.transpose(columns, (1, 2, 0))  # (s, i, k)
        system = np.eye(n_r)[None] - lam * omega[:, None, :]
        # A 4 x n_r x n_r solve is ~1 ms single-threaded; a multi-threaded BLAS on a busy machine
        # turns it into seconds of spinning, so keep it on one thread.
        with threadpool_limits(limits=1):
            mean = np.linalg.solve(system, rhs[..., None])[..., 0]
    elif method == "gmres":
        size = n_sp * n_r

        def matvec(x: NDArray[np.float64]) -> NDArray[np.float64]:
            field = x.reshape(n_sp, n_r)
            return (field - apply_lambda((omega * field)[None])[0]).ravel()

        counter = {"n": 0}

        def count(_: object) -> None:
            counter["n"] += 1

        op = spla.LinearOperator((size, size), matvec=matvec, dtype=np.float64)
        solution, info = spla.gmres(
            op,
            rhs.ravel(),
            x0=rhs.ravel(),
            rtol=tol,
            atol=0.0,
            restart=60,
            maxiter=max_iter,
            callback=count,
            callback_type="pr_norm",
        )
        if info < 0:
            raise RuntimeError(f"GMRES failed with info={info}")
        mean = solution.reshape(n_sp, n_r)
        iterations = counter["n"]
    elif method == "source":
        mean = rhs.copy()
        for iterations in range(1, max_iter + 1):  # noqa: B007
            new = rhs + apply_lambda((omega * mean)[None])[0]
            change = np.max(np.abs(new - mean)) / max(np.max(np.abs(new)), 1e-300)
            mean = new
            if change < tol:
                break
    else:
        raise ValueError(f"method must be 'direct', 'gmres' or 'source', got {method!r}")
    source = thermal + omega * mean
    final = sweep(grid, chi, source[None], keep_field=True)
    scale = max(float(np.max(np.abs(final.mean))), 1e-300)
    residual = float(np.max(np.abs(final.mean[0] - mean)) / scale)
    assert final.inward is not None and final.outward is not None
    return TransportSolution(
        grid, problem.species, final.mean[0], final.inward, final.outward, iterations, residual
    )
