/* td_signal_rfft_s32.c - see td_signal_rfft_s32.h (the arithmetic: td_signal_rfft_impl.h). */
#include "td_signal_rfft_s32.h"

#define TD_RFFT_BITS 32
#define TD_RFFT_T int32_t
#include "td_signal_rfft_impl.h"

void td_signal_rfft_s32(const td_signal_rfft_s32_args_t *args, const int32_t *x, int32_t *y,
                        void *scratch, const td_team_t *team)
{
    int32_t *buf = (int32_t *)scratch;               /* [fft_length]: n (re, im) pairs */
    if (td_team_core(team) != 0) return;
    for (int32_t f = 0; f < args->n_frames; ++f)
        td_rfft_frame(args->input_length, args->fft_length, args->n_stages, args->factors,
                      args->twiddles, args->super_twiddles, x + f * args->input_length,
                      y + f * (args->fft_length + 2), buf);
}
