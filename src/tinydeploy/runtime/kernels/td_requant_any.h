/* td_requant_any.h - the requantization of integer graphs (td_requant_common.h) applied to
 * an 8- or 16-bit value (a residual branch, a softmax output, a KV-cache entry) instead of
 * an int32 accumulator; output 1, 2 or 4 bytes wide:
 *
 *   out = td_requant_value(x + in_offset, rq[c]) + out_offset     (c = i mod channels)
 *
 * The loop is the same for every width pair and bound by memory, hence one kernel with
 * the widths as arguments. Element i is written after it is read.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): in_bytes in {1, 2}, out_bytes in {1, 2, 4}; those of
 * td_requant_s32_s8.h over the input's range; buffers of exactly size elements.
 */
#ifndef TD_REQUANT_ANY_H
#define TD_REQUANT_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;              /* elements */
    int32_t channels;          /* length of mul/add/div (the last axis) */
    int32_t fp32;              /* bit 0: round x*mul, bit 1: round +add (float32) */
    int32_t rounding;          /* 0 floor, 1 toward zero */
    int32_t clip_lo;           /* clamp bounds before the zero point */
    int32_t clip_hi;
    int32_t out_offset;        /* zero point of the output */
    int64_t mul2;
    const int64_t *mul;
    const int64_t *add;
    const int64_t *div;        /* > 0 */
    int32_t in_bytes;          /* element size of the input */
    int32_t out_bytes;         /* element size of the output */
    int32_t in_offset;         /* -zero point of the input */
} td_requant_any_args_t;

void td_requant_any(const td_requant_any_args_t *args, const void *x, void *out);

#endif /* TD_REQUANT_ANY_H */
