/* td_reduce_max_s8.h - int8 REDUCE_MAX, bit-exact with TFLite Micro's ReduceGeneric (max): each
 * output is the largest stored value of its reduced sub-tensor (input and output share
 * one quantization). The kept dims (output order) and the reduced dims are (size, input
 * stride) pairs, each list left-extended to 6 with size 1 / stride 0 (as td_mean_s8.h).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * dims >= 1 and strides >= 0 (6 each); count = prod(red_dims); input buffer of exactly
 * 1 * (1 + sum((dim - 1) * stride)) over kept and reduced dims bytes, output
 * 1 * prod(keep_dims) bytes.
 */
#ifndef TD_REDUCE_MAX_S8_H
#define TD_REDUCE_MAX_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    const int32_t *keep_dims;     /* [6] */
    const int32_t *keep_strides;  /* [6] */
    const int32_t *red_dims;      /* [6] */
    const int32_t *red_strides;   /* [6] */
    int32_t count;
} td_reduce_max_s8_args_t;

void td_reduce_max_s8(const td_reduce_max_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_REDUCE_MAX_S8_H */
