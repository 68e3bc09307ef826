/* td_isoftmax_s8.h - the I-BERT integer softmax of Deeploy (iSoftmax), row by row over the
 * last axis, int8_t in and out. Per row of `length` values x (stored values: max(x) - x
 * does not depend on the zero point):
 *
 *   t = x - max(x);  z = floor(-t / log2);  p = t + z * log2
 *   e = (coeff_a * (p + coeff_b)^2 + coeff_c) >> min(z, 31)
 *   y = floor(e * (n_levels - 1) / sum(e)),   out = y + out_offset
 *
 * The exponentials are computed twice (for the sum, then for the output) instead of kept:
 * no scratch buffer.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): rows, length > 0; log2 >= 1; coeff_a, coeff_c >= 0;
 * coeff_a * (p + coeff_b)^2 + coeff_c < 2^31 over p in (-log2, 0]; length * max e and
 * max e * (n_levels - 1) below 2^32; 2 <= n_levels <= 256 and [0, n_levels - 1] +
 * out_offset within int8; buffers of exactly rows * length bytes.
 */
#ifndef TD_ISOFTMAX_S8_H
#define TD_ISOFTMAX_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t length;            /* row length (last axis) */
    int32_t coeff_a;
    int32_t coeff_b;
    int64_t coeff_c;
    int32_t log2;
    int32_t n_levels;
    int32_t out_offset;        /* zero point of the output */
} td_isoftmax_s8_args_t;

void td_isoftmax_s8(const td_isoftmax_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_ISOFTMAX_S8_H */
