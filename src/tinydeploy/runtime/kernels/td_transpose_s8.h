/* td_transpose_s8.h - int8 transpose, a byte permutation (output dim i = input dim perm[i]).
 * out_shape is the output shape left-extended to TD_TRANSPOSE_MAX_DIMS dims with size 1;
 * in_strides[i] is the input stride (in elements) of the input dim that becomes output
 * dim i (0 for the added dims). The output is written in row-major order.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * out_shape >= 1, in_strides >= 0; input buffer of exactly 1 + sum((out_shape[d] - 1) *
 * in_strides[d]) bytes, output prod(out_shape).
 */
#ifndef TD_TRANSPOSE_S8_H
#define TD_TRANSPOSE_S8_H

#include "../td_names.h"

#include <stdint.h>

#define TD_TRANSPOSE_MAX_DIMS 6

typedef struct {
    const int32_t *out_shape;   /* [TD_TRANSPOSE_MAX_DIMS] */
    const int32_t *in_strides;  /* [TD_TRANSPOSE_MAX_DIMS] */
} td_transpose_s8_args_t;

void td_transpose_s8(const td_transpose_s8_args_t *args, const int8_t *in, int8_t *out);

#endif
