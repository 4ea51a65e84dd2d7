/* Gray M1 transport core (see m1.h for the equations).
 *
 * Background (a parametrized proto-neutron star, r in km):
 *   density      rho(r) = (r / R0)^-4       (relative to its value at R0 = 10 km)
 *   temperature  T(r)   = (r / R0)^-1       (relative)
 *   electron fraction Ye(r) = 0.30 - 0.20 exp(-(r - R0) / 15 km)  (neutron rich inside)
 *   neutrino degeneracy eta(r) = 0.15 exp(-(r - R0) / 12 km)
 * Opacities (1/km) scale as rho T^2 (neutrino-nucleon cross sections ~ E_nu^2 ~ T^2):
 *   absorption  nu_e on neutrons    K_ABS (1 - Ye) rho T^2
 *               anti-nu_e on protons K_ABS Ye rho T^2      (decouples deeper: more forward peaked)
 *               nu_x, anti-nu_x     K_PAIR rho T^2          (pair processes, weak)
 *   scattering  K_SCAT rho T^2 (anti-nu_x: 0.9 times that, the weak-magnetism correction that
 *               makes nu_x and anti-nu_x differ)
 * Equilibrium densities (Maxwell-Boltzmann, gray): n_eq = T^3 exp(+eta) for nu_e, T^3 exp(-eta)
 * for anti-nu_e, T^3 for the heavy-lepton flavours.
 *
 * Scheme: finite volumes on a geometric grid (face areas r^2, volumes (r+^3 - r-^3)/3); HLL face
 * fluxes with wave speeds +-1, the numerical diffusion multiplied by min(1, 1/(kappa dr)) so that
 * the optically thick limit is the diffusion equation (asymptotic preserving, e.g. Audit et al.
 * 2002, O'Connor 2015); the geometric source (n - P)/r discretized as (n - P)(A+ - A-)/(2V), which
 * keeps an isotropic uniform field at rest exactly; an implicit-explicit Euler step: transport
 * explicit, the stiff emission, absorption and scattering terms implicit (closed form per cell).
 * Boundaries: reflecting at the centre (f = 0 at r_in), outflow at r_out.
 */
#include "m1.h"

#include <math.h>

static const double R0 = 10.0;     /* km */
static const double K_ABS = 60.0;  /* 1/km at R0 */
static const double K_PAIR = 2.0;  /* 1/km at R0 */
static const double K_SCAT = 10.0; /* 1/km at R0 */

typedef struct {
    double kappa_a, kappa_t, n_eq;
} m1_matter;

static m1_matter m1_background(int species, double r)
{
    const double x = r / R0;
    const double rho = 1.0 / (x * x * x * x), temp = 1.0 / x;
    const double rt2 = rho * temp * temp;
    const double ye = 0.30 - 0.20 * exp(-(r - R0) / 15.0);
    const double eta = 0.15 * exp(-(r - R0) / 12.0);
    const double t3 = temp * temp * temp;
    m1_matter m;
    double k_s = K_SCAT * rt2;
    switch (species) {
    case 0: m.kappa_a = K_ABS * (1.0 - ye) * rt2; m.n_eq = t3 * exp(eta); break;
    case 1: m.kappa_a = K_ABS * ye * rt2; m.n_eq = t3 * exp(-eta); break;
    case 2: m.kappa_a = K_PAIR * rt2; m.n_eq = t3; break;
    default: m.kappa_a = K_PAIR * rt2; m.n_eq = t3; k_s *= 0.9; break;
    }
    m.kappa_t = m.kappa_a + k_s;
    return m;
}

/* Minerbo closure: Eddington factor chi(f) = 1/3 + (2/15)(3 f^2 - f^3 + 3 f^4), f = |F| / n */
static double m1_eddington(double n, double f)
{
    double h = n > 0.0 ? fabs(f) / n : 0.0;
    h = h < 1.0 ? h : 1.0;
    return 1.0 / 3.0 + (2.0 / 15.0) * h * h * (3.0 - h + 3.0 * h * h);
}

