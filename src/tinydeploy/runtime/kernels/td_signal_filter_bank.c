/* td_signal_filter_bank.c - see td_signal_filter_bank.h. */
#include "td_signal_filter_bank.h"

void td_signal_filter_bank(const td_signal_filter_bank_args_t *args, const uint32_t *x,
                           const int16_t *weights, const int16_t *unweights,
                           const int16_t *freq_starts, const int16_t *weight_starts,
                           const int16_t *widths, uint64_t *y)
{
    uint64_t acc = 0;            /* W(i) + U(i - 1) */
    for (int32_t i = 0; i <= args->n_out; ++i) {
        uint64_t next = 0;       /* U(i) */
        if (widths[i] > 0) {     /* (a channel of no width may hold any start) */
            const uint32_t *xs = x + freq_starts[i];
            const int16_t *w = weights + weight_starts[i], *u = unweights + weight_starts[i];
            for (int32_t j = 0; j < widths[i]; ++j) {
                acc += (uint64_t)w[j] * xs[j];
                next += (uint64_t)u[j] * xs[j];
            }
        }
        if (i > 0) y[i - 1] = acc;
        acc = next;
    }
}
