/* td_add_any_s32.h - raw integer sum of two tensors of any integer width with numpy
 * broadcasting (Deeploy's Add/Sub on integers), int32_t out:
 *
 *   y = (a + a_offset) * a_mult + (b + b_offset) * b_mult
 *
 * The output (the first ndim of shape, merged dims) is walked in row-major order; a and b
 * are read at sum(index[d] * strides[d]) (0 along broadcast dims, td_broadcast.h), each
 * a_bytes / b_bytes wide (1, 2 or 4). The loop is the same for every width pair and bound
 * by memory, hence one kernel with the widths as arguments.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): 1 <= ndim <= 6, shape[d] > 0, strides >= 0;
 * a_bytes, b_bytes in {1, 2, 4}; |y| <= INT32_MAX for every input the graph can hold;
 * buffers of exactly the elements the strides reach, output prod(shape) int32 values.
 */
#ifndef TD_ADD_ANY_S32_H
#define TD_ADD_ANY_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t ndim;              /* dims of the merged broadcast walk */
    int32_t a_bytes;           /* element sizes of a and b */
    int32_t b_bytes;
    int32_t a_offset;          /* -zero points */
    int32_t b_offset;
    int32_t a_mult;
    int32_t b_mult;
    const int32_t *shape;      /* [6]: the last ndim are the merged output dims */
    const int32_t *a_strides;  /* [6] element strides (0: broadcast) */
    const int32_t *b_strides;
} td_add_any_s32_args_t;

void td_add_any_s32(const td_add_any_s32_args_t *args, const void *a, const void *b,
                    int32_t *out);

#endif /* TD_ADD_ANY_S32_H */
