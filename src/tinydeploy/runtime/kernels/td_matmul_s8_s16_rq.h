/* td_matmul_s8_s16_rq.h - the kernel of td_matmul_s8_rq.h (same args struct and
 * accumulator) with int16_t output: out = td_requant_value(acc, rq_*[n]) + rq_out_offset,
 * as in td_requant_s32_s16.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_matmul_s8_rq.h.
 */
#ifndef TD_MATMUL_S8_S16_RQ_H
#define TD_MATMUL_S8_S16_RQ_H

#include "../td_names.h"

#include "td_matmul_s8_rq.h"

typedef td_matmul_s8_rq_args_t td_matmul_s8_s16_rq_args_t;

void td_matmul_s8_s16_rq(const td_matmul_s8_s16_rq_args_t *args, const int8_t *a,
                         const int8_t *b, const int32_t *bias, int16_t *out);

#endif /* TD_MATMUL_S8_S16_RQ_H */
