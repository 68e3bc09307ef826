/* td_transpose_u8.h - uint8 transpose: td_transpose_s8 over uint8_t (same args struct).
 * A separate entry point because C does not convert uint8_t * to int8_t * silently.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of td_transpose_s8.h.
 */
#ifndef TD_TRANSPOSE_U8_H
#define TD_TRANSPOSE_U8_H

#include "../td_names.h"

#include <stdint.h>

#include "td_transpose_s8.h"

typedef td_transpose_s8_args_t td_transpose_u8_args_t;

void td_transpose_u8(const td_transpose_u8_args_t *args, const uint8_t *in, uint8_t *out);

#endif
