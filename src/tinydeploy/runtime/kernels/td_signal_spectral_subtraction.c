/* td_signal_spectral_subtraction.c - see td_signal_spectral_subtraction.h. */
#include "td_signal_spectral_subtraction.h"

void td_signal_spectral_subtraction(const td_signal_spectral_subtraction_args_t *args,
                                    const uint32_t *x, uint32_t *y, uint32_t *noise)
{
    const uint32_t sb = (uint32_t)args->smoothing_bits;
    const uint32_t ssb = (uint32_t)args->spectral_subtraction_bits;
    const uint64_t min_left = (uint32_t)args->min_signal_remaining;
    for (int32_t i = 0; i < args->num_channels; ++i) {
        const int odd = i & 1;
        const uint64_t s = (uint32_t)(odd ? args->alternate_smoothing : args->smoothing);
        const uint64_t oms = (uint32_t)(odd ? args->alternate_one_minus_smoothing
                                            : args->one_minus_smoothing);
        const uint32_t in = x[i];
        const uint32_t up = (uint32_t)(in << sb);
        const uint32_t est = (uint32_t)(((uint64_t)up * s + (uint64_t)noise[i] * oms) >> ssb);
        const uint32_t capped = est > up ? up : est;
        const uint32_t keep = (uint32_t)(((uint64_t)in * min_left) >> ssb);
        const uint32_t left = (up - capped) >> sb;
        noise[i] = args->clamping ? capped : est;
        y[i] = left > keep ? left : keep;
    }
}
