/* td_signal_fft_auto_scale.c - see td_signal_fft_auto_scale.h. */
#include "td_signal_fft_auto_scale.h"

#include "td_signal_common.h"

void td_signal_fft_auto_scale(const td_signal_fft_auto_scale_args_t *args, const int16_t *x,
                              int16_t *y, int32_t *scale_bits)
{
    int32_t m = 0;               /* TFLM's int16 running value, kept in int16 range */
    int32_t bits;
    for (int32_t i = 0; i < args->size; ++i) {
        int32_t v = x[i];
        if (v > m) {
            m = v;
        } else if (-v > m) {
            m = -v > INT16_MAX ? INT16_MIN : -v;      /* (int16_t)32768 */
        }
    }
    bits = 15 - (int32_t)td_signal_msb32((uint32_t)m);
    if (bits < 0) bits = 0;
    for (int32_t i = 0; i < args->size; ++i) {
        /* |x| <= 2^15, bits <= 15: the product fits int32; keep its low 16 bits */
        uint32_t v = (uint32_t)((int32_t)x[i] * ((int32_t)1 << bits));
        y[i] = (int16_t)((int32_t)(v & 0x7FFFu) - (int32_t)(v & 0x8000u));
    }
    *scale_bits = bits;
}
