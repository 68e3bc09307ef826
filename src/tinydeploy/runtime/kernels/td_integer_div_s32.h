/* td_integer_div_s32.h - Deeploy's integer division of two tensors (IntegerDiv,
 * Div_s32_s32), int32_t out; inputs of 1, 2 or 4 bytes per element:
 *
 *   n = delta * eta * (a + a_offset),   d = eta * (b + b_offset) + eps      (64 bits)
 *   y = trunc((n + sign(n) * (d >> 1)) / d)       (round half away from zero)
 *
 * a is [shape] (row-major); b is read at sum(i_d * b_strides[d]) (0: broadcast).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): a_bytes, b_bytes in {1, 2, 4}; shape[d] > 0,
 * b_strides >= 0; d > 0 for every b the graph can hold (its value range); |delta * eta| *
 * 2^31 < 2^62; buffers of exactly the elements the args reach; the result fits int32.
 */
#ifndef TD_INTEGER_DIV_S32_H
#define TD_INTEGER_DIV_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t a_bytes;           /* element size of a */
    int32_t b_bytes;
    int32_t a_offset;          /* -zero points */
    int32_t b_offset;
    int32_t b_min;             /* smallest source value of b (the divisor stays > 0) */
    int64_t delta;
    int64_t eps;
    int64_t eta;
    const int32_t *shape;      /* [6] output dims, leading 1s */
    const int32_t *b_strides;  /* [6] element strides of b */
} td_integer_div_s32_args_t;

void td_integer_div_s32(const td_integer_div_s32_args_t *args, const void *a, const void *b,
                        int32_t *out);

#endif /* TD_INTEGER_DIV_S32_H */
