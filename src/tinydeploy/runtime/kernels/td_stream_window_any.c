/* td_stream_window_any.c - see td_stream_window_any.h. */
#include "td_stream_window_any.h"

#include <string.h>

void td_stream_window_any(const td_stream_window_any_args_t *args, const void *x,
                          void *window, void *history)
{
    const td_stream_window_any_args_t *a = args;
    const size_t step = (size_t)a->row * (size_t)a->elem_bytes;
    const size_t kept = (size_t)a->hist * step;
    const uint8_t *src = (const uint8_t *)x;
    uint8_t *win = (uint8_t *)window;
    uint8_t *hist = (uint8_t *)history;
    for (int32_t o = 0; o < a->outer; ++o) {
        memcpy(win, hist, kept);               /* the last hist steps, oldest first */
        memcpy(win + kept, src, step);         /* then this step */
        memcpy(hist, win + step, kept);        /* the newest hist steps stay */
        src += step;
        win += kept + step;
        hist += kept;
    }
}
