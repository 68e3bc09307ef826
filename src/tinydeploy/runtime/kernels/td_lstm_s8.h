/* td_lstm_s8.h - int8 UNIDIRECTIONAL_SEQUENCE_LSTM, bit-exact with TFLite Micro's integer
 * LSTM (8-bit activations and weights, 32-bit bias, 16-bit cell state).
 *
 * Per step and gate k (input, forget, cell, output): two int8 fully-connected layers to
 * int16 Q3.12, x_t with bias and the hidden state h without, each requantized by its
 * (x_mult, x_shift)[k] / (h_mult, h_shift)[k] and clamped to int16, summed with
 * saturation, then the int16 sigmoid (tanh for the cell gate unless cell_sigmoid) ->
 * Q0.15. c = sat16(requant(f * c)) + sat16(requant(i * g)), saturated (then clipped to
 * +-cell_clip if clip); h = clamp8(requant(tanh_c(c) * o) + h_zp), tanh_c rescaling c by
 * (tanh_mult, tanh_shift); the step's output row is h. Batch-major input [B, T, I]: each
 * batch row runs all its steps; time-major [T, B, I]: all rows step by step.
 *
 * The state h [B, S] (int8) and c [B, S] (int16) is read and updated in place: it lives
 * in memory the network keeps across calls (reset by the network's _reset()). scratch:
 * four int16 buffers of rows * S (rows = B if time_major else 1), planned in the arena.
 * The kernel runs on one core: with a team, core 0 computes and the others return.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, recurrent.py; a layer that
 * violates one is refused naming it): dims > 0, element counts within int32; weights
 * [S, I] (input) and [S, S] (recurrent); offsets of int8; every multiplier 0 or in
 * [2^30, 2^31), shifts within td_requant's range; both fully-connected sums within int32
 * for these weights and biases; the cell rescale within int32; a 256-entry table.
 */
#ifndef TD_LSTM_S8_H
#define TD_LSTM_S8_H

#include "../td_names.h"

#include <stdint.h>

#include "opt/td_opt_common.h"

typedef struct {
    int32_t n_batch;
    int32_t n_time;
    int32_t n_input;
    int32_t n_state;
    int32_t time_major;          /* 1: x is [T, B, I] */
    int32_t x_offset;            /* -zero point of x */
    int32_t h_offset;            /* -zero point of h */
    int32_t h_zp;                /* zero point of h */
    int32_t cell_sigmoid;        /* 1: the cell gate uses sigmoid */
    int32_t f_mult;              /* f * c -> c */
    int32_t f_shift;
    int32_t i_mult;              /* i * g -> c */
    int32_t i_shift;
    int32_t o_mult;              /* tanh(c) * o -> h */
    int32_t o_shift;
    int32_t tanh_mult;           /* rescale of c into the tanh */
    int32_t tanh_shift;
    int32_t clip;                /* 1: clip c to [-cell_clip, cell_clip] */
    int32_t cell_clip;
    const int32_t *x_mult;       /* [4] per gate i, f, g, o */
    const int32_t *x_shift;
    const int32_t *h_mult;
    const int32_t *h_shift;
    const uint16_t *table;       /* [256] sigmoid(i / 24) in 0.16 */
} td_lstm_s8_args_t;

void td_lstm_s8(const td_lstm_s8_args_t *args, const int8_t *x,
                const int8_t *w_xi, const int8_t *w_xf, const int8_t *w_xc, const int8_t *w_xo,
                const int8_t *w_hi, const int8_t *w_hf, const int8_t *w_hc, const int8_t *w_ho,
                const int32_t *b_i, const int32_t *b_f, const int32_t *b_c, const int32_t *b_o,
                int8_t *y, int8_t *h, int16_t *c, void *scratch, const td_team_t *team);

#endif /* TD_LSTM_S8_H */
