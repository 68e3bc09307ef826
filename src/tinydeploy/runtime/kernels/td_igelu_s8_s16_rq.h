/* td_igelu_s8_s16_rq.h - the kernel of td_igelu_s8_rq.h (same args struct and activation)
 * with int16_t output, as in td_requant_s32_s16.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_igelu_s8_rq.h.
 */
#ifndef TD_IGELU_S8_S16_RQ_H
#define TD_IGELU_S8_S16_RQ_H

#include "../td_names.h"

#include "td_igelu_s8_rq.h"

typedef td_igelu_s8_rq_args_t td_igelu_s8_s16_rq_args_t;

void td_igelu_s8_s16_rq(const td_igelu_s8_s16_rq_args_t *args, const int8_t *in, int16_t *out);

#endif /* TD_IGELU_S8_S16_RQ_H */
