/* td_depthwise_conv2d_rq_opt.h - the optimized depthwise convolution of integer-deployable
 * graphs: the reference td_depthwise_conv2d_s8_rq / _s8_s16_rq / _s8_s32 bytes from the
 * args struct of td_depthwise_conv2d_s8_opt.h (quant/opt/depthwise_conv2d.py, make_rq):
 * channels of mode 2 (td_opt_rq.h TD_RQ_S32 with thresholds, int8 output, the zero point
 * folded into B; a channel whose requantization falls has its weights, bias and multiplier
 * negated at compile time) run the inline loop, mode 4 (TD_RQ_DIV) its own, mode 3
 * channels (any other form, or int16/int32 outputs of esize bytes) the general path. Same
 * staging, write order and scratch as the TFLite kernel.
 */
#ifndef TD_DEPTHWISE_CONV2D_RQ_OPT_H
#define TD_DEPTHWISE_CONV2D_RQ_OPT_H

#include "../../td_names.h"

#include "td_depthwise_conv2d_s8_opt.h"

typedef td_depthwise_conv2d_s8_opt_args_t td_depthwise_conv2d_rq_opt_args_t;

void td_depthwise_conv2d_rq_opt(const td_depthwise_conv2d_rq_opt_args_t *args,
                                const void *input, void *output, void *scratch,
                                const td_team_t *team);

#endif /* TD_DEPTHWISE_CONV2D_RQ_OPT_H */
