/* td_gather_any.h - ONNX Gather with constant indices: the input seen as
 * [outer, axis_len, inner], each output row takes the inner-element blocks indices[0],
 * indices[1], .. of the matching input row. Elements are elem_bytes wide, copied unchanged.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): elem_bytes in {1, 2, 4}; outer, axis_len, inner,
 * num_indices > 0; 0 <= indices[j] < axis_len; input buffer of exactly
 * outer * axis_len * inner elements, output of outer * num_indices * inner.
 */
#ifndef TD_GATHER_ANY_H
#define TD_GATHER_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t outer;
    int32_t axis_len;
    int32_t inner;
    int32_t num_indices;
    const int32_t *indices;    /* [num_indices] */
} td_gather_any_args_t;

void td_gather_any(const td_gather_any_args_t *args, const void *in, void *out);

#endif /* TD_GATHER_ANY_H */
