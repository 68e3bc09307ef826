/* td_matmul_s8_s32.h - integer matrix product with batch broadcasting (Deeploy's MatMul
 * and Gemm: transposed operands, integer alpha/beta, a broadcast bias), int8_t operands,
 * int32_t output:
 *
 *   y[b, m, n] = alpha * sum_k (A[b, m, k] + a_offset) * (B[b, k, n] + b_offset)
 *                + beta * bias[b, m, n]                        (bias may be NULL)
 *
 * Element (m, k) of batch b of A is at sum_d(b_d * a_batch[d]) + m * a_m + k * a_k,
 * likewise B (k, n: b_k, b_n) and the bias (c_m, c_n, c_batch); a stride of 0 broadcasts,
 * so a transposed operand is only other strides. The output is [batch.., m, channels].
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): m, channels, k, batch dims > 0; every stride >= 0;
 * A and B buffers of exactly a_size and b_size elements, the strides reaching no further
 * (a KV cache is read in its first rows); the bias buffer holds exactly the elements its
 * strides reach; |alpha * sum + beta * bias| <= INT32_MAX for every input of the operand types
 * (k * max|A + a_offset| * max|B + b_offset| bounded, the bias taken as it is).
 */
#ifndef TD_MATMUL_S8_S32_H
#define TD_MATMUL_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t m;
    int32_t channels;
    int32_t k;
    int32_t a_offset;
    int32_t b_offset;
    int32_t alpha;
    int32_t beta;
    int32_t a_m, a_k;
    int32_t b_k, b_n;
    int32_t c_m, c_n;
    int32_t a_size, b_size;
    const int32_t *batch;
    const int32_t *a_batch;
    const int32_t *b_batch;
    const int32_t *c_batch;
} td_matmul_s8_s32_args_t;

void td_matmul_s8_s32(const td_matmul_s8_s32_args_t *args, const int8_t *a, const int8_t *b,
                      const int32_t *bias, int32_t *out);

#endif /* TD_MATMUL_S8_S32_H */
