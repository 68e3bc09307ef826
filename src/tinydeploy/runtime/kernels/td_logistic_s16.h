/* td_logistic_s16.h - int16 logistic (16x8), bit-exact with TFLite's reference integer
 * Logistic for int16; output scale 2^-15, zero points 0.
 *
 * v = (x * input_multiplier + round) >> input_shift (2^17 represents 10.7); |v| >> 9
 * picks an interval of the 256-entry sigmoid table (0.16 fixed point), the low 9 bits
 * interpolate; beyond the table the result saturates. The sign follows by symmetry
 * (sigmoid) with TFLite's rounding offsets.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * size > 0; 0 <= input_multiplier <= 32767, 0 <= input_shift <= 31; a 256-entry table,
 * non-decreasing; buffers of exactly 2*size bytes in and out.
 */
#ifndef TD_LOGISTIC_S16_H
#define TD_LOGISTIC_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_multiplier;
    int32_t input_shift;         /* right shift with rounding */
    const uint16_t *table;       /* [256] sigmoid(i / 24) in 0.16 fixed point */
} td_logistic_s16_args_t;

void td_logistic_s16(const td_logistic_s16_args_t *args, const int16_t *x, int16_t *out);

#endif /* TD_LOGISTIC_S16_H */
