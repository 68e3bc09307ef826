/* td_insert_any.h - a block written into a tensor (depth-first attention assembles the
 * heads' results with it): the output is base (nothing is copied when base is the output
 * itself: in place), then src, of src_shape (left-extended to 6 dims, row-major), is
 * written at output elements
 * offset + sum(i_d * out_strides[d]). Elements are elem_bytes wide (1, 2 or 4), copied
 * unchanged.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, movement.py; a layer
 * that violates one is refused naming it): elem_bytes in {1, 2, 4}; src_shape > 0,
 * out_strides >= 0, offset >= 0 and the region inside [0, out_size); base and output
 * buffers of out_size elements, src of prod(src_shape); src does not overlap the output;
 * base is the output or does not overlap it.
 */
#ifndef TD_INSERT_ANY_H
#define TD_INSERT_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t out_size;          /* elements of the output and of base */
    int32_t offset;            /* output element of src (0, .., 0) */
    const int32_t *src_shape;  /* [6] */
    const int32_t *out_strides; /* [6] output element strides */
} td_insert_any_args_t;

void td_insert_any(const td_insert_any_args_t *args, const void *base, const void *src,
                   void *out);

#endif /* TD_INSERT_ANY_H */
