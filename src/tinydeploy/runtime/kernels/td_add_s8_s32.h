/* td_add_s8_s32.h - weighted sum of two int8 tensors into int32, no rescaling:
 * out[i] = (a[i] + a_offset) * a_mult + (b[i] + b_offset) * b_mult.
 * The integer part of an integer-deployable graph's residual add; the division and clamp
 * follow as a td_requant_* op. Same shapes, no broadcasting. The code generator rejects
 * multipliers whose worst-case sum exceeds INT32_MAX.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * size > 0; a_offset, b_offset = -zero points of int8; |(x + offset) * mult| for each input
 * and their sum within int32; buffers of exactly size, size and 4*size bytes.
 */
#ifndef TD_ADD_S8_S32_H
#define TD_ADD_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t a_offset;          /* -zero point of a */
    int32_t b_offset;          /* -zero point of b */
    int32_t a_mult;
    int32_t b_mult;
} td_add_s8_s32_args_t;

void td_add_s8_s32(const td_add_s8_s32_args_t *args, const int8_t *a, const int8_t *b,
                   int32_t *out);

#endif /* TD_ADD_S8_S32_H */
