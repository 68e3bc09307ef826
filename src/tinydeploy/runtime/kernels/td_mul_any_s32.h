/* td_mul_any_s32.h - raw integer product of two tensors of any integer width with numpy
 * broadcasting (Deeploy's Mul of two activations), int32_t out:
 *
 *   y = (a + a_offset) * (b + b_offset)
 *
 * Same args struct and walk as td_add_any_s32.h (a_mult and b_mult are unused).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_add_any_s32.h, for the product.
 */
#ifndef TD_MUL_ANY_S32_H
#define TD_MUL_ANY_S32_H

#include "../td_names.h"

#include "td_add_any_s32.h"

typedef td_add_any_s32_args_t td_mul_any_s32_args_t;

void td_mul_any_s32(const td_mul_any_s32_args_t *args, const void *a, const void *b,
                    int32_t *out);

#endif /* TD_MUL_ANY_S32_H */
