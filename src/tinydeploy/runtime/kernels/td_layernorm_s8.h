/* td_layernorm_s8.h - ONNX LayerNormalization of int8 codes over the last axis, in
 * integers (QDQ models). Per row of `length` codes, d = x + x_offset:
 *
 *   S1 = sum d;   V = length * sum d^2 - S1^2                       (exact, 64 bits)
 *   u  = max(isqrt(V << var_shift + eps), 1)
 *   n  = floor(((length * d - S1) << norm_shift) / u)
 *   y  = clamp(floor((n * gain[j] + bias[j]) / 2^out_shift), -128, 127)
 *
 * (quant/golden/layernorm.py: the normalized value in fixed point, gamma/beta and the
 * output scale folded into gain/bias, rounding half up folded into bias).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): rows, length > 0, length * 255 < 2^24; 0 <= the
 * shifts <= 62; V << var_shift + eps < 2^62 and |length * d - S1| << norm_shift < 2^62 for
 * every input; |n * gain + bias| < 2^63; gain and bias of exactly length entries; buffers
 * of exactly rows * length bytes.
 */
#ifndef TD_LAYERNORM_S8_H
#define TD_LAYERNORM_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t length;            /* row length (last axis) */
    int32_t x_offset;          /* -zero point of x */
    int32_t var_shift;
    int32_t norm_shift;
    int32_t out_shift;
    int64_t eps;
    const int64_t *gain;       /* [length] */
    const int64_t *bias;       /* [length] */
} td_layernorm_s8_args_t;

void td_layernorm_s8(const td_layernorm_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_LAYERNORM_S8_H */
