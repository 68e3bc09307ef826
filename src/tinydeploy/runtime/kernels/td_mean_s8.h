/* td_mean_s8.h - int8 mean over some axes, bit-exact with TFLite Micro's MEAN:
 *   y = clamp(requant(sum - input_zp * count, multiplier, shift) + output_zp, -128, 127)
 * where sum is the int32 sum of the count input codes of one output, and multiplier/shift
 * already include 1/count (see quant/golden/mean.py).
 * The kept dims (output order) and the reduced dims are given as (size, input stride)
 * pairs, each list left-extended to TD_MEAN_MAX_DIMS with size 1 / stride 0.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * keep_dims, red_dims >= 1 and strides >= 0 (TD_MEAN_MAX_DIMS each); count =
 * prod(red_dims); input_zp * count and the offset sum within int32; 0 <= multiplier < 2^31,
 * shift in [-31, 31]; |requant(sum)| + |output_zp| <= INT32_MAX; zero points of int8; input
 * buffer of exactly 1 + sum((dim - 1) * stride) over kept and reduced dims bytes, output
 * prod(keep_dims) bytes.
 */
#ifndef TD_MEAN_S8_H
#define TD_MEAN_S8_H

#include "../td_names.h"

#include <stdint.h>

#define TD_MEAN_MAX_DIMS 6

typedef struct {
    const int32_t *keep_dims;     /* [TD_MEAN_MAX_DIMS] */
    const int32_t *keep_strides;  /* [TD_MEAN_MAX_DIMS] */
    const int32_t *red_dims;      /* [TD_MEAN_MAX_DIMS] */
    const int32_t *red_strides;   /* [TD_MEAN_MAX_DIMS] */
    int32_t count;
    int32_t input_zp;
    int32_t output_zp;
    int32_t multiplier;
    int32_t shift;
} td_mean_s8_args_t;

void td_mean_s8(const td_mean_s8_args_t *args, const int8_t *in, int8_t *out);

#endif
