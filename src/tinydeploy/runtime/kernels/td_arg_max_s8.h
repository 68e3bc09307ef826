/* td_arg_max_s8.h - int8 ARG_MAX with an int32 output, bit-exact with TFLite's ArgMinMax:
 * the index of the first largest value along the axis (strict comparison). The input
 * is seen as [outer, axis_len, inner], the output as [outer, inner].
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * outer, axis_len, inner > 0 with their product within int32; buffers of exactly
 * 1*outer*axis_len*inner (input) and 4*outer*inner (output) bytes.
 */
#ifndef TD_ARG_MAX_S8_H
#define TD_ARG_MAX_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t outer;
    int32_t axis_len;
    int32_t inner;
} td_arg_max_s8_args_t;

void td_arg_max_s8(const td_arg_max_s8_args_t *args, const int8_t *in, int32_t *out);

#endif /* TD_ARG_MAX_S8_H */
