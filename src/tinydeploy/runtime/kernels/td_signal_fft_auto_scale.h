/* td_signal_fft_auto_scale.h - FFT input auto-scaling of TFLite Micro's signal library
 * (SignalFftAutoScale, signal/src/fft_auto_scale.cc with max_abs.cc's reference MaxAbs16),
 * bit-exact: m = an int16 running maximum over x (m = v if v > m, else m = (int16)-v if
 * -v > m; a -32768 wraps it to -32768 and the next values reset it, as TFLM's does);
 * *scale_bits = max(0, 15 - msb32((uint32)m)) (msb32(0) = 32, a negative m gives 0 bits);
 * y[i] = (int16)(x[i] << *scale_bits), wrapping (two's complement) as TFLM's does.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_basic.py; a layer
 * that violates one is refused naming it): size > 0; buffers of exactly 2 * size bytes in
 * and out; scale_bits one int32.
 */
#ifndef TD_SIGNAL_FFT_AUTO_SCALE_H
#define TD_SIGNAL_FFT_AUTO_SCALE_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
} td_signal_fft_auto_scale_args_t;

void td_signal_fft_auto_scale(const td_signal_fft_auto_scale_args_t *args, const int16_t *x,
                              int16_t *y, int32_t *scale_bits);

#endif /* TD_SIGNAL_FFT_AUTO_SCALE_H */
