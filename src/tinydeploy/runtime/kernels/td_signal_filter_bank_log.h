/* td_signal_filter_bank_log.h - channel logarithms of TFLite Micro's signal library
 * (SignalFilterBankLog, signal/src/filter_bank_log.cc and log.cc), bit-exact: v = x[c] <<
 * correction_bits (uint32, the bits shifted out are lost); y[c] = 0 if v <= 1, else
 * min(Log32(v, output_scale), 32767) with TFLM's fixed point natural log: e = msb32(v) - 1,
 * f = (v - 2^e) scaled to 16 fraction bits, s = f >> 9, frac = f + lut[s] + (((lut[s + 1]
 * - lut[s]) * (f - 512 s)) >> 16), log2 = (e << 16) + frac, loge = (45426 * log2 + 2^15)
 * >> 16 (uint64), result = (output_scale * loge + 2^15) >> 16 in uint32 arithmetic (the
 * product wraps modulo 2^32 as TFLM's does). lut: TFLM's 129 corrections (kLogLut),
 * lut[k] = round((log2(1 + k/128) - k/128) * 2^16), computed by the compiler
 * (quant/golden/signal_filter_bank_log.py) and passed as a const array.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, signal_basic.py; a layer
 * that violates one is refused naming it): size > 0; correction_bits in [0, 31];
 * output_scale >= 0; lut of 129 entries (any uint16 values keep every intermediate within
 * its type); buffers of exactly 4 * size bytes in and 2 * size bytes out.
 */
#ifndef TD_SIGNAL_FILTER_BANK_LOG_H
#define TD_SIGNAL_FILTER_BANK_LOG_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;                /* channels */
    int32_t output_scale;
    int32_t correction_bits;     /* input left shift */
    const uint16_t *lut;         /* 129 fraction corrections */
} td_signal_filter_bank_log_args_t;

void td_signal_filter_bank_log(const td_signal_filter_bank_log_args_t *args,
                               const uint32_t *x, int16_t *y);

#endif /* TD_SIGNAL_FILTER_BANK_LOG_H */
