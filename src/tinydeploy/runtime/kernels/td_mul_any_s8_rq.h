/* td_mul_any_s8_rq.h - the raw integer product (Deeploy's Mul of two activations) of two tensors of any
 * integer width with numpy broadcasting, with the requantization of integer graphs fused
 * in: int8_t out. Per output element i (row-major over the merged output dims)
 *
 *   acc = (a + a_offset) * (b + b_offset)
 *   out = td_requant_value(acc, rq_*[i % rq_channels]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 applied to what td_mul_any_s32 writes, without the int32 tensor
 * (quant/golden/fused_requant.py). The walk is td_add_any_s32.h's (td_broadcast.h).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_mul_any_s32.h and of the requant
 * (td_requant_s32_*.h) on the rq_* members, rq_channels dividing the output size; the
 * output buffer holds exactly prod(shape) int8_t values.
 */
#ifndef TD_MUL_ANY_S8_RQ_H
#define TD_MUL_ANY_S8_RQ_H

#include "../td_names.h"

#include <stdint.h>

#include "td_add_any_s8_rq.h"
#include "td_requant_common.h"

/* The args of td_add_any_s8_rq.h (a_mult and b_mult unused). */
typedef td_add_any_s8_rq_args_t td_mul_any_s8_rq_args_t;

void td_mul_any_s8_rq(const td_mul_any_s8_rq_args_t *args, const void *a, const void *b,
                      int8_t *out);

#endif /* TD_MUL_ANY_S8_RQ_H */
