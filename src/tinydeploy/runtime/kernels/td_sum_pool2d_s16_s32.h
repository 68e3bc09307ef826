/* td_sum_pool2d_s16_s32.h - int32 window sums of an int16 NHWC tensor (a TCN's residual
 * sums before an average pool): out = sum (x + input_offset) over the window elements
 * inside the input (padding is never read), as td_sum_pool2d_s8_s32 for int8. act_min and
 * act_max are unused (the pooling geometry's struct).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, pulp.py; a layer that
 * violates one is refused naming it): the geometry of td_sum_pool2d_s8_s32 (every window
 * non-empty); input_offset = -zero point of int16; kernel_h*kernel_w*max|x + input_offset|
 * <= INT32_MAX; buffers of exactly 2*batches*in_h*in_w*channels (input) and
 * 4*batches*out_h*out_w*channels (output) bytes.
 */
#ifndef TD_SUM_POOL2D_S16_S32_H
#define TD_SUM_POOL2D_S16_S32_H

#include "../td_names.h"

#include <stdint.h>

#include "td_sum_pool2d_s8_s32.h"

typedef td_sum_pool2d_s8_s32_args_t td_sum_pool2d_s16_s32_args_t;

void td_sum_pool2d_s16_s32(const td_sum_pool2d_s16_s32_args_t *args, const int16_t *in,
                           int32_t *out);

#endif /* TD_SUM_POOL2D_S16_S32_H */
