/* td_signal_pcan.c - see td_signal_pcan.h. */
#include "td_signal_pcan.h"

#include "td_signal_common.h"

/* TFLM's WideDynamicFunction: the int16 gain of noise estimate n */
static inline int16_t td_pcan_gain(uint32_t n, const int16_t *lut)
{
    if (n <= 2) return lut[n];
    const int32_t k = (int32_t)td_signal_msb32(n);         /* 2..32 */
    const int16_t *l = lut + 4 * k - 6;
    const int32_t frac = (int32_t)((k < 11 ? n << (11 - k) : n >> (k - 11)) & 0x3FFu);
    /* |l2 * frac >> 5| + |32 l1| < 2^21 and frac < 2^10: the product stays below 2^31 */
    int32_t r = ((int32_t)l[2] * frac) >> 5;
    r += (int32_t)l[1] * 32;
    r *= frac;
    r = ((r + (1 << 14)) >> 15) + l[0];
    return (int16_t)r;
}

void td_signal_pcan(const td_signal_pcan_args_t *args, const uint32_t *x,
                    const uint32_t *noise, const int16_t *lut, uint32_t *y)
{
    const uint32_t shift = (uint32_t)args->snr_shift;
    for (int32_t i = 0; i < args->num_channels; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)td_pcan_gain(noise[i], lut);
        const uint32_t snr = (uint32_t)(((uint64_t)x[i] * gain) >> shift);
        y[i] = snr < (2u << 12) ? (snr * snr) >> 20 : (snr >> 6) - (1u << 6);
    }
}
