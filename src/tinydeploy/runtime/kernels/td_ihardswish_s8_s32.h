/* td_ihardswish_s8_s32.h - Deeploy's integer hard-swish (iHardswish), elementwise, int8_t in, int32_t out:
 *
 *   acc = x * (clip(x + three, 0, six) * one_over_six)
 *
 * on the source values x = stored + x_offset. Element i is written after it is read.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): size, channels > 0, channels divides size;
 * six >= 0, |three| < 2^20, 256 * six * |one_over_six| < 2^31 (no overflow);
 * input buffer of exactly size bytes, output of 4 * size.
 */
#ifndef TD_IHARDSWISH_S8_S32_H
#define TD_IHARDSWISH_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;              /* elements */
    int32_t channels;          /* last axis */
    int32_t x_offset;          /* -zero point of the input */
    int32_t one_over_six;
    int32_t three;
    int32_t six;               /* >= 0 */
} td_ihardswish_s8_s32_args_t;

void td_ihardswish_s8_s32(const td_ihardswish_s8_s32_args_t *args, const int8_t *in, int32_t *out);

#endif /* TD_IHARDSWISH_S8_S32_H */
