/* td_signal_filter_bank_square_root.h - channel square roots of TFLite Micro's signal
 * library (SignalFilterBankSquareRoot, signal/src/filter_bank_square_root.cc and
 * square_root_64.cc), bit-exact: y[c] = td_signal_sqrt64(x[c]) >> *scale_bits (uint64 ->
 * uint32; the square root rounded to nearest and saturating, td_signal_common.h). The
 * shift is a run-time int32 scalar (the FFT auto-scale's second output, in [0, 15]); a
 * count outside [0, 31] is undefined in TFLM's C++, and its host build shifts by the count
 * mod 32: so does this kernel (as x86's and RV32's shift instructions do).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_basic.py; a layer
 * that violates one is refused naming it): size > 0; buffers of exactly 8 * size bytes in,
 * one int32 of scale_bits and 4 * size bytes out.
 */
#ifndef TD_SIGNAL_FILTER_BANK_SQUARE_ROOT_H
#define TD_SIGNAL_FILTER_BANK_SQUARE_ROOT_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;                /* channels */
} td_signal_filter_bank_square_root_args_t;

void td_signal_filter_bank_square_root(const td_signal_filter_bank_square_root_args_t *args,
                                       const uint64_t *x, const int32_t *scale_bits,
                                       uint32_t *y);

#endif /* TD_SIGNAL_FILTER_BANK_SQUARE_ROOT_H */
