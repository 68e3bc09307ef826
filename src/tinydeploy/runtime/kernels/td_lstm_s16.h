/* td_lstm_s16.h - 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM, bit-exact with TFLite Micro's integer
 * LSTM in 16x8 mode: int16 activations (x, h, y; zero point 0), int8 weights, int64 bias,
 * int16 cell state. The arithmetic is td_lstm_s8's (see td_lstm_s8.h) except that the
 * fully-connected sums are int64 and requantized by td_requant64 (TFLite's 64-bit
 * MultiplyByQuantizedMultiplier), and h is clamped to int16. The args struct is
 * td_lstm_s8's; state, scratch and team as there.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, recurrent.py; a layer that
 * violates one is refused naming it): those of td_lstm_s8, with offsets and zero points 0,
 * fully-connected shifts in [-31, 7] and both sums below 2^47 for these weights and biases.
 */
#ifndef TD_LSTM_S16_H
#define TD_LSTM_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_lstm_s8.h"

typedef td_lstm_s8_args_t td_lstm_s16_args_t;

void td_lstm_s16(const td_lstm_s16_args_t *args, const int16_t *x,
                 const int8_t *w_xi, const int8_t *w_xf, const int8_t *w_xc, const int8_t *w_xo,
                 const int8_t *w_hi, const int8_t *w_hf, const int8_t *w_hc, const int8_t *w_ho,
                 const int64_t *b_i, const int64_t *b_f, const int64_t *b_c, const int64_t *b_o,
                 int16_t *y, int16_t *h, int16_t *c, void *scratch, const td_team_t *team);

#endif /* TD_LSTM_S16_H */
