/* td_binary_s32.h - TFLite's raw int32 DIV, MAXIMUM and MINIMUM (no quantization), any
 * numpy broadcast (td_broadcast.h), then the fused activation's clamp [act_min, act_max].
 *
 * op 0, DIV: C's division, truncating toward zero (TFLM's reference_ops::Div<int32_t>);
 * where that is undefined, a zero divisor gives 0 and INT32_MIN / -1 gives INT32_MIN.
 * op 1 MAXIMUM, op 2 MINIMUM: the larger / smaller integer.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * op in {0, 1, 2}; act_min <= act_max; 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0,
 * strides >= 0; buffers a and b of exactly 4 * (1 + sum((shape[d] - 1) * strides[d]))
 * bytes, output 4 * prod(shape) bytes.
 */
#ifndef TD_BINARY_S32_H
#define TD_BINARY_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t op;                  /* 0 div, 1 maximum, 2 minimum */
    int32_t act_min;
    int32_t act_max;
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *a_strides;    /* [ndim] element strides of a, 0 = broadcast */
    const int32_t *b_strides;    /* [ndim] element strides of b */
} td_binary_s32_args_t;

void td_binary_s32(const td_binary_s32_args_t *args, const int32_t *a, const int32_t *b,
                   int32_t *out);

#endif /* TD_BINARY_S32_H */
