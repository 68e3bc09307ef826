/* td_add_s8_s16_rq.h - the kernel of td_add_s8_rq.h (same args
 * struct and accumulator) with int16_t output: out = td_requant_value(acc, rq_*[channel])
 * + rq_out_offset, as in td_requant_s32_s16.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_add_s8_s32.h) and of the requant (td_requant_s32_*.h)
 * on the rq_* members, with rq_channels = a divisor of size (the requant arrays are indexed
 * by it); the output buffer holds exactly one output element per accumulator.
 */
#ifndef TD_ADD_S8_S16_RQ_H
#define TD_ADD_S8_S16_RQ_H

#include "../td_names.h"

#include "td_add_s8_rq.h"

typedef td_add_s8_rq_args_t td_add_s8_s16_rq_args_t;

void td_add_s8_s16_rq(const td_add_s8_s16_rq_args_t *args, const int8_t *a_in, const int8_t *b_in,
                      int16_t *out);

#endif /* TD_ADD_S8_S16_RQ_H */
