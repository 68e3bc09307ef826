/* td_requant_s32_s8.h - int32 -> int8_t requantization of integer-deployable graphs,
 * per channel of the last axis (see td_requant_common.h for the exact arithmetic).
 */
#ifndef TD_REQUANT_S32_S8_H
#define TD_REQUANT_S32_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;              /* elements */
    int32_t channels;          /* size of the last axis; mul/add/div have this length */
    int32_t fp32;              /* bit 0: round x*mul, bit 1: round +add (float32) */
    int32_t rounding;          /* 0 floor, 1 toward zero */
    int32_t clip_lo;           /* clamp bounds before the zero point */
    int32_t clip_hi;
    int32_t out_offset;        /* zero point of the output */
    int64_t mul2;
    const int64_t *mul;
    const int64_t *add;
    const int64_t *div;        /* > 0 */
} td_requant_s32_s8_args_t;

void td_requant_s32_s8(const td_requant_s32_s8_args_t *args, const int32_t *x, int8_t *out);

#endif /* TD_REQUANT_S32_S8_H */
