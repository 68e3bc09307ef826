/* td_conv2d_rq_direct_opt.h - the direct (unstaged) convolution of integer-deployable
 * graphs with an int8 input and few output channels: the same bytes as the reference
 * td_conv2d_s8_rq / td_conv2d_s8_s16_rq / td_conv2d_s32 (kernels/td_conv2d_rq.h) from an
 * args struct filled by Python (quant/opt/conv2d_rq_direct.py; chosen by
 * quant/opt/conv2d_rq.py over td_conv2d_rq_opt when its modeled cost is lower).
 *
 * The int8 twin of td_conv2d_s16_rq_opt (same args struct, same body:
 * td_opt_cv_direct_impl.h): blocks of 8 then 4 output channels x 2 output pixels (x 4 for a layer of at
 * most 4 channels) with the
 * sums in registers, int8 weights packed [block][k_h][k_w][in_c][R]; a window inside the
 * input is read in place (k_h rows of k_w * in_c consecutive bytes: no im2col staging,
 * which costs more than the multiply-adds when it is shared by only a few channels), a
 * border window staged into the scratch (per core 2 or 4 * k bytes: a window per pixel of a group) with pad_value =
 * -input_offset at its padding taps. Bias and input offset folded into each channel's
 * start value; the sums (uint32_t, of the stored values) equal the reference accumulator
 * modulo 2^32, which fits int32; requantization by the descriptors of td_opt_rq.h (word 1
 * selecting the inline TD_RQ_S32 / S64 forms, as td_conv2d_s16_rq_opt.h says).
 *
 * Preconditions (quant/preconditions/opt_s16.py): those of td_conv2d_s16_rq_opt with an
 * int8 input: groups = 1; k = k_h * k_w * in_c; 8 * n8 + 4 * n4 channels covering out_c;
 * pad_value = -input_offset within int8; scratch_bytes >= 2 * k (4 * k when n8 = 0); chan / wts as there;
 * esize 1, 2 or 4; the sums of stored values within int32.
 */
#ifndef TD_CONV2D_RQ_DIRECT_OPT_H
#define TD_CONV2D_RQ_DIRECT_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_conv2d_s16_rq_opt.h"

typedef td_conv2d_s16_rq_opt_args_t td_conv2d_rq_direct_opt_args_t;

void td_conv2d_rq_direct_opt(const td_conv2d_rq_direct_opt_args_t *args, const int8_t *input,
                             void *output, void *scratch, const td_team_t *team);

#endif /* TD_CONV2D_RQ_DIRECT_OPT_H */
