/* td_fully_connected_s8_s32.h - raw fully connected layer: int8 input and weights, int32
 * accumulator output (the requantization, if any, is a separate td_requant_* op).
 *
 * out[b, o] = sum_i w[o, i] * (x[b, i] + input_offset) + bias[o]; input [batches,
 * in_features], weights [out_features, in_features], bias int32 [out_features] or NULL.
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * batches, in_features, out_features > 0, counts within int32; input_offset = -zero point
 * of the input type; worst-case |accumulator| <= INT32_MAX; buffers of exactly
 * batches*in_features input elements, out_features*in_features weight bytes, 4*out_features
 * (bias, or NULL) and 4*batches*out_features (output) bytes.
 */
#ifndef TD_FULLY_CONNECTED_S8_S32_H
#define TD_FULLY_CONNECTED_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t input_offset;      /* -input zero point */
} td_fully_connected_s8_s32_args_t;

void td_fully_connected_s8_s32(const td_fully_connected_s8_s32_args_t *args,
                               const int8_t *input, const int8_t *weight,
                               const int32_t *bias, int32_t *output);

#endif /* TD_FULLY_CONNECTED_S8_S32_H */
