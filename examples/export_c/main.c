/* Call a crossing classifier exported by `nulearn flavor export --format c` from a C program.
 *
 * Reads one cell per line from stdin, "n_nue n_nuebar F_nue F_nuebar" (number densities in any
 * common unit, flux factors F = |I_1| / I_0), evaluates all cells in one call of the generated
 * function and prints "p_crossing flag" per cell (flag 1: crossing, 0: none, -1: invalid input).
 * A simulation code calls the same function on its own arrays, once per time step and patch.
 */
#include <stdint.h>
#include <stdio.h>

#include "nulearn_model.h" /* generated; defines nulearn_eln(...) */

#define MAX_CELLS 4096

int main(void)
{
    static double n_nue[MAX_CELLS], n_nuebar[MAX_CELLS], F_nue[MAX_CELLS], F_nuebar[MAX_CELLS];
    static double p_crossing[MAX_CELLS];
    static int8_t flag[MAX_CELLS];
    int64_t n_cells = 0;

    while (n_cells < MAX_CELLS &&
           scanf("%lf %lf %lf %lf", &n_nue[n_cells], &n_nuebar[n_cells], &F_nue[n_cells],
                 &F_nuebar[n_cells]) == 4) {
        ++n_cells;
    }
    /* the argument order is the one `nulearn flavor export` prints: raw moments, then outputs */
    nulearn_eln(n_nue, n_nuebar, F_nue, F_nuebar, n_cells, p_crossing, flag);
    for (int64_t i = 0; i < n_cells; ++i) {
        printf("%.17g %d\n", p_crossing[i], (int)flag[i]);
    }
    return 0;
}
