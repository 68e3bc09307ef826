/* td_signal_rfft_s32.h - real FFT of int32 frames, bit-exact with TFLite Micro's SignalRfft
 * (int32: signal/src/rfft_int32.cc over kissfft v130 built with FIXED_POINT=32).
 *
 * As td_signal_rfft_s16.h with 32-bit values: products in int64, sround(v) = (int32_t)((v +
 * 2^30) >> 31), stage scaling by 2147483647 / radix, sums stored to int32 wrapping (as
 * TFLM's int additions do on two's-complement targets; here computed in int64 and
 * wrapped), the split's halving (>> 1) of the wrapped int32 sum; twiddles round(2147483647
 * * (cos, sin)). scratch: 4 * fft_length bytes, planned in the arena, 4-byte aligned. One
 * core: with a team, core 0 computes and the others return.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_fft.py; a layer
 * that violates one is refused naming it): those of td_signal_rfft_s16, with the twiddle
 * parts within [-2147483647, 2147483647].
 */
#ifndef TD_SIGNAL_RFFT_S32_H
#define TD_SIGNAL_RFFT_S32_H

#include "../td_names.h"

#include <stdint.h>

#include "opt/td_opt_common.h"

typedef struct {
    int32_t n_frames;
    int32_t input_length;          /* samples per frame, zero-padded to fft_length */
    int32_t fft_length;
    int32_t n_stages;
    const int32_t *factors;        /* [2 * n_stages]: (radix, m) per stage */
    const int32_t *twiddles;       /* [fft_length]: fft_length / 2 (re, im) pairs */
    const int32_t *super_twiddles; /* [2 * (fft_length / 4)]: (re, im) pairs */
} td_signal_rfft_s32_args_t;

void td_signal_rfft_s32(const td_signal_rfft_s32_args_t *args, const int32_t *x, int32_t *y,
                        void *scratch, const td_team_t *team);

#endif /* TD_SIGNAL_RFFT_S32_H */
