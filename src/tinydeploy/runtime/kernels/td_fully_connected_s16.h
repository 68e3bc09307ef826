/* td_fully_connected_s16.h - 16x8 fully connected layer (int16 activations, int8
 * weights, int64 bias), bit-exact with TFLite's reference FullyConnected[PerChannel] for
 * int16 data.
 *
 * input [batches, in_features], weights [out_features, in_features], bias int64
 * [out_features] (or NULL), output [batches, out_features]:
 * y = clamp(td_requant64(sum w * x [+ bias], out_mult[o], out_shift[o]), act_min, act_max),
 * the sum in int64, no offsets (symmetric int16 and int8).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * batches, in_features, out_features > 0 and their products fit int32; int16 act_min <=
 * act_max; out_mult[o] 0 or in [2^30, 2^31), out_shift[o] in [-31, 7]; worst-case
 * |accumulator| < 2^47; buffers of exactly 2*batches*in_features (input),
 * out_features*in_features (weights), 8*out_features (bias, or NULL) and
 * 2*batches*out_features (output) bytes.
 */
#ifndef TD_FULLY_CONNECTED_S16_H
#define TD_FULLY_CONNECTED_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t act_min;
    int32_t act_max;
    const int32_t *out_mult;   /* [out_features] Q31 multipliers */
    const int32_t *out_shift;  /* [out_features] shifts in [-31, 7], > 0 = left */
} td_fully_connected_s16_args_t;

void td_fully_connected_s16(const td_fully_connected_s16_args_t *args, const int16_t *input,
                            const int8_t *weight, const int64_t *bias, int16_t *output);

#endif /* TD_FULLY_CONNECTED_S16_H */
