/* td_max_pool2d_s16.h - int16 NHWC max_pool2d (16x8), bit-exact with TFLite Micro's
 * reference integer pooling on int16 data.
 * Each output is the maximum of the window elements that lie inside the input (padding is
 * never read),
 * clamped to [act_min, act_max]. Input and output share one quantization.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * dims, kernel and strides > 0, pads >= 0, window reaches fit int32; every window holds at
 * least one input element; kernel_h * kernel_w <= 65535; int16 act_min <= act_max; buffers
 * of exactly 2*batches*in_h*in_w*channels (input) and 2*batches*out_h*out_w*channels
 * (output) bytes.
 */
#ifndef TD_MAX_POOL2D_S16_H
#define TD_MAX_POOL2D_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_max_pool2d_s8.h"

/* The args of td_max_pool2d_s8.h. */
typedef td_max_pool2d_s8_args_t td_max_pool2d_s16_args_t;

void td_max_pool2d_s16(const td_max_pool2d_s16_args_t *args, const int16_t *in, int16_t *out);

#endif /* TD_MAX_POOL2D_S16_H */
