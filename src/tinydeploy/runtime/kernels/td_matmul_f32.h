/* td_matmul_f32.h - float32 batched product y[b, i, j] = alpha * sum_k A[b, i, k] *
 * B[b, k, j] (+ beta * C[b, i, j]), accumulated in float32 in increasing k from 0.0f
 * (ONNX MatMul and Gemm). For batch b (the output's batch dims in row-major order),
 * A[b, i, k] is a[a_off[b] + i * a_rs + k * a_cs], B[b, k, j] is
 * b[b_off[b] + k * b_rs + j * b_cs] and C[b, i, j] is c[c_off[b] + i * c_rs + j * c_cs]
 * (strides 0 where C broadcasts); c may be NULL (no bias); then the activation act
 * (td_f32_common.h). Transposed operands are
 * strides. The output is contiguous [batch, m, n]; it must not overlap a, b or c.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): batch, m, n, k >= 1; strides >= 0;
 * every element read inside a_size, b_size, c_size; buffers of exactly those sizes and
 * batch * m * n floats.
 */
#ifndef TD_MATMUL_F32_H
#define TD_MATMUL_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batch, m, n, k;
    int32_t a_rs, a_cs, b_rs, b_cs, c_rs, c_cs;
    int32_t a_size, b_size, c_size;
    int32_t act;
    float alpha;
    float beta;
    const int32_t *a_off; /* [batch] */
    const int32_t *b_off; /* [batch] */
    const int32_t *c_off; /* [batch] */
} td_matmul_f32_args_t;

void td_matmul_f32(const td_matmul_f32_args_t *args, const float *a, const float *b,
                   const float *c, float *y);

#endif /* TD_MATMUL_F32_H */
