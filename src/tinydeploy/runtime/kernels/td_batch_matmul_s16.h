/* td_batch_matmul_s16.h - int16 BATCH_MATMUL (zero points 0), bit-exact with TFLite's
 * reference BatchMatMul for int16 (int64 sums, its 64-bit requantization).
 *
 * For every batch index (b0, b1, b2) < batch: y[b][m][n] = clamp(requant(sum_k (a[m][k] +
 * a_offset) * (b[k][n] + b_offset)) + out_offset, act_min, act_max), with a[m][k] read at
 * a_batch . b + m * a_row + k * a_col (b likewise with b_row along k, b_col along n): the
 * strides express TFLite's adj_x / adj_y and the broadcast batch dims (stride 0).
 * The output is row-major [batch.., m, n].
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * m, n, k, batch > 0, strides >= 0, element counts within int32; every element read lies
 * in the operands' buffers; offsets 0; multiplier 0 or in [2^30, 2^31), shift in [-31, 7];
 * k * 2^30 < 2^47; act bounds in the type; buffers of exactly the args' extents.
 */
#ifndef TD_BATCH_MATMUL_S16_H
#define TD_BATCH_MATMUL_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_batch_matmul_s8.h"

/* The args of td_batch_matmul_s8.h. */
typedef td_batch_matmul_s8_args_t td_batch_matmul_s16_args_t;

void td_batch_matmul_s16(const td_batch_matmul_s16_args_t *args, const int16_t *a,
                         const int16_t *b, int16_t *out);

#endif /* TD_BATCH_MATMUL_S16_H */
