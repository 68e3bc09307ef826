/* td_signal_spectral_subtraction.h - noise reduction of a uint32 filter bank, bit-exact with
 * TFLite Micro's FilterbankSpectralSubtraction (signal library, the micro_speech front end).
 *
 * For each channel i < num_channels, with s / oms = smoothing / one_minus_smoothing on even
 * channels and alternate_smoothing / alternate_one_minus_smoothing on odd ones (the int32
 * members converted to uint32, as TFLM holds them):
 *   up = x[i] << smoothing_bits                                  (uint32, wraps)
 *   noise[i] = (uint32)((up * s + noise[i] * oms) >> spectral_subtraction_bits)  (uint64)
 *   est = min(noise[i], up); with clamping, noise[i] = est
 *   floor = (uint32)((x[i] * min_signal_remaining) >> spectral_subtraction_bits)  (uint64)
 *   y[i] = max((up - est) >> smoothing_bits, floor)
 * noise (num_channels uint32) is the state: read and updated in place, it lives in memory
 * the network keeps across calls (set to 0 by the network's _reset()). Each channel is read
 * before it is written, so y may share x's buffer.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_noise.py; a layer that
 * violates one is refused naming it): num_channels > 0 and every buffer holds exactly
 * num_channels values; smoothing_bits and spectral_subtraction_bits in [0, 31]; clamping
 * 0 or 1.
 */
#ifndef TD_SIGNAL_SPECTRAL_SUBTRACTION_H
#define TD_SIGNAL_SPECTRAL_SUBTRACTION_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t num_channels;
    int32_t smoothing;                       /* even channels, Q smoothing_bits */
    int32_t one_minus_smoothing;
    int32_t alternate_smoothing;             /* odd channels */
    int32_t alternate_one_minus_smoothing;
    int32_t smoothing_bits;
    int32_t spectral_subtraction_bits;
    int32_t min_signal_remaining;            /* Q spectral_subtraction_bits */
    int32_t clamping;                        /* 0/1: keep the noise estimate <= the signal */
} td_signal_spectral_subtraction_args_t;

void td_signal_spectral_subtraction(const td_signal_spectral_subtraction_args_t *args,
                                    const uint32_t *x, uint32_t *y, uint32_t *noise);

#endif /* TD_SIGNAL_SPECTRAL_SUBTRACTION_H */
