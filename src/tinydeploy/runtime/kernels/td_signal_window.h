/* td_signal_window.h - int16 window of TFLite Micro's signal library (SignalWindow,
 * signal/src/window.cc), bit-exact: the input is walked flat in chunks of the window's
 * length, y[i] = clamp16((x[i] * w[i mod window]) >> shift) with the int32 product and an
 * arithmetic right shift.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_basic.py; a layer
 * that violates one is refused naming it): window > 0, size > 0 a multiple of window
 * (within int32); shift in [0, 31]; buffers of exactly 2 * size bytes in and out and
 * 2 * window bytes of window.
 */
#ifndef TD_SIGNAL_WINDOW_H
#define TD_SIGNAL_WINDOW_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;                /* input (= output) elements */
    int32_t window;              /* window length */
    int32_t shift;
} td_signal_window_args_t;

void td_signal_window(const td_signal_window_args_t *args, const int16_t *x,
                      const int16_t *w, int16_t *y);

#endif /* TD_SIGNAL_WINDOW_H */
