/* td_fully_connected_s8.h - int8 fully connected layer, bit-exact with TFLite's reference
 * FullyConnected (per-tensor weights, with weight_offset) and FullyConnectedPerChannel
 * (weight_offset 0; the multiplier arrays then differ per output).
 *
 * Layouts: input [batches, in_features], weights [out_features, in_features], bias int32
 * [out_features] (or NULL), output [batches, out_features].
 *
 * Accumulator: int32, as in TFLite. The code generator (quant/golden/_conv_common.py)
 * rejects layers whose worst-case |sum (w + weight_offset) * (x + input_offset)| + |bias|
 * exceeds INT32_MAX, so the accumulation below cannot overflow for any input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * batches, in_features, out_features > 0 and their products fit int32; input_offset and
 * weight_offset = -zero points and output_offset = zero point of int8; int8 act_min <=
 * act_max; out_mult[o] 0 or in [2^30, 2^31) and out_shift[o] in [-31, 31] (td_requant);
 * worst-case |accumulator| <= INT32_MAX; buffers of exactly batches*in_features (input),
 * out_features*in_features (weights), 4*out_features (bias, or NULL) and
 * batches*out_features (output) bytes. The optimized kernel needs no more (run-time
 * fallbacks).
 */
#ifndef TD_FULLY_CONNECTED_S8_H
#define TD_FULLY_CONNECTED_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t input_offset;      /* -input zero point */
    int32_t weight_offset;     /* -weight zero point (per-tensor weights), else 0 */
    int32_t output_offset;     /* output zero point */
    int32_t act_min;
    int32_t act_max;
    const int32_t *out_mult;   /* [out_features] Q31 multipliers */
    const int32_t *out_shift;  /* [out_features] shifts, > 0 = left */
} td_fully_connected_s8_args_t;

void td_fully_connected_s8(const td_fully_connected_s8_args_t *args, const int8_t *input,
                           const int8_t *weight, const int32_t *bias, int8_t *output);

#endif /* TD_FULLY_CONNECTED_S8_H */
