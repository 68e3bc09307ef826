/* td_itamax_s8.h - ITA's shift softmax (Deeploy ITAMax, ITAMax_s8), row by row over the
 * last axis, 256 levels, int8_t in and out. Per row of `length` stored values x:
 *
 *   s = (max(x) - x + 16) >> 5;   S = sum(256 >> s)
 *   y = (255 * 256 / S) >> s,     out = y + out_offset      (y in [0, 255])
 *
 * The shifts are recomputed for the output instead of kept: no scratch buffer.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): rows, length > 0, length <= 2^23 (S fits); out_offset
 * = -128; buffers of exactly rows * length bytes.
 */
#ifndef TD_ITAMAX_S8_H
#define TD_ITAMAX_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t length;            /* row length (last axis) */
    int32_t out_offset;        /* zero point of the output */
} td_itamax_s8_args_t;

void td_itamax_s8(const td_itamax_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_ITAMAX_S8_H */
