/* td_leaky_relu_s16.h - int16 LEAKY_RELU (zero points 0), bit-exact with TFLite's
 * QuantizeLeakyRelu: y = x >= 0 ? requant(x, mult_identity, shift_identity)
 *                              : +-requant(x, mult_alpha, shift_alpha),
 * the sign of the negative side negated when alpha_negative, clamped to int16.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * size > 0; both multipliers 0 or in [2^30, 2^31) with shifts in [-31, 31] and
 * |requant(x)| within int32 for every int16 x (no wrapping left shift); alpha_negative 0
 * or 1; buffers of exactly 2*size bytes in and out.
 */
#ifndef TD_LEAKY_RELU_S16_H
#define TD_LEAKY_RELU_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t mult_identity;
    int32_t shift_identity;      /* > 0 = left */
    int32_t mult_alpha;          /* |multiplier| of the negative side */
    int32_t shift_alpha;
    int32_t alpha_negative;
} td_leaky_relu_s16_args_t;

void td_leaky_relu_s16(const td_leaky_relu_s16_args_t *args, const int16_t *in, int16_t *out);

#endif /* TD_LEAKY_RELU_S16_H */
