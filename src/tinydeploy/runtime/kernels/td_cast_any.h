/* td_cast_any.h - TFLite's CAST: static_cast of every value between int8, int16, int32
 * and float32, uint32 (type codes 0, 1, 2, 3, 4). Integers narrow by wrapping (two's complement),
 * integers become the nearest float; floats truncate toward zero, saturating outside the
 * target type (undefined in C++) and giving 0 for NaN.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * size > 0; in_type and out_type in [0, 4]; buffers of exactly size elements of each type.
 */
#ifndef TD_CAST_ANY_H
#define TD_CAST_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t in_type;             /* 0 int8, 1 int16, 2 int32, 3 float32, 4 uint32 */
    int32_t out_type;
} td_cast_any_args_t;

void td_cast_any(const td_cast_any_args_t *args, const void *in, void *out);

#endif /* TD_CAST_ANY_H */
