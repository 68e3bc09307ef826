/* td_signal_rfft_s16.h - real FFT of int16 frames, bit-exact with TFLite Micro's SignalRfft
 * (int16: signal/src/rfft_int16.cc over kissfft v130 built with FIXED_POINT=16).
 *
 * For each of n_frames frames of input_length samples (zero-padded to fft_length): a
 * complex FFT of n = fft_length / 2 points over the (even, odd) sample pairs, then kiss_fftr's
 * split into fft_length / 2 + 1 bins, written interleaved (re, im) to y[frame][0 ..
 * fft_length + 1]. Arithmetic (kissfft's _kiss_fft_guts.h for 16 bits): products in int32,
 * sround(v) = (int16_t)((v + 2^14) >> 15), each stage first scales its inputs by
 * sround(v * (32767 / radix)), complex products round each part once, sums are stored to
 * int16 (wrapping as the C conversions do on two's-complement targets); the split halves
 * the int sums (>> 1). The result is the DFT / fft_length, rounded stage by stage.
 *
 * The tables are kissfft's init, computed by the compiler (quant/golden/_kissfft.py):
 * factors[2 * s], factors[2 * s + 1] = (radix p, m) of stage s (p * m = the previous m,
 * the first p * m = n; radices 2, 3, 4, 5), twiddles[2 * i], [2 * i + 1] = round(32767 *
 * (cos, sin)(-2 pi i / n)) for i < n, super_twiddles for i < n / 2 = round(32767 * (cos,
 * sin)(-pi ((i + 1) / n + 1/2))). No libm.
 *
 * scratch: 2 * fft_length bytes (the complex FFT's n (re, im) int16 values), planned in
 * the arena; its start must be 2-byte aligned. The kernel runs on one core: with a team,
 * core 0 computes and the others return.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_fft.py; a layer
 * that violates one is refused naming it): fft_length even, >= 4 and <= 65536; 1 <=
 * input_length <= fft_length; n_frames >= 1 and the element counts within int32; factors
 * as described (at most 16 stages, radices in {2, 3, 4, 5}, p * m = the previous m,
 * ending at m = 1); the tables' sizes as above, their parts within [-32767, 32767] (so no
 * int32 sum of two products overflows).
 */
#ifndef TD_SIGNAL_RFFT_S16_H
#define TD_SIGNAL_RFFT_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "opt/td_opt_common.h"

typedef struct {
    int32_t n_frames;
    int32_t input_length;          /* samples per frame, zero-padded to fft_length */
    int32_t fft_length;
    int32_t n_stages;
    const int32_t *factors;        /* [2 * n_stages]: (radix, m) per stage */
    const int16_t *twiddles;       /* [fft_length]: fft_length / 2 (re, im) pairs */
    const int16_t *super_twiddles; /* [2 * (fft_length / 4)]: (re, im) pairs */
} td_signal_rfft_s16_args_t;

void td_signal_rfft_s16(const td_signal_rfft_s16_args_t *args, const int16_t *x, int16_t *y,
                        void *scratch, const td_team_t *team);

#endif /* TD_SIGNAL_RFFT_S16_H */
