/* td_signal_rfft_s16.c - see td_signal_rfft_s16.h (the arithmetic: td_signal_rfft_impl.h). */
#include "td_signal_rfft_s16.h"

#define TD_RFFT_BITS 16
#define TD_RFFT_T int16_t
#include "td_signal_rfft_impl.h"

void td_signal_rfft_s16(const td_signal_rfft_s16_args_t *args, const int16_t *x, int16_t *y,
                        void *scratch, const td_team_t *team)
{
    int16_t *buf = (int16_t *)scratch;               /* [fft_length]: n (re, im) pairs */
    if (td_team_core(team) != 0) return;
    for (int32_t f = 0; f < args->n_frames; ++f)
        td_rfft_frame(args->input_length, args->fft_length, args->n_stages, args->factors,
                      args->twiddles, args->super_twiddles, x + f * args->input_length,
                      y + f * (args->fft_length + 2), buf);
}
