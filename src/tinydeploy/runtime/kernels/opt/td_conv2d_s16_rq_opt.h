/* td_conv2d_s16_rq_opt.h - the optimized convolution of integer-deployable graphs with an
 * int16 input (NEMO, QuantLab, Deeploy): the same bytes as the reference
 * td_conv2d_s16_s8_rq / td_conv2d_s16_rq / td_conv2d_s16_s32 (kernels/td_conv2d_s16_rq.h,
 * td_conv2d_s16_s32.h) from an args struct filled by Python (quant/opt/conv2d_s16.py).
 *
 * Blocks of 8 (n8 of them) then 4 (n4 <= 1) output channels x 2 consecutive output
 * pixels, or with n8 = 0 (at most 4 channels) one block of 4 channels x 4 pixels (16 or
 * 8 int32 sums in registers; per tap 2 input loads, 8 or 4 weight loads and
 * 16 or 8 multiply-adds: 2.78 / 2.88 instructions per MAC in the inner loops, rv32imc gcc
 * -O3). Weights: int8, packed [block][k_h][k_w][in_c][R] (the last block padded with zero
 * weights). A pixel whose window lies inside the input (and dilation_w == 1) is read in
 * place: k_h rows of k_w * in_c consecutive values; any other pixel is first staged into
 * the scratch (per core: a window per pixel of a group, 2 or 4 * k int16), its padding
 * taps holding pad_value = -input_offset (so that x + input_offset = 0 there). The input
 * offset and the bias are folded into each channel's start value (word 0 of its
 * TD_OPT_CH constants: bias + input_offset * sum(w)), so the sums are of the stored
 * values; they are done in uint32_t, equal to the reference accumulator modulo 2^32,
 * which fits int32 (checked by the code generator): exact, with no signed overflow.
 *
 * Requantization: words 2..10 of each channel are the descriptor of td_opt_rq.h;
 * word 1 is 1 for a TD_RQ_S32 channel, 2 for a TD_RQ_S64 one with S >= 32, both with
 * M >= 0 (the epilogue inlines them: a compare or two for a clamped output, else a
 * multiply-add and a shift, no clamp), else 0 (td_opt_rq_any). Outputs of esize bytes
 * (1, 2, or 4 for raw int32 sums).
 *
 * Order: groups of 2 (4 when n8 = 0) output pixels in order (over the batches); a
 * group's blocks in channel order, each writing its outputs after reading the group's
 * windows. Its in-place margin (quant/opt/conv2d_s16.py) counts every write of a group
 * before the group's reads. Several cores: core c takes its share of the groups, with its
 * own scratch.
 *
 * Preconditions (quant/preconditions/opt_s16.py): the geometry of td_conv2d_s16_rq.h with
 * groups = 1; k = k_h * k_w * in_c; 8 * n8 + 4 * n4 channels covering out_c with the
 * last block holding at least one; pad_value = -input_offset within int16; scratch_bytes
 * >= 4 * k (8 * k when n8 = 0); chan: that many channels' TD_OPT_CH words with valid
 * descriptors; wts: k values per channel; esize 1, 2 or 4; the sums of stored values within int32.
 */
#ifndef TD_CONV2D_S16_RQ_OPT_H
#define TD_CONV2D_S16_RQ_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

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
    int32_t groups;            /* 1 */
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t input_offset;      /* -input zero point */
    int32_t pad_value;         /* the stored value of a padding tap: -input_offset */
    int32_t k;                 /* taps per output: k_h * k_w * in_c */
    int32_t n8;                /* blocks of 8 output channels, first */
    int32_t n4;                /* then blocks of 4 (0 or 1) */
    int32_t esize;             /* output element bytes: 1, 2 or 4 */
    int32_t scratch_bytes;     /* per core: two staged windows */
    int32_t output_offset;     /* output zero point */
    int32_t rq_lo;             /* clamp bounds before the zero point */
    int32_t rq_hi;
    int32_t rq_fp32;           /* TD_RQ_GEN / F32G channels: as td_requant_value */
    int32_t rq_rounding;
    int64_t rq_mul2;
    const int32_t *chan;       /* TD_OPT_CH words per channel (8 * n8 + 4 * n4) */
    const int8_t *wts;         /* per block [k][R] */
    const int64_t *gmul;       /* TD_RQ_GEN channels' reference tables */
    const int64_t *gadd;
    const int64_t *gdiv;
} td_conv2d_s16_rq_opt_args_t;

void td_conv2d_s16_rq_opt(const td_conv2d_s16_rq_opt_args_t *args, const int16_t *input,
                          void *output, void *scratch, const td_team_t *team);

#endif /* TD_CONV2D_S16_RQ_OPT_H */
