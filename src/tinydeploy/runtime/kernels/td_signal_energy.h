/* td_signal_energy.h - spectrum power of TFLite Micro's signal library (SignalEnergy,
 * signal/src/energy.cc), bit-exact: for an int16 spectrum interleaved (re, im),
 * y[k] = re[k]^2 + im[k]^2 (uint32) for start_index <= k < end_index. TFLM leaves the
 * other output elements unwritten; this kernel writes 0 there.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_basic.py; a layer
 * that violates one is refused naming it): in_size > 0, size > 0; 0 <= start_index <=
 * end_index, and end_index <= size and <= in_size / 2 when it writes any bin; buffers of
 * exactly 2 * in_size bytes in and 4 * size bytes out.
 */
#ifndef TD_SIGNAL_ENERGY_H
#define TD_SIGNAL_ENERGY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t in_size;             /* int16 elements of the spectrum (2 per bin) */
    int32_t size;                /* output elements */
    int32_t start_index;
    int32_t end_index;           /* one past the last bin written */
} td_signal_energy_args_t;

void td_signal_energy(const td_signal_energy_args_t *args, const int16_t *x, uint32_t *y);

#endif /* TD_SIGNAL_ENERGY_H */
