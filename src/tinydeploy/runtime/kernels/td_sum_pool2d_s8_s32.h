/* td_sum_pool2d_s8_s32.h - int32 window sums of an int8 NHWC tensor: the integer part of
 * an integer-deployable graph's average pool (the division is a following td_requant_*).
 * out = sum (x + input_offset) over the window elements inside the input (padding is never
 * read). act_min/act_max are unused (kept so the struct matches the pooling geometry).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * the geometry of td_avg_pool2d_s8 (every window non-empty); input_offset = -zero point of
 * int8; kernel_h*kernel_w*max|x + input_offset| <= INT32_MAX; buffers of exactly
 * batches*in_h*in_w*channels (input) and 4*batches*out_h*out_w*channels (output) bytes.
 */
#ifndef TD_SUM_POOL2D_S8_S32_H
#define TD_SUM_POOL2D_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t channels;
    int32_t out_h;
    int32_t out_w;
    int32_t kernel_h;
    int32_t kernel_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t act_min;
    int32_t act_max;
    int32_t input_offset;      /* -input zero point */
} td_sum_pool2d_s8_s32_args_t;

void td_sum_pool2d_s8_s32(const td_sum_pool2d_s8_s32_args_t *args, const int8_t *in,
                          int32_t *out);

#endif /* TD_SUM_POOL2D_S8_S32_H */
