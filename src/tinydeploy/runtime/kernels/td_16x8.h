/* td_16x8.h - helpers of the 16x8 kernels (int16 activations, int8 weights), bit-exact
 * with TFLite's int16 reference kernels.
 *
 * td_requant64 is TFLite's MultiplyByQuantizedMultiplier for an int64 accumulator: the Q31
 * multiplier is reduced to 16 bits and applied with a single rounding,
 *   y = (x * ((mult + 2^15) >> 16) + 2^(14 - shift)) >> (15 - shift),
 * truncated to int32 as TFLite's cast does. Defined for |x| < 2^47, 0 <= mult < 2^31 and
 * -31 <= shift <= 7 (the product then stays below 2^62; quant/preconditions/int16.py
 * holds every layer to it).
 *
 * td_sigmoid_s16 / td_tanh_from_sigmoid_s16 are the interpolations of TFLite's int16
 * LOGISTIC and TANH (reference_integer_ops) on an already rescaled input v (2^12 = 1/3,
 * i.e. 2^17 represents 10.7): the high bits of |v| pick one of 255 intervals of the
 * sigmoid table (256 entries, 0.16), the low bits interpolate, the sign applies by
 * symmetry with TFLite's rounding offsets; output Q0.15. Shared by td_logistic_s16,
 * td_tanh_s16 and td_lstm_s8.
 *
 * td_lut_s16 is TFLite's LUTLookup: the high 9 bits of an int16 pick one of 512 intervals
 * of a 513-entry table, the low 7 bits interpolate linearly with rounding.
 */
#ifndef TD_16X8_H
#define TD_16X8_H

#include "../td_names.h"

#include <stdint.h>

static inline int32_t td_requant64(int64_t x, int32_t mult, int32_t shift)
{
    const int64_t reduced = mult < 0x7FFF0000 ? (int64_t)((mult + (1 << 15)) >> 16) : 0x7FFF;
    const int total = 15 - (int)shift;
    const int64_t r = (x * reduced + ((int64_t)1 << (total - 1))) >> total;
    return (int32_t)(uint32_t)(uint64_t)r;
}

static inline int32_t td_rescale_s16(int16_t x, int32_t mult, int32_t shift)
{
    const int32_t rnd = shift > 0 ? 1 << (shift - 1) : 0;
    return (x * mult + rnd) >> shift;
}

static inline int16_t td_sigmoid_s16(int32_t v, const uint16_t *table)
{
    const uint32_t mag = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = mag >> 9;
    uint32_t r = 0x7FFFu << 10;                              /* saturated */
    if (uh < 255) {
        const uint32_t ua = table[uh], ub = table[uh + 1];
        r = (ua << 9) + (mag & 0x1FF) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
    return (int16_t)(r >> 10);
}

static inline int16_t td_tanh_from_sigmoid_s16(int32_t v, const uint16_t *table)
{
    const uint32_t mag = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = mag >> 8;
    int32_t r = 0xFFFF << 8;                                 /* saturated */
    if (uh < 255) {
        const uint32_t ua = table[uh], ub = table[uh + 1];
        r = (int32_t)((ua << 8) + (mag & 0xFF) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

static inline int16_t td_lut_s16(int16_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7f;
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(lut[index] + ((slope * offset + 64) >> 7));
}

#endif /* TD_16X8_H */
