/* td_max_pool2d_s8.h - int8 NHWC max_pool2d, bit-exact with TFLite Micro's reference kernel.
 * Each output is the maximum of the window elements that lie inside the input (padding is
 * never read), clamped to [act_min, act_max]. Input and output share one quantization.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * dims, kernel and strides > 0, pads >= 0, window reaches fit int32; every window holds at
 * least one input element (the average divides by that count); int8 act_min <= act_max;
 * buffers of exactly batches*in_h*in_w*channels (input) and batches*out_h*out_w*channels
 * (output) bytes.
 */
#ifndef TD_MAX_POOL2D_S8_H
#define TD_MAX_POOL2D_S8_H

#include "../td_names.h"

#include <stdint.h>

#include "td_avg_pool2d_s8.h"

/* The args of td_avg_pool2d_s8.h. */
typedef td_avg_pool2d_s8_args_t td_max_pool2d_s8_args_t;

void td_max_pool2d_s8(const td_max_pool2d_s8_args_t *args, const int8_t *in, int8_t *out);

#endif
