/* td_softmax_s16.h - int16 softmax over rows of depth (16x8), bit-exact with TFLite's
 * reference SoftmaxInt16; output scale 1/32768, zero point 0.
 *
 * Per row: d = x - max(row) is rescaled (td_requant by input_multiplier/input_shift) so
 * that [-65535, 0] spans [-10, 0], recentred by +32767, saturated to int16 and looked up
 * in exp_lut (Q0.15). The int32 sum of the exps, shifted to its leading one and recentred,
 * is looked up in recip_lut (1 / (1 + x)); each output is exp * reciprocal shifted back
 * with rounding, clamped to [0, 32767]. The exps are kept in the output row meanwhile
 * (as TFLite does), so output and input must not overlap.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * outer > 0, 0 < depth <= 65535 (the int32 sum of exps cannot overflow), outer * depth
 * within int32; input_multiplier 0 or in [2^30, 2^31), input_shift in [-31, 31];
 * 513-entry tables; buffers of exactly 2*outer*depth bytes in and out.
 */
#ifndef TD_SOFTMAX_S16_H
#define TD_SOFTMAX_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t outer;               /* rows */
    int32_t depth;               /* elements per row */
    int32_t input_multiplier;
    int32_t input_shift;         /* > 0 = left */
    const int16_t *exp_lut;      /* [513] exp(x), x in [-10, 0] */
    const int16_t *recip_lut;    /* [513] 1 / (1 + x), x in [0, 1] */
} td_softmax_s16_args_t;

void td_softmax_s16(const td_softmax_s16_args_t *args, const int16_t *x, int16_t *out);

#endif /* TD_SOFTMAX_S16_H */
