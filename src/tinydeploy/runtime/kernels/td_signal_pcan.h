/* td_signal_pcan.h - per-channel automatic gain control (PCAN) of a uint32 filter bank,
 * bit-exact with TFLite Micro's ApplyPcanAutoGainControlFixed (signal library, the
 * micro_speech front end).
 *
 * For each channel i < num_channels, with n = noise[i]:
 *   gain = n <= 2 ? lut[n] : the interpolation of TFLM's WideDynamicFunction over the LUT
 *          entries 4k - 6 .. 4k - 4, k = msb(n) (the 1-based top bit index, 3..32): with
 *          frac = (k < 11 ? n << (11 - k) : n >> (k - 11)) & 0x3FF,
 *          r = ((((lut2 * frac) >> 5) + 32 * lut1) * frac + 2^14) >> 15) + lut0, as int16;
 *          the int16 gain is sign-extended to uint32 (as TFLM converts it)
 *   snr = (uint32)(((uint64)x[i] * gain) >> snr_shift)
 *   y[i] = snr < 2^13 ? (snr * snr) >> 20 : (snr >> 6) - 64      (TFLM's PcanShrink)
 * Each channel is read before it is written, so y may share x's buffer.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_noise.py; a layer that
 * violates one is refused naming it): num_channels > 0, x, noise and y hold num_channels
 * values; lut holds lut_size >= 125 int16 entries (the largest index a uint32 noise
 * estimate reaches is 124); snr_shift in [0, 31].
 */
#ifndef TD_SIGNAL_PCAN_H
#define TD_SIGNAL_PCAN_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t num_channels;
    int32_t lut_size;            /* entries of lut (>= 125) */
    int32_t snr_shift;
} td_signal_pcan_args_t;

void td_signal_pcan(const td_signal_pcan_args_t *args, const uint32_t *x,
                    const uint32_t *noise, const int16_t *lut, uint32_t *y);

#endif /* TD_SIGNAL_PCAN_H */
