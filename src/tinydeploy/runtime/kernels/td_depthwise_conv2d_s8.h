/* td_depthwise_conv2d_s8.h - int8 depthwise convolution, bit-exact with TFLite's
 * reference DepthwiseConvPerChannel.
 *
 * Layouts: input NHWC [batches, in_h, in_w, in_c], weights [k_h, k_w, out_c] with
 * out_c = in_c * depth_multiplier (output channel c * depth_multiplier + m reads input
 * channel c), bias int32 [out_c] (or NULL), output NHWC [batches, out_h, out_w, out_c].
 * Taps that fall in the padding are skipped (same as padding with the input zero point).
 *
 * Accumulator: int32, as in TFLite. The code generator (quant/golden/_conv_common.py)
 * rejects layers whose worst-case |sum w * (x + input_offset)| + |bias| exceeds
 * INT32_MAX, so the accumulation below cannot overflow for any input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * all dims, strides, dilations > 0, out_c = in_c * depth_multiplier, pads >= 0; element
 * counts and window reaches fit int32; input_offset = -zero point and output_offset = zero
 * point of int8; int8 act_min <= act_max; out_mult[c] 0 or in [2^30, 2^31) and out_shift[c]
 * in [-31, 31] (td_requant); worst-case |accumulator| <= INT32_MAX; buffers of exactly
 * batches*in_h*in_w*in_c (input), k_h*k_w*out_c (weights), 4*out_c (bias, or NULL) and
 * batches*out_h*out_w*out_c (output) bytes. The optimized kernel needs no more (run-time
 * fallbacks).
 */
#ifndef TD_DEPTHWISE_CONV2D_S8_H
#define TD_DEPTHWISE_CONV2D_S8_H

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
    int32_t output_offset;     /* output zero point */
    int32_t act_min;
    int32_t act_max;
    const int32_t *out_mult;   /* [out_c] Q31 multipliers */
    const int32_t *out_shift;  /* [out_c] shifts, > 0 = left */
} td_depthwise_conv2d_s8_args_t;

void td_depthwise_conv2d_s8(const td_depthwise_conv2d_s8_args_t *args, const int8_t *input,
                            const int8_t *weight, const int32_t *bias, int8_t *output);

#endif /* TD_DEPTHWISE_CONV2D_S8_H */
