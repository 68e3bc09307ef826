/* td_softmax_s8.h - int8 softmax over the last axis, bit-exact with TFLite's reference
 * quantized Softmax (int8 in, int8 out with scale 1/256 and zero point -128).
 *
 * Per row: d = x - max(row). Entries with d < diff_min output -128 and add nothing.
 * Others: d scaled to Q5.26 by input_multiplier << input_left_shift, exp() in Q0.31,
 * summed in Q12.19; each output is exp * (1 / sum) rounded to 8 fractional bits.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * outer > 0, 1 <= depth <= 4095 (each exp adds up to 2^19 to the int32 sum);
 * input_multiplier in [2^30, 2^31), input_left_shift in [0, 31]; diff_min <= 0 (the row
 * maximum always counts: a zero sum would make td_fp_reciprocal shift by 32 bits) and
 * min(-diff_min, 255) << input_left_shift <= 2^31; buffers of exactly outer*depth bytes in
 * and out.
 */
#ifndef TD_SOFTMAX_S8_H
#define TD_SOFTMAX_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t outer;               /* rows */
    int32_t depth;               /* row length (last axis), < 4096 */
    int32_t input_multiplier;    /* Q31 multiplier of beta * input scale * 2^26 ... */
    int32_t input_left_shift;    /* ... with this left shift (0..31) */
    int32_t diff_min;            /* smallest d that is not flushed to -128 */
} td_softmax_s8_args_t;

void td_softmax_s8(const td_softmax_s8_args_t *args, const int8_t *x, int8_t *out);

#endif /* TD_SOFTMAX_S8_H */
