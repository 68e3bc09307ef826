/* td_softmax_s8_s16.h - int8-input softmax with an int16 output (scale 1/65536, zero point
 * -32768), bit-exact with TFLite's reference quantized Softmax for that type pair: the
 * arithmetic of td_softmax_s8.h, each output exp * (1 / sum) rounded to 16 fractional bits;
 * flushed entries output -32768.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, elementwise.py; a layer
 * that violates one is refused naming it): those of td_softmax_s8.h; the output buffer of
 * exactly 2*outer*depth bytes.
 */
#ifndef TD_SOFTMAX_S8_S16_H
#define TD_SOFTMAX_S8_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_softmax_s8.h"

/* The args of td_softmax_s8.h. */
typedef td_softmax_s8_args_t td_softmax_s8_s16_args_t;

void td_softmax_s8_s16(const td_softmax_s8_s16_args_t *args, const int8_t *x, int16_t *out);

#endif /* TD_SOFTMAX_S8_S16_H */
