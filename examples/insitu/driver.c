/* In-situ flagging of fast-flavor instability inside a running M1 transport code (C driver).
 *
 *   m1_c N_R T_END FLAG_EVERY OUTDIR
 *
 * Evolves the gray M1 core (m1.c) on N_R radial cells to time T_END (km/c) and, every FLAG_EVERY
 * steps and after the last one, calls the generated flagger on every cell: raw moments in
 * (number densities, flux factors |f| / n), P(crossing) and a flag out (1 crossing, 0 none,
 * -1 invalid moments). The flagger is the header written by
 *   nulearn flavor export MODEL --format c --name flagger --out flagger.h
 * and is included with -include (see the Makefile); compile with -DFLAGGER_ELN for a model of
 * the nu_e / anti-nu_e moments only.
 *
 * Writes OUTDIR/state.csv (the final state and its flags, 17 significant digits) and prints one
 * line of timings: seconds in the transport steps and in the flagger, per cell and per call.
 *
 * Built with -DNULEARN_CLOSURE and the learned closure's header
 *   nulearn flavor closure export CLOSURE --format c --out DIR   (DIR/nulearn_closure.h)
 * it also calls the closure after every flagging on the cells flagged unstable (their asymptotic
 * moments; stable cells keep theirs), writes them as asymptotic columns and times the closure.
 * The transport state itself is not changed (the example measures cost, not feedback).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "m1.h"

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void flag_cells(int n_r, const double *n, const double *ff, double *p, int8_t *flag)
{
#ifdef FLAGGER_ELN
    nulearn_flagger(n, n + n_r, ff, ff + n_r, (int64_t)n_r, p, flag);
#else
    nulearn_flagger(n, n + n_r, n + 2 * n_r, n + 3 * n_r, ff, ff + n_r, ff + 2 * n_r, ff + 3 * n_r,
                    (int64_t)n_r, p, flag);
#endif
}

#ifdef NULEARN_CLOSURE
/* Asymptotic moments of every cell: the closure where flag == 1, the moments themselves elsewhere. */
static void closure_cells(int n_r, const double *n, const double *ff, const int8_t *flag,
                          double *n_out, double *ff_out, int8_t *status)
{
    nulearn_closure(n, n + n_r, n + 2 * n_r, n + 3 * n_r, ff, ff + n_r, ff + 2 * n_r, ff + 3 * n_r,
                    (int64_t)n_r, n_out, n_out + n_r, n_out + 2 * n_r, n_out + 3 * n_r, ff_out,
                    ff_out + n_r, ff_out + 2 * n_r, ff_out + 3 * n_r, status);
    for (int s = 0; s < M1_SPECIES; ++s)
        for (int i = 0; i < n_r; ++i)
            if (flag[i] != 1) {
                n_out[s * n_r + i] = n[s * n_r + i];
                ff_out[s * n_r + i] = ff[s * n_r + i];
            }
}
#endif

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s N_R T_END FLAG_EVERY OUTDIR\n", argv[0]);
        return 2;
    }
    const int n_r = atoi(argv[1]);
    const double t_end = atof(argv[2]);
    const long flag_every = atol(argv[3]);
    if (n_r < 4 || t_end <= 0.0 || flag_every < 1) {
        fprintf(stderr, "%s: need N_R >= 4, T_END > 0, FLAG_EVERY >= 1\n", argv[0]);
        return 2;
    }
    double *r_face = malloc(sizeof(double) * (n_r + 1)), *r = malloc(sizeof(double) * n_r);
    double *n = malloc(sizeof(double) * M1_SPECIES * n_r), *f = malloc(sizeof(double) * M1_SPECIES * n_r);
    double *ff = malloc(sizeof(double) * M1_SPECIES * n_r), *work = malloc(sizeof(double) * M1_WORK(n_r));
    double *p = malloc(sizeof(double) * n_r);
    int8_t *flag = malloc(n_r);
#ifdef NULEARN_CLOSURE
    double *n_asym = malloc(sizeof(double) * M1_SPECIES * n_r);
    double *ff_asym = malloc(sizeof(double) * M1_SPECIES * n_r);
    int8_t *status = malloc(n_r);
    if (!n_asym || !ff_asym || !status) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    double t_closure = 0.0;
#endif
    if (!r_face || !r || !n || !f || !ff || !work || !p || !flag) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    m1_grid(n_r, 10.0, 300.0, r_face, r);
    m1_initial(n_r, r, n, f);
    const double dt = m1_time_step(n_r, r_face);
    const long n_steps = (long)(t_end / dt) + 1;
    double t_step = 0.0, t_flag = 0.0;
    long n_flags = 0;
    for (long k = 1; k <= n_steps; ++k) {
        double t0 = seconds();
        m1_step(n_r, r_face, r, n, f, dt, work);
        t_step += seconds() - t0;
        if (k % flag_every == 0 || k == n_steps) {
            t0 = seconds();
            m1_flux_factors(n_r, n, f, ff);
            flag_cells(n_r, n, ff, p, flag);
            t_flag += seconds() - t0;
#ifdef NULEARN_CLOSURE
            t0 = seconds();
            closure_cells(n_r, n, ff, flag, n_asym, ff_asym, status);
            t_closure += seconds() - t0;
#endif
            ++n_flags;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/state.csv", argv[4]);
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "%s: cannot write %s\n", argv[0], path);
        return 1;
    }
    static const char *species[M1_SPECIES] = {"nue", "nuebar", "nux", "nuxbar"};
    fprintf(out, "r");
    for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",n_%s", species[s]);
    for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",flux_%s", species[s]);
    for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",F_%s", species[s]);
    fprintf(out, ",p_crossing,flag");
#ifdef NULEARN_CLOSURE
    for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",n_%s_asymptotic", species[s]);
    for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",F_%s_asymptotic", species[s]);
#endif
    fprintf(out, "\n");
    for (int i = 0; i < n_r; ++i) {
        fprintf(out, "%.17g", r[i]);
        for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",%.17g", n[s * n_r + i]);
        for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",%.17g", f[s * n_r + i]);
        for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",%.17g", ff[s * n_r + i]);
        fprintf(out, ",%.17g,%d", p[i], (int)flag[i]);
#ifdef NULEARN_CLOSURE
        for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",%.17g", n_asym[s * n_r + i]);
        for (int s = 0; s < M1_SPECIES; ++s) fprintf(out, ",%.17g", ff_asym[s * n_r + i]);
#endif
        fprintf(out, "\n");
    }
    fclose(out);
    long n_cross = 0;
    for (int i = 0; i < n_r; ++i) n_cross += flag[i] == 1;
    printf("cells %d steps %ld flag_calls %ld step_s %.6e flag_s %.6e "
           "step_ns_per_cell %.4g flag_ns_per_cell %.4g flagged %ld\n",
           n_r, n_steps, n_flags, t_step, t_flag, 1e9 * t_step / ((double)n_steps * n_r),
           1e9 * t_flag / ((double)n_flags * n_r), n_cross);
#ifdef NULEARN_CLOSURE
    printf("closure_s %.6e closure_ns_per_cell %.4g closure_share_of_step %.4g\n", t_closure,
           1e9 * t_closure / ((double)n_flags * n_r), t_closure / t_step);
    free(n_asym); free(ff_asym); free(status);
#endif
    free(r_face); free(r); free(n); free(f); free(ff); free(work); free(p); free(flag);
    return 0;
}
