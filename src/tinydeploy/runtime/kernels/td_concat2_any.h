/* td_concat2_any.h - two tensors joined along an axis, elements of elem_bytes (1, 2 or 4)
 * copied unchanged: seen as [outer, a_row] and [outer, b_row], output row o is a's row o
 * then b's row o.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): elem_bytes in {1, 2, 4}; outer, a_row, b_row > 0;
 * buffers of exactly outer * a_row, outer * b_row and outer * (a_row + b_row) elements.
 */
#ifndef TD_CONCAT2_ANY_H
#define TD_CONCAT2_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t outer;
    int32_t a_row;             /* elements of a per row */
    int32_t b_row;
} td_concat2_any_args_t;

void td_concat2_any(const td_concat2_any_args_t *args, const void *a, const void *b,
                    void *out);

#endif /* TD_CONCAT2_ANY_H */
