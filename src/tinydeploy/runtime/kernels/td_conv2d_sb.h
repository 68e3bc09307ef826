/* td_conv2d_sb.h - 2-D convolution on packed sub-byte / mixed-precision tensors.
 *
 * Input, weights and output are each 2, 4 or 8 bits (td_pack.h layout); input and output
 * signed or unsigned, weights signed and symmetric. Arithmetic as td_conv2d_s8 (TFLite's
 * ConvPerChannel): acc = sum w * (x + input_offset) + bias in int32, per-channel
 * multiplier + shift, + output_offset, clamped to [act_min, act_max] (which lie in the
 * output dtype's range). Layouts: input NHWC, weights OHWI [out_c, k_h, k_w, in_c/groups],
 * output NHWC; 1x1 kernels are the pointwise case. Padding taps are skipped.
 *
 * Accumulator: int32; quant/golden/_accumulate.py check_bound rejects layers whose
 * worst-case |acc| over every input could exceed INT32_MAX.
 * Pointers are void: a packed tensor is bytes, an 8-bit one int8_t or uint8_t.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * in_bits, w_bits, out_bits in {2, 4, 8}, signed flags 0/1; the geometry of td_conv2d_s8;
 * offsets within the 8-bit family of the storage; act_min <= act_max within the output
 * dtype's range; out_mult[c] 0 or in [2^30, 2^31) and out_shift[c] in [-31, 31]
 * (td_requant); worst-case |accumulator| <= INT32_MAX; buffers of exactly ceil(elements *
 * bits / 8) bytes for input, weights and output (bias: 4*channels or NULL).
 */
#ifndef TD_CONV2D_SB_H
#define TD_CONV2D_SB_H

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
    int32_t output_offset;     /* output zero point */
    int32_t act_min;
    int32_t act_max;
    int32_t in_bits;           /* 2, 4 or 8 */
    int32_t in_signed;         /* 1: two's complement, 0: unsigned */
    int32_t w_bits;            /* weights are signed */
    int32_t out_bits;
    int32_t out_signed;        /* not needed to store the low out_bits bits */
    const int32_t *out_mult;   /* [out_c] Q31 multipliers */
    const int32_t *out_shift;  /* [out_c] shifts, > 0 = left */
} td_conv2d_sb_args_t;

void td_conv2d_sb(const td_conv2d_sb_args_t *args, const void *input, const void *weight,
                  const int32_t *bias, void *output);

#endif /* TD_CONV2D_SB_H */
