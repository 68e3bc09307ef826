/* td_broadcast.h - walking a two-input elementwise op's output with broadcast inputs.
 *
 * The output (row-major, dims shape[0..ndim-1]) is visited in order; input k is read at
 * sum(index[d] * k_strides[d]), with stride 0 along dims that input is broadcast over.
 * The code generator merges dims, so same-shape inputs are one dim with strides 1 and 1.
 * Preconditions (quant/preconditions.py): 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides
 * >= 0, prod(shape) and every operand's extent within int32.
 */
#ifndef TD_BROADCAST_H
#define TD_BROADCAST_H

#include "../td_names.h"

#include <stdint.h>

#define TD_MAX_DIMS 6

typedef struct {
    int32_t index[TD_MAX_DIMS];
    int32_t a;              /* element offset into input a */
    int32_t b;              /* element offset into input b */
} td_bcast_iter_t;

static inline void td_bcast_init(td_bcast_iter_t *it)
{
    for (int d = 0; d < TD_MAX_DIMS; ++d) it->index[d] = 0;
    it->a = 0;
    it->b = 0;
}

static inline int32_t td_bcast_count(int32_t ndim, const int32_t *shape)
{
    int32_t n = 1;
    for (int32_t d = 0; d < ndim; ++d) n *= shape[d];
    return n;
}

/* Step to the next output element (the last dim moves fastest). */
static inline void td_bcast_next(td_bcast_iter_t *it, int32_t ndim, const int32_t *shape,
                                 const int32_t *a_strides, const int32_t *b_strides)
{
    for (int32_t d = ndim - 1; d >= 0; --d) {
        it->a += a_strides[d];
        it->b += b_strides[d];
        if (++it->index[d] < shape[d]) return;
        it->a -= a_strides[d] * shape[d];
        it->b -= b_strides[d] * shape[d];
        it->index[d] = 0;
    }
}

#endif /* TD_BROADCAST_H */
