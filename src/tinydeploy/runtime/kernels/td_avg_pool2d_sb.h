/* td_avg_pool2d_sb.h - NHWC avg_pool2d on packed sub-byte tensors.
 *
 * As td_avg_pool2d_s8: each output is the mean of the window elements inside the input
 * (padding neither read nor counted), rounded half away from zero, clamped to
 * [act_min, act_max].
 * Input and output are each 2, 4 or 8 bits (td_pack.h layout), signed or unsigned, with
 * one quantization; act_min/act_max lie in the output dtype's range (narrower outputs
 * saturate).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * in_bits, out_bits in {2, 4, 8}, signed flags 0/1; the geometry of td_avg_pool2d_s8.h
 * (every window non-empty); act_min <= act_max within the output dtype's range; buffers of
 * exactly ceil(elements * bits / 8) bytes.
 */
#ifndef TD_AVG_POOL2D_SB_H
#define TD_AVG_POOL2D_SB_H

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
    int32_t in_bits;           /* 2, 4 or 8 */
    int32_t in_signed;         /* 1: two's complement, 0: unsigned */
    int32_t out_bits;
    int32_t out_signed;        /* not needed to store the low out_bits bits */
} td_avg_pool2d_sb_args_t;

void td_avg_pool2d_sb(const td_avg_pool2d_sb_args_t *args, const void *in, void *out);

#endif /* TD_AVG_POOL2D_SB_H */
