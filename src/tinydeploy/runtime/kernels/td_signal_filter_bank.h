/* td_signal_filter_bank.h - triangular (mel) filter bank over uint32 energies, bit-exact
 * with TFLite Micro's SignalFilterBank (signal/src/filter_bank.cc,
 * FilterbankAccumulateChannels, with the micro kernel dropping its element 0).
 *
 * Channel i (0 <= i <= num_channels) reads widths[i] energies x[freq_starts[i] + j] and the
 * weights and unweights at weight_starts[i] + j; W(i) = sum weights[.] * x[.], U(i) = sum
 * unweights[.] * x[.], each int16 weight converted to uint64 (a negative one wraps), each
 * product and sum modulo 2^64. y[c] = W(c + 1) + U(c) for c < n_out. A channel of width
 * <= 0 reads nothing. No scratch: the two running accumulators suffice.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_fft.py; a layer
 * that violates one is refused naming it): 1 <= n_out <= num_channels; the three channel
 * tables hold at least num_channels + 1 entries; for every channel of positive width,
 * [freq_starts[i], freq_starts[i] + widths[i]) lies within the n_input energies and
 * [weight_starts[i], weight_starts[i] + widths[i]) within both weight tables (the tables
 * are constants, validated when the layer is compiled).
 */
#ifndef TD_SIGNAL_FILTER_BANK_H
#define TD_SIGNAL_FILTER_BANK_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t num_channels;
    int32_t n_out;               /* channels written, <= num_channels */
    int32_t n_input;             /* energies in x */
    int32_t n_weights;
    int32_t n_unweights;
    int32_t n_freq_starts;       /* lengths of the channel tables, >= num_channels + 1 */
    int32_t n_weight_starts;
    int32_t n_widths;
} td_signal_filter_bank_args_t;

void td_signal_filter_bank(const td_signal_filter_bank_args_t *args, const uint32_t *x,
                           const int16_t *weights, const int16_t *unweights,
                           const int16_t *freq_starts, const int16_t *weight_starts,
                           const int16_t *widths, uint64_t *y);

#endif /* TD_SIGNAL_FILTER_BANK_H */
