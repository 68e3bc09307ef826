/* td_depthwise_conv2d_s8_s32.h - raw depthwise convolution: int8 input and weights, int32
 * accumulator output (no rescaling; the requantization is a separate td_requant_* op).
 *
 * out[.., oc] = sum w * (x + input_offset) + bias[oc]. Layouts as td_depthwise_conv2d_s8:
 * input NHWC, weights [k_h, k_w, out_c] with out_c = in_c * depth_multiplier (output
 * channel oc reads input channel oc / depth_multiplier), bias int32 [out_c] or NULL.
 * Padding taps are skipped. The code generator rejects layers whose worst-case |acc|
 * exceeds INT32_MAX (quant/golden/_accumulate.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * the geometry of td_depthwise_conv2d_s8 (out_c = in_c * depth_multiplier, counts within
 * int32); input_offset = -zero point of int8; worst-case |accumulator| <= INT32_MAX;
 * buffers of exactly batches*in_h*in_w*in_c (input), k_h*k_w*out_c (weights), 4*out_c
 * (bias, or NULL) and 4*batches*out_h*out_w*out_c (output) bytes.
 */
#ifndef TD_DEPTHWISE_CONV2D_S8_S32_H
#define TD_DEPTHWISE_CONV2D_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c;
    int32_t k_h;
    int32_t k_w;
    int32_t depth_multiplier;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t input_offset;      /* -input zero point */
} td_depthwise_conv2d_s8_s32_args_t;

void td_depthwise_conv2d_s8_s32(const td_depthwise_conv2d_s8_s32_args_t *args,
                                const int8_t *input, const int8_t *weight,
                                const int32_t *bias, int32_t *output);

#endif /* TD_DEPTHWISE_CONV2D_S8_S32_H */
