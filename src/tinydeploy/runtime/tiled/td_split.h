/* td_split.h - how a tile's work is shared by the cores: the only place with that math.
 *
 * A tile computes an output box of rows x cols x chans (tile-local). Each core gets a
 * contiguous range of units from td_core_range: ceil(n / nb_cores) units per core, in
 * core order, the last cores getting fewer or none (PULP-NN's chunking, and the
 * ceil(size / cores) term of the cost model, tiling/cost.py).
 *
 * - TD_SPLIT_ROWS: units are output rows; a core computes one part, its rows x all
 *   columns x all channels.
 * - TD_SPLIT_CHANNELS: units are groups of c_step output channels (whole groups of a
 *   grouped op). A core that gets all channels computes the whole tile as one part;
 *   otherwise one part per output pixel (row, col), its channel range - every part's
 *   output is then contiguous in the tile ([rows, cols, chans], C order), which is what
 *   the reference kernels write.
 *
 * codegen/tiled_split.py mirrors this exactly (tests compare both for 1..16 cores).
 */
#ifndef TD_SPLIT_H
#define TD_SPLIT_H

#include "../td_names.h"

#include <stdint.h>

#define TD_SPLIT_ROWS 0
#define TD_SPLIT_CHANNELS 1

typedef struct {
    int32_t r0, r1;   /* output rows [r0, r1) of the tile */
    int32_t w0, w1;   /* output columns */
    int32_t c0, c1;   /* output channels */
} td_part_t;

static inline void td_core_range(int32_t n, int32_t nb_cores, int32_t core, int32_t *lo,
                                 int32_t *hi)
{
    const int32_t chunk = (n + nb_cores - 1) / nb_cores;
    int32_t a = core * chunk;
    a = a < n ? a : n;
    *lo = a;
    *hi = a + chunk < n ? a + chunk : n;
}

/* Calls fn(ctx, part) for every part core `core` computes, in order. */
static inline void td_core_parts(int32_t split, int32_t rows, int32_t cols, int32_t chans,
                                 int32_t c_step, int32_t nb_cores, int32_t core,
                                 void (*fn)(const void *ctx, const td_part_t *part),
                                 const void *ctx)
{
    int32_t lo, hi;
    td_part_t p;
    if (split == TD_SPLIT_ROWS) {
        td_core_range(rows, nb_cores, core, &lo, &hi);
        if (lo >= hi) return;
        p.r0 = lo; p.r1 = hi; p.w0 = 0; p.w1 = cols; p.c0 = 0; p.c1 = chans;
        fn(ctx, &p);
        return;
    }
    td_core_range(chans / c_step, nb_cores, core, &lo, &hi);
    if (lo >= hi) return;
    p.c0 = lo * c_step;
    p.c1 = hi * c_step;
    if (p.c0 == 0 && p.c1 == chans) {
        p.r0 = 0; p.r1 = rows; p.w0 = 0; p.w1 = cols;
        fn(ctx, &p);
        return;
    }
    for (int32_t r = 0; r < rows; ++r) {
        for (int32_t w = 0; w < cols; ++w) {
            p.r0 = r; p.r1 = r + 1; p.w0 = w; p.w1 = w + 1;
            fn(ctx, &p);
        }
    }
}

#endif /* TD_SPLIT_H */
