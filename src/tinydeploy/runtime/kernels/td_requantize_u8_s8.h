/* td_requantize_u8_s8.h - uint8 -> int8 requantization, bit-exact with TFLite's Requantize:
 * out = output_offset + MultiplyByQuantizedMultiplier(x + input_offset), clamped to
 * [act_min, act_max] (the output type's range, or a standalone activation's).
 */
#ifndef TD_REQUANTIZE_U8_S8_H
#define TD_REQUANTIZE_U8_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_offset;        /* -input zero point */
    int32_t multiplier;
    int32_t shift;               /* > 0 = left */
    int32_t output_offset;       /* output zero point */
    int32_t act_min;
    int32_t act_max;
} td_requantize_u8_s8_args_t;

void td_requantize_u8_s8(const td_requantize_u8_s8_args_t *args, const uint8_t *x, int8_t *out);

#endif /* TD_REQUANTIZE_U8_S8_H */
