/* td_irmsnorm_s8.h - Deeploy's integer RMS norm (iRMSNorm, iRMSnorm_s8_s8), row by row over
 * the last axis, int8_t in and out, on the source values x = stored + x_offset:
 *
 *   std = floor(sqrt(floor(sum(x^2) / length) + 1))
 *   y   = clamp(floor(trunc(x * weight[j] / std) / 2^log2d), clip_lo, clip_hi)
 *   out = y + out_offset
 *
 * Products and quotients in 64 bits (C division truncates, the shift floors).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): rows, length > 0; length * 2^16 < 2^31 (the int32
 * sum); 0 <= log2d <= 62; 256 * max|weight| < 2^62; clip_lo <= clip_hi and clip +
 * out_offset within int8; weight of exactly length int32 values; input and output buffers
 * of exactly rows * length bytes.
 */
#ifndef TD_IRMSNORM_S8_H
#define TD_IRMSNORM_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t length;            /* row length (last axis) */
    int32_t x_offset;          /* -zero point of the input */
    int32_t log2d;
    int32_t clip_lo;           /* clamp in the source domain */
    int32_t clip_hi;
    int32_t out_offset;        /* zero point of the output */
} td_irmsnorm_s8_args_t;

void td_irmsnorm_s8(const td_irmsnorm_s8_args_t *args, const int8_t *in,
                    const int32_t *weight, int8_t *out);

#endif /* TD_IRMSNORM_S8_H */
