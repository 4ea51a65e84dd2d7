/* Gray two-moment (M1) neutrino transport in spherical symmetry: a small but real transport core.
 *
 * Four species (nu_e, anti-nu_e, nu_x, anti-nu_x; nu_x and anti-nu_x may differ) evolve their
 * number density n and radial number flux f (units of n c; c = 1, lengths in km, times in km/c)
 * on a static, parametrized proto-neutron-star background:
 *
 *   dn/dt + (1/r^2) d(r^2 f)/dr = kappa_a (n_eq - n)
 *   df/dt + (1/r^2) d(r^2 P)/dr = (n - P) / r - (kappa_a + kappa_s) f,   P = chi(f/n) n
 *
 * with the Minerbo closure chi (the maximum-entropy closure of classical statistics), emission
 * and absorption (Kirchhoff: the emissivity is kappa_a n_eq) and isotropic elastic scattering.
 * See m1.c for the background, the opacities and the numerical scheme (finite volumes, HLL
 * fluxes with the asymptotic-preserving correction, implicit-explicit Euler steps).
 *
 * Arrays of moments hold the four species one after another: n[s * n_r + i], species s in the
 * order above, cell i from the centre outwards. The caller owns every array, so the same calls
 * serve C and Fortran (bind(C)).
 */
#ifndef M1_H
#define M1_H

#ifdef __cplusplus
extern "C" {
#endif

#define M1_SPECIES 4

/* geometric radial grid from r_in to r_out: faces r_face[n_r + 1], centres r[n_r] (km) */
void m1_grid(int n_r, double r_in, double r_out, double *r_face, double *r);

/* initial state: equilibrium densities n_eq, zero flux; n, f of size 4 n_r */
void m1_initial(int n_r, const double *r, double *n, double *f);

/* largest stable time step (CFL 0.4 on the smallest cell), km/c */
double m1_time_step(int n_r, const double *r_face);

/* one implicit-explicit step of length dt; work holds M1_WORK(n_r) doubles */
#define M1_WORK(n_r) (6 * (n_r) + 2)
void m1_step(int n_r, const double *r_face, const double *r, double *n, double *f, double dt,
             double *work);

/* flux factors F = |f| / n, size 4 n_r (what the flagger reads) */
void m1_flux_factors(int n_r, const double *n, const double *f, double *flux_factor);

#ifdef __cplusplus
}
#endif

#endif /* M1_H */
