/* td_depthwise_conv2d_s8_s16_rq.h - the kernel of td_depthwise_conv2d_s8_rq.h (same args
 * struct and accumulator) with int16_t output: out = td_requant_value(acc, rq_*[channel])
 * + rq_out_offset, as in td_requant_s32_s16.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_depthwise_conv2d_s8_s32.h) and of the requant
 * (td_requant_s32_*.h) on the rq_* members, with rq_channels = out_c (the requant arrays
 * are indexed by it); the output buffer holds exactly one output element per accumulator.
 */
#ifndef TD_DEPTHWISE_CONV2D_S8_S16_RQ_H
#define TD_DEPTHWISE_CONV2D_S8_S16_RQ_H

#include "../td_names.h"

#include "td_depthwise_conv2d_s8_rq.h"

typedef td_depthwise_conv2d_s8_rq_args_t td_depthwise_conv2d_s8_s16_rq_args_t;

void td_depthwise_conv2d_s8_s16_rq(const td_depthwise_conv2d_s8_s16_rq_args_t *args,
                                   const int8_t *input, const int8_t *weight, const int32_t *bias,
                                   int16_t *output);

#endif /* TD_DEPTHWISE_CONV2D_S8_S16_RQ_H */
