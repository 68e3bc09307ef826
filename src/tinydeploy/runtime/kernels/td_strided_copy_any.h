/* td_strided_copy_any.h - a strided view of a tensor copied out (ONNX Slice with steps,
 * Gather of evenly spaced indices, a transpose of 16/32-bit elements): the output, of
 * out_shape (left-extended to 6 dims), is written in row-major order; element
 * (i_0, .., i_5) is input element in_offset + sum(i_d * in_strides[d]). Elements are
 * elem_bytes wide (1, 2 or 4) and copied unchanged.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): elem_bytes in {1, 2, 4}; out_shape > 0; every
 * element the walk reads lies in [0, in_size) (the strides may be negative); input buffer
 * of exactly in_size elements, output of prod(out_shape).
 */
#ifndef TD_STRIDED_COPY_ANY_H
#define TD_STRIDED_COPY_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t in_offset;         /* element read for output (0, .., 0) */
    int32_t in_size;           /* elements of the input */
    const int32_t *out_shape;  /* [6] */
    const int32_t *in_strides; /* [6] element strides, may be negative */
} td_strided_copy_any_args_t;

void td_strided_copy_any(const td_strided_copy_any_args_t *args, const void *in, void *out);

#endif /* TD_STRIDED_COPY_ANY_H */
