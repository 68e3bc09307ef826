/* td_reduce_f32.h - float32 reduction over some axes (ReduceMean/ReduceSum/ReduceMax,
 * GlobalAveragePool, GlobalMaxPool). The output, of out_shape (the kept dims,
 * left-extended to 6), is written in row-major order; output element (i_0, .., i_5)
 * reduces the input elements sum(i_d * out_strides[d]) + sum(r_d * red_strides[d]) over
 * r in red_shape (left-extended to 6), visited in row-major order: mode 0 = sum (float32
 * from 0.0f), 1 = mean (that sum divided by the count), 2 = max (from the first element).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): mode in 0..2; shapes >= 1; strides >=
 * 0; every element read inside in_size; buffers of exactly in_size and prod(out_shape)
 * floats.
 */
#ifndef TD_REDUCE_F32_H
#define TD_REDUCE_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t mode;
    int32_t in_size;
    int32_t count;              /* prod(red_shape) */
    const int32_t *out_shape;   /* [6] */
    const int32_t *out_strides; /* [6] */
    const int32_t *red_shape;   /* [6] */
    const int32_t *red_strides; /* [6] */
} td_reduce_f32_args_t;

void td_reduce_f32(const td_reduce_f32_args_t *args, const float *x, float *y);

#endif /* TD_REDUCE_F32_H */
