/* td_minimum_s16.h - int16 MINIMUM of the stored integers (TFLite Micro's
 * TFLiteOperation: no rescaling; inputs and output share one quantization), any numpy
 * broadcast (td_broadcast.h).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly
 * 2 * (1 + sum((shape[d] - 1) * strides[d])) bytes, output 2 * prod(shape) bytes.
 */
#ifndef TD_MINIMUM_S16_H
#define TD_MINIMUM_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *a_strides;    /* [ndim] element strides of a, 0 = broadcast */
    const int32_t *b_strides;    /* [ndim] element strides of b */
} td_minimum_s16_args_t;

void td_minimum_s16(const td_minimum_s16_args_t *args, const int16_t *a, const int16_t *b,
                    int16_t *out);

#endif /* TD_MINIMUM_S16_H */
