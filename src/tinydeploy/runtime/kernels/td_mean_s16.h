/* td_mean_s16.h - int16 mean over some axes (16x8), bit-exact with TFLite Micro's MEAN
 * (and SUM) on int16 data:
 *   y = clamp(requant(sum - input_zp * count, multiplier, shift) + output_zp, int16 range)
 * where sum is the int32 sum of the count input values of one output; for MEAN
 * multiplier/shift include 1/count (see quant/golden/mean.py). Dims as td_mean_s8.h.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * keep_dims, red_dims >= 1 and strides >= 0 (6 each); count = prod(red_dims) with
 * count * 2^15 <= INT32_MAX (the int32 sum cannot overflow); 0 <= multiplier < 2^31,
 * shift in [-31, 31]; |requant(sum)| + |output_zp| <= INT32_MAX; zero points 0; input
 * buffer of exactly 2 * (1 + sum((dim - 1) * stride)) over kept and reduced dims bytes,
 * output 2*prod(keep_dims) bytes.
 */
#ifndef TD_MEAN_S16_H
#define TD_MEAN_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_mean_s8.h"

/* The args of td_mean_s8.h (keep/red dims and strides [TD_MEAN_MAX_DIMS] each). */
typedef td_mean_s8_args_t td_mean_s16_args_t;

void td_mean_s16(const td_mean_s16_args_t *args, const int16_t *in, int16_t *out);

#endif /* TD_MEAN_S16_H */
