/* td_svdf_s8.h - int8 SVDF with an int16 state and int16 time weights, bit-exact with
 * TFLite Micro's integer SVDF (EvalIntegerSvdfReference).
 *
 * Per call: the state [n_batch][n_filter][n_memory] shifts left by one element over its
 * whole length (TFLM's flat copy); for every batch row b and filter f, the last column
 * state[b][f][n_memory - 1] = state_zp + clamp16(requant(sum_i w_feature[f][i] * (x[b][i] +
 * x_offset), mult_1, shift_1)); then acc[f] = sum_m w_time[f][m] * (state[b][f][m] -
 * state_zp) (int32), out[u] = bias[u] + sum_{r < rank} acc[u * rank + r], and y[b][u] =
 * clamp8(requant(out[u], mult_2, shift_2) + out_offset). No fused activation (TFLM applies
 * none on this path). The time and unit sums wrap modulo 2^32, as TFLM's int32 sums do on
 * two's-complement targets (int16 x int16 sums over the memory may exceed int32).
 *
 * The state is read and updated in place: it lives in memory the network keeps across
 * calls (reset by the network's _reset()). scratch: n_batch * (n_filter + n_filter / rank)
 * int32 values, planned in the arena. The kernel runs on one core: with a team, core 0
 * computes and the others return.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, recurrent.py; a layer that
 * violates one is refused naming it): dims > 0, n_filter a multiple of rank, element
 * counts within int32; offsets of int8 (state_zp of int16); multipliers 0 or in [2^30,
 * 2^31), shifts within td_requant's range; the feature sums within int32 for these
 * weights.
 */
#ifndef TD_SVDF_S8_H
#define TD_SVDF_S8_H

#include "../td_names.h"

#include <stdint.h>

#include "opt/td_opt_common.h"

typedef struct {
    int32_t n_batch;
    int32_t n_input;
    int32_t n_filter;
    int32_t n_memory;
    int32_t rank;
    int32_t x_offset;            /* -zero point of x */
    int32_t state_zp;
    int32_t out_offset;          /* zero point of y */
    int32_t mult_1;              /* feature sums -> state */
    int32_t shift_1;
    int32_t mult_2;              /* unit sums -> y */
    int32_t shift_2;
} td_svdf_s8_args_t;

void td_svdf_s8(const td_svdf_s8_args_t *args, const int8_t *x, const int8_t *w_feature,
                const int16_t *w_time, const int32_t *bias, int8_t *y, int16_t *state,
                void *scratch, const td_team_t *team);

#endif /* TD_SVDF_S8_H */
