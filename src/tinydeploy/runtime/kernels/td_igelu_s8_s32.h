/* td_igelu_s8_s32.h - the I-BERT integer GELU of Deeploy (iGELU), elementwise, int8_t in, int32_t out:
 *
 *   d = min(|x|, -b) + b;   L = sign(x) * (one - d * d)
 *   acc = x * ((one + L) >> 1)        (the shift floors)
 *
 * on the source values x = stored + x_offset. Element i is written after it is read.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): size, channels > 0, channels divides size;
 * -2^15 < b <= 0, 0 <= one < 2^30 and 256 * (one + b^2 + |one|) < 2^31 (no overflow);
 * input buffer of exactly size bytes, output of 4 * size.
 */
#ifndef TD_IGELU_S8_S32_H
#define TD_IGELU_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;              /* elements */
    int32_t channels;          /* last axis */
    int32_t x_offset;          /* -zero point of the input */
    int32_t b;                 /* <= 0 */
    int32_t one;
} td_igelu_s8_s32_args_t;

void td_igelu_s8_s32(const td_igelu_s8_s32_args_t *args, const int8_t *in, int32_t *out);

#endif /* TD_IGELU_S8_S32_H */