void m1_grid(int n_r, double r_in, double r_out, double *r_face, double *r)
{
    for (int i = 0; i <= n_r; ++i)
        r_face[i] = r_in * pow(r_out / r_in, (double)i / n_r);
    for (int i = 0; i < n_r; ++i) /* volume centre */
        r[i] = cbrt(0.5 * (r_face[i] * r_face[i] * r_face[i] + r_face[i + 1] * r_face[i + 1] * r_face[i + 1]));
}

void m1_initial(int n_r, const double *r, double *n, double *f)
{
    for (int s = 0; s < M1_SPECIES; ++s)
        for (int i = 0; i < n_r; ++i) {
            n[s * n_r + i] = m1_background(s, r[i]).n_eq;
            f[s * n_r + i] = 0.0;
        }
}

double m1_time_step(int n_r, const double *r_face)
{
    double dr = r_face[1] - r_face[0];
    for (int i = 1; i < n_r; ++i)
        dr = fmin(dr, r_face[i + 1] - r_face[i]);
    return 0.4 * dr;
}

void m1_step(int n_r, const double *r_face, const double *r, double *n, double *f, double dt,
             double *work)
{
    double *phi = work;           /* face fluxes of n, n_r + 1 */
    double *pi = work + n_r + 1;  /* face fluxes of f, n_r + 1 */
    double *pres = pi + n_r + 1;  /* P = chi n per cell, n_r */
    double *kt = pres + n_r;      /* total opacity per cell, n_r */
    double *ka = kt + n_r;        /* absorption opacity per cell, n_r */
    double *neq = ka + n_r;       /* equilibrium density per cell, n_r */
    for (int s = 0; s < M1_SPECIES; ++s) {
        double *ns = n + s * n_r, *fs = f + s * n_r;
        for (int i = 0; i < n_r; ++i) {
            const m1_matter m = m1_background(s, r[i]);
            pres[i] = m1_eddington(ns[i], fs[i]) * ns[i];
            kt[i] = m.kappa_t;
            ka[i] = m.kappa_a;
            neq[i] = m.n_eq;
        }
        /* reflecting centre: mirror state (n, -f) gives phi = 0, pi = P + eps f */
        {
            const double eps = fmin(1.0, 1.0 / (kt[0] * (r[0] - r_face[0]) * 2.0));
            phi[0] = 0.0;
            pi[0] = pres[0] + eps * fs[0];
        }
        for (int i = 1; i < n_r; ++i) {
            const double dr = r[i] - r[i - 1];
            const double eps = fmin(1.0, 2.0 / ((kt[i] + kt[i - 1]) * dr));
            phi[i] = 0.5 * (fs[i - 1] + fs[i]) - 0.5 * eps * (ns[i] - ns[i - 1]);
            pi[i] = 0.5 * (pres[i - 1] + pres[i]) - 0.5 * eps * (fs[i] - fs[i - 1]);
        }
        /* outflow: a copy of the last cell outside */
        phi[n_r] = fs[n_r - 1];
        pi[n_r] = pres[n_r - 1];
        for (int i = 0; i < n_r; ++i) {
            const double a_in = r_face[i] * r_face[i], a_out = r_face[i + 1] * r_face[i + 1];
            const double vol = (a_out * r_face[i + 1] - a_in * r_face[i]) / 3.0;
            const double n_star = ns[i] - dt * (a_out * phi[i + 1] - a_in * phi[i]) / vol;
            const double f_star = fs[i] - dt * (a_out * pi[i + 1] - a_in * pi[i]) / vol
                                  + dt * (ns[i] - pres[i]) * (a_out - a_in) / (2.0 * vol);
            /* implicit sources: emission/absorption relax n to n_eq, opacity damps f */
            double n_new = (n_star + dt * ka[i] * neq[i]) / (1.0 + dt * ka[i]);
            double f_new = f_star / (1.0 + dt * kt[i]);
            n_new = n_new > 1e-300 ? n_new : 1e-300;
            if (fabs(f_new) > n_new) /* realizability: |f| <= n */
                f_new = f_new > 0.0 ? n_new : -n_new;
            ns[i] = n_new;
            fs[i] = f_new;
        }
    }
}

void m1_flux_factors(int n_r, const double *n, const double *f, double *flux_factor)
{
    for (int i = 0; i < M1_SPECIES * n_r; ++i)
        flux_factor[i] = fabs(f[i]) / n[i];
}
