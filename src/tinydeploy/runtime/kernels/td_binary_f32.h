/* td_binary_f32.h - float32 y = a OP b with numpy broadcasting (add, sub, mul, div, pow,
 * maximum, minimum: TD_F32_ADD ..). The output, of out_shape (left-extended to 6 dims),
 * is written in row-major order; its element (i_0, .., i_5) reads
 * a[sum(i_d * a_strides[d])] and b[sum(i_d * b_strides[d])] (stride 0 on a broadcast
 * dim), then the activation act (td_f32_common.h). y may be a or b when that input has the output's shape (in place).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): op a known code; out_shape >= 1;
 * strides >= 0 and every element read inside a_size / b_size; buffers of exactly
 * a_size, b_size and prod(out_shape) floats.
 */
#ifndef TD_BINARY_F32_H
#define TD_BINARY_F32_H

#include "../td_names.h"

#include <stdint.h>

enum { TD_F32_ADD = 0, TD_F32_SUB, TD_F32_MUL, TD_F32_DIV, TD_F32_POW, TD_F32_MAX,
       TD_F32_MIN };

typedef struct {
    int32_t op;
    int32_t act;
    int32_t a_size;
    int32_t b_size;
    const int32_t *out_shape; /* [6] */
    const int32_t *a_strides; /* [6] */
    const int32_t *b_strides; /* [6] */
} td_binary_f32_args_t;

void td_binary_f32(const td_binary_f32_args_t *args, const float *a, const float *b,
                   float *y);

#endif /* TD_BINARY_F32_H */
