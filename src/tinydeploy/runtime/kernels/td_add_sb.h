/* td_add_sb.h - element-wise add on packed sub-byte / mixed-precision tensors.
 *
 * TFLite's quantized add (as td_add_s8: inputs offset, shifted left by left_shift,
 * rescaled to a common scale, summed, rescaled to the output, + out_offset, clamped to
 * [act_min, act_max] inside the output dtype's range) with a, b and the output each 2, 4
 * or 8 bits (td_pack.h layout), signed or unsigned. No broadcasting: all three have `size`
 * elements. In place (output over a or b) is safe: an output byte is stored only after
 * every input element it covers has been read.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * a_bits, b_bits, out_bits in {2, 4, 8}, signed flags 0/1; size > 0; the value conditions
 * of td_add_s8.h (left shift, multipliers, shifts in [-31, 0], every int32 step in range)
 * over the storage dtypes' value ranges; act_min <= act_max within the output dtype's
 * range; buffers of exactly ceil(size * bits / 8) bytes for a, b and the output.
 */
#ifndef TD_ADD_SB_H
#define TD_ADD_SB_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t a_offset;          /* -zero point of a */
    int32_t b_offset;
    int32_t left_shift;
    int32_t a_multiplier;
    int32_t a_shift;           /* <= 0 */
    int32_t b_multiplier;
    int32_t b_shift;
    int32_t out_multiplier;
    int32_t out_shift;
    int32_t out_offset;        /* zero point of the output */
    int32_t act_min;
    int32_t act_max;
    int32_t a_bits;            /* 2, 4 or 8 */
    int32_t a_signed;          /* 1: two's complement, 0: unsigned */
    int32_t b_bits;
    int32_t b_signed;
    int32_t out_bits;
    int32_t out_signed;        /* not needed to store the low out_bits bits */
} td_add_sb_args_t;

void td_add_sb(const td_add_sb_args_t *args, const void *a, const void *b, void *out);

#endif /* TD_ADD_SB_H */
