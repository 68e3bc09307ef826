/* td_transpose_conv_s16.h - 16x8 TRANSPOSE_CONV (int16 activations, int8 weights, int64 bias),
 * bit-exact with TFLite's reference integer TransposeConv for int16 data.
 *
 * Input NHWC [batches, in_h, in_w, in_c], weights OHWI [out_c, k_h, k_w, in_c], bias
 * int64_t [out_c] (or NULL), output NHWC [batches, out_h, out_w, out_c]. Input pixel (iy, ix)
 * contributes w[oc, ky, kx, :] . (x + input_offset) to output pixel (iy * stride_h -
 * pad_top + ky, ix * stride_w - pad_left + kx); each output sums its contributions (in
 * int64_t), adds the bias, is requantized per channel, offset and clamped. Written as a
 * gather per output element: no scratch buffer (TFLite's reference scatters into one;
 * the sums are the same integers).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * all dims and strides > 0, pads >= 0, element counts within int32; offsets 0; int16
 * act_min <= act_max; out_mult[c] 0 or in [2^30, 2^31), out_shift[c] in [-31, 7];
 * worst-case |accumulator| < 2^47;
 * buffers of exactly 2*batches*in_h*in_w*in_c (input), out_c*k_h*k_w*in_c (weights),
 * 8*out_c (bias, or NULL) and 2*batches*out_h*out_w*out_c (output) bytes.
 */
#ifndef TD_TRANSPOSE_CONV_S16_H
#define TD_TRANSPOSE_CONV_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_transpose_conv_s8.h"

/* The args of td_transpose_conv_s8.h. */
typedef td_transpose_conv_s8_args_t td_transpose_conv_s16_args_t;

void td_transpose_conv_s16(const td_transpose_conv_s16_args_t *args, const int16_t *input,
                           const int8_t *weight, const int64_t *bias, int16_t *output);

#endif /* TD_TRANSPOSE_CONV_S16_H */
