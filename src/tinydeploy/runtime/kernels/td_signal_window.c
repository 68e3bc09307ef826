/* td_signal_window.c - see td_signal_window.h. */
#include "td_signal_window.h"

void td_signal_window(const td_signal_window_args_t *args, const int16_t *x,
                      const int16_t *w, int16_t *y)
{
    for (int32_t base = 0; base < args->size; base += args->window) {
        for (int32_t i = 0; i < args->window; ++i) {
            int32_t raw = ((int32_t)x[base + i] * w[i]) >> args->shift;
            y[base + i] = (int16_t)(raw < INT16_MIN ? INT16_MIN
                                    : raw > INT16_MAX ? INT16_MAX : raw);
        }
    }
}
