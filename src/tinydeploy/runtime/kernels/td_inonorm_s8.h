/* td_inonorm_s8.h - Deeploy's integer "no norm" (iNoNorm, an affine map), elementwise,
 * int8_t in and out, on the source values x = stored + x_offset:
 *
 *   y = clamp(floor((x * weight[i % w_period] + bias[i % b_period]) * mul / 2^log2d),
 *             clip_lo, clip_hi),      out = y + out_offset
 *
 * in 64 bits. Element i is written after it is read: the output may overwrite the input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): size, w_period, b_period > 0, both periods divide
 * size; weight and bias hold exactly w_period and b_period int32 values; 0 <= log2d <= 62;
 * (256 * max|weight| + max|bias|) * |mul| < 2^62; clip + out_offset within int8; input and
 * output buffers of exactly size bytes.
 */
#ifndef TD_INONORM_S8_H
#define TD_INONORM_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t w_period;          /* weight entries */
    int32_t b_period;          /* bias entries */
    int32_t x_offset;          /* -zero point of the input */
    int32_t mul;
    int32_t log2d;
    int32_t clip_lo;           /* clamp in the source domain */
    int32_t clip_hi;
    int32_t out_offset;        /* zero point of the output */
} td_inonorm_s8_args_t;

void td_inonorm_s8(const td_inonorm_s8_args_t *args, const int8_t *in, const int32_t *weight,
                   const int32_t *bias, int8_t *out);

#endif /* TD_INONORM_S8_H */
