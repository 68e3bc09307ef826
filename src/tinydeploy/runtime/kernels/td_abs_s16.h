/* td_abs_s16.h - int16 ABS (zero points 0), bit-exact with TFLite Micro's quantized ABS:
 * y = rescale ? requant(|x|, multiplier, shift) : |x|, clamped to int16.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * size > 0; rescale 0 or 1; multiplier 0 or in [2^30, 2^31), shift in [-31, 31] with
 * 32768 << shift within int32; buffers of exactly 2*size bytes in and out.
 */
#ifndef TD_ABS_S16_H
#define TD_ABS_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t rescale;             /* 0: equal scales, no multiplier */
    int32_t multiplier;
    int32_t shift;               /* > 0 = left */
} td_abs_s16_args_t;

void td_abs_s16(const td_abs_s16_args_t *args, const int16_t *in, int16_t *out);

#endif /* TD_ABS_S16_H */
