/* td_depthwise_conv2d_s16.h - 16x8 depthwise convolution (int16 activations, int8
 * weights, int64 bias), bit-exact with TFLite's reference DepthwiseConvPerChannel for
 * int16 data.
 *
 * Layouts as td_depthwise_conv2d_s8.h: weights [k_h, k_w, out_c], output channel oc reads
 * input channel oc / depth_multiplier. acc = sum w * x [+ bias] in int64, no offsets;
 * y = clamp(td_requant64(acc, out_mult[oc], out_shift[oc]), act_min, act_max).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * all dims, strides, dilations and depth_multiplier > 0, pads >= 0; out_c = in_c *
 * depth_multiplier; element counts and window reaches fit int32; int16 act_min <= act_max;
 * out_mult[c] 0 or in [2^30, 2^31), out_shift[c] in [-31, 7]; worst-case |accumulator| <
 * 2^47; buffers of exactly 2*batches*in_h*in_w*in_c (input), k_h*k_w*out_c (weights),
 * 8*out_c (bias, or NULL) and 2*batches*out_h*out_w*out_c (output) bytes.
 */
#ifndef TD_DEPTHWISE_CONV2D_S16_H
#define TD_DEPTHWISE_CONV2D_S16_H

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
    int32_t act_min;
    int32_t act_max;
    const int32_t *out_mult;   /* [out_c] Q31 multipliers */
    const int32_t *out_shift;  /* [out_c] shifts in [-31, 7], > 0 = left */
} td_depthwise_conv2d_s16_args_t;

void td_depthwise_conv2d_s16(const td_depthwise_conv2d_s16_args_t *args,
                             const int16_t *input, const int8_t *weight,
                             const int64_t *bias, int16_t *output);

#endif /* TD_DEPTHWISE_CONV2D_S16_H */
