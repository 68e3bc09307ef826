/* td_itapartialmax_s8.h - ITA's streaming shift softmax (Deeploy ITAPartialMax_s8), row by
 * row over the last axis in groups of group_width columns, int8_t in and out:
 *
 *   per group g:  M = max(M, max of the group)           (M starts at -128)
 *                 P = (P >> d) + sum over the group of (256 >> ((M - x + 16) >> 5))
 *                 d = (M_new - M_old + 16) >> 5 where the max grew, else 0
 *   y = (127 * 256 / P) >> ((M - x + 16) >> 5),   out = y + out_offset   (y in [0, 127])
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): rows, length, group_width > 0, group_width divides
 * length, length <= 2^23; [0, 127] + out_offset within int8; buffers of exactly
 * rows * length bytes.
 */
#ifndef TD_ITAPARTIALMAX_S8_H
#define TD_ITAPARTIALMAX_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t length;            /* row length (last axis) */
    int32_t group_width;       /* columns per group */
    int32_t out_offset;        /* zero point of the output */
} td_itapartialmax_s8_args_t;

void td_itapartialmax_s8(const td_itapartialmax_s8_args_t *args, const int8_t *in,
                         int8_t *out);

#endif /* TD_ITAPARTIALMAX_S8_H */
