/* td_conv2d_s16_s32.h - raw 2-D convolution: int16_t input, int8 weights, int32 accumulator output.
 *
 * For integer-deployable graphs (NEMO, QuantLab, Deeploy), whose requantization is a
 * separate op (td_requant_*): out = sum w * (x + input_offset) + bias, no rescaling.
 * Layouts as td_conv2d_s8: input NHWC, weights OHWI [out_c, k_h, k_w, in_c / groups],
 * bias int32 [out_c] (or NULL), output NHWC int32. Padding taps are skipped.
 *
 * The code generator (quant/golden/_accumulate.py) rejects layers whose worst-case
 * |acc| exceeds INT32_MAX, so the int32 sums below cannot overflow.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * the geometry of td_conv2d_s8 (dims, strides, dilations, groups > 0, pads >= 0, counts
 * within int32); input_offset = -zero point of the input type; worst-case |accumulator| <=
 * INT32_MAX; buffers of exactly (input elements * input element size),
 * out_c*k_h*k_w*(in_c/groups) (weights), 4*out_c (bias, or NULL) and
 * 4*batches*out_h*out_w*out_c (output) bytes.
 */
#ifndef TD_CONV2D_S16_S32_H
#define TD_CONV2D_S16_S32_H

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
    int32_t groups;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t input_offset;      /* -input zero point */
} td_conv2d_s16_s32_args_t;

void td_conv2d_s16_s32(const td_conv2d_s16_s32_args_t *args, const int16_t *input,
        const int8_t *weight, const int32_t *bias, int32_t *output);

#endif /* TD_CONV2D_S16_S32_H */
