/* td_fully_connected_s8_opt.h - int8 fully connected layer optimized for RV32IMC: the
 * same bytes as the reference td_fully_connected_s8 (kernels/td_fully_connected_s8.h)
 * from an args struct Python fills at compile time (quant/opt/fully_connected.py).
 *
 * Every weight is used once per batch row, so its load is unavoidable; the kernel makes
 * it the only extra instruction per MAC: raw int8 inputs times raw int8 weights (lb, mul,
 * add), rows in blocks of 8 (then 4, 2, 1) sharing each input load, unrolled 16 times.
 * The offsets are folded at compile time: chan[o] starts the row at
 * bias + input_offset * sum(w) + in_features * weight_offset * input_offset, and the
 * kernel adds weight_offset * sum(x) once per batch row when weight_offset != 0. chan:
 * TD_OPT_CH words per output: start, mode (0 fast, 1 reference requantization), then the
 * requantization constants as td_opt_common.h. Weights: the rows in blocks of 8 from
 * row 0, the last rows in blocks of 4, 2, 1 (what is left: o0 = 8 * block for every core),
 * the block of R rows at o0 starting at wts + o0 * in_features and interleaved
 * [in_features][R] (Python: quant/opt/fully_connected.py). No scratch. Several cores:
 * core c takes its share of the blocks of 8.
 *
 * Preconditions (quant/preconditions/opt.py): the reference kernel's on the dimensions;
 * chan sized out_features * TD_OPT_CH, wts out_features * in_features.
 */
#ifndef TD_FULLY_CONNECTED_S8_OPT_H
#define TD_FULLY_CONNECTED_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t weight_offset;     /* -weight zero point (per-tensor weights), else 0 */
    int32_t output_offset;     /* output zero point */
    int32_t act_min;
    int32_t act_max;
    const int32_t *chan;       /* [out_features][TD_OPT_CH] */
    const int8_t *wts;         /* per row block: [in_features][R] */
} td_fully_connected_s8_opt_args_t;

void td_fully_connected_s8_opt(const td_fully_connected_s8_opt_args_t *args,
                               const int8_t *input, int8_t *output, void *scratch,
                               const td_team_t *team);

#endif /* TD_FULLY_CONNECTED_S8_OPT_H */
