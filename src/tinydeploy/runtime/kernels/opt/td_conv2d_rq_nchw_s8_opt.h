/* td_conv2d_rq_nchw_s8_opt.h - the pointwise convolution of integer-deployable graphs
 * that reads an NCHW int8 input (passes/nchw_edges.py: the layer after the graph's input
 * transpose reads the caller's planes instead): the same bytes as the reference
 * td_conv2d_s8_rq / td_conv2d_s8_s16_rq / td_conv2d_s32 (kernels/td_conv2d_rq.h) on the
 * transposed input, from an args struct filled by Python (quant/opt/conv2d_rq_direct.py,
 * make_nchw). The output is NHWC.
 *
 * Blocks of 4 output channels (n4 of them, n8 = 0) x 4 output pixels: pixels p..p+3
 * take tap k from x[k * H * W + p..p+3] (one pointer per group, H * W values further per
 * tap; per tap 4 input loads, 4 weight loads and 16 multiply-adds, the sums in
 * registers); int8 weights packed [block][k][4] (the last block padded with zero
 * weights); a last group of fewer pixels is staged into the scratch (per core 4 * k
 * values). Bias and input offset folded into each
 * channel's start value (word 0 of its TD_OPT_CH constants); the sums (uint32_t, of the
 * stored values) equal the reference accumulator modulo 2^32, which fits int32;
 * requantization by the descriptors of td_opt_rq.h as td_conv2d_s16_rq_opt.h says.
 * Groups of pixels in order; several cores: core c takes its share of the groups, with its
 * own scratch.
 *
 * Preconditions (quant/preconditions/opt_s16.py): those of td_conv2d_rq_direct_opt with
 * k_h = k_w = 1, stride 1, no padding, one image, n8 = 0 and n4 = ceil(out_c / 4).
 */
#ifndef TD_CONV2D_RQ_NCHW_S8_OPT_H
#define TD_CONV2D_RQ_NCHW_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_conv2d_s16_rq_opt.h"

typedef td_conv2d_s16_rq_opt_args_t td_conv2d_rq_nchw_s8_opt_args_t;

void td_conv2d_rq_nchw_s8_opt(const td_conv2d_rq_nchw_s8_opt_args_t *args,
                              const int8_t *input, void *output, void *scratch,
                              const td_team_t *team);

#endif /* TD_CONV2D_RQ_NCHW_S8_OPT_H */
