/* td_reduce_s8_s8.h - td_reduce_s8_s32 (same args struct) with an int8_t output: the mean
 * of int8 values, stored with the input's zero point.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_reduce_s8_s32.h; mode 1 (mean) and
 * out_offset = -x_offset (the mean stays in the input's range).
 */
#ifndef TD_REDUCE_S8_S8_H
#define TD_REDUCE_S8_S8_H

#include "../td_names.h"

#include "td_reduce_s8_s32.h"

typedef td_reduce_s8_s32_args_t td_reduce_s8_s8_args_t;

void td_reduce_s8_s8(const td_reduce_s8_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_REDUCE_S8_S8_H */
