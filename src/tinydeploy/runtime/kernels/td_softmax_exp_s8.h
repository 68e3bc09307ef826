/* td_softmax_exp_s8.h - softmax over the last axis of int8 codes (QDQ models: onnxruntime's
 * float softmax between DequantizeLinear and QuantizeLinear), in integers. Per row:
 *
 *   S   = sum_j table[max - x_j]                      (64 bits)
 *   y_j = clamp(floor((table[max - x_j] * out_mul + S * 2^(out_shift - 1))
 *                     / (S * 2^out_shift)) + out_offset, -128, 127)
 *
 * with table[d] = round(exp(-s_x * d) * 2^30) (quant/golden/softmax_exp.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): rows, length > 0, length <= 4096; 1 <= out_shift
 * <= 30; 0 <= table[d] <= 2^30, table[0] > 0 (the row sum is never 0); table * out_mul
 * and S * 2^out_shift below 2^62; buffers of exactly rows * length bytes.
 */
#ifndef TD_SOFTMAX_EXP_S8_H
#define TD_SOFTMAX_EXP_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t length;            /* row length (last axis) */
    int32_t out_shift;
    int32_t out_offset;        /* zero point of the output */
    int64_t out_mul;
    const int32_t *table;      /* [256] exp(-s_x * d) * 2^30 */
} td_softmax_exp_s8_args_t;

void td_softmax_exp_s8(const td_softmax_exp_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_SOFTMAX_EXP_S8_H */
