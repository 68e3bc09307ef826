/* td_l2_normalization_s8.h - int8 L2_NORMALIZATION over rows of depth, bit-exact with
 * TFLite's reference integer L2Normalization: per row v = x - input_zero_point, 1/sqrt of
 * the int32 sum of v^2 as TFLite's GetInvSqrtQuantizedMultiplierExp (a Q31 multiplier and
 * a shift; five Newton-Raphson steps in Q3.28), y = requant(v, inv, shift + 7) clamped to
 * int8 (the output read with scale 1/128, zero point 0).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * outer > 0, 0 < depth <= 33025 (the int32 sum of squares cannot overflow), outer * depth
 * within int32; input_zero_point of int8; buffers of exactly outer*depth bytes in and out.
 */
#ifndef TD_L2_NORMALIZATION_S8_H
#define TD_L2_NORMALIZATION_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t outer;               /* rows */
    int32_t depth;               /* elements per row */
    int32_t input_zero_point;
} td_l2_normalization_s8_args_t;

void td_l2_normalization_s8(const td_l2_normalization_s8_args_t *args, const int8_t *in,
                            int8_t *out);

#endif /* TD_L2_NORMALIZATION_S8_H */
