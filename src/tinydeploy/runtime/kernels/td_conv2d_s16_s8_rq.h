/* td_conv2d_s16_s8_rq.h - the kernel of td_conv2d_s16_rq.h (same args
 * struct and accumulator) with int8_t output: out = td_requant_value(acc, rq_*[channel])
 * + rq_out_offset, as in td_requant_s32_s8.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_conv2d_s16_s32.h) and of the requant
 * (td_requant_s32_*.h) on the rq_* members, with rq_channels = out_c (the requant arrays
 * are indexed by it); the output buffer holds exactly one output element per accumulator.
 */
#ifndef TD_CONV2D_S16_S8_RQ_H
#define TD_CONV2D_S16_S8_RQ_H

#include "../td_names.h"

#include "td_conv2d_s16_rq.h"

typedef td_conv2d_s16_rq_args_t td_conv2d_s16_s8_rq_args_t;

void td_conv2d_s16_s8_rq(const td_conv2d_s16_s8_rq_args_t *args, const int16_t *input,
                         const int8_t *weight, const int32_t *bias, int8_t *output);

#endif /* TD_CONV2D_S16_S8_RQ_H */
