/* td_lstm_f32.h - float32 UNIDIRECTIONAL_SEQUENCE_LSTM, as TFLite Micro's float LSTM
 * (LstmStep<float, float, float, float>) computes it (quant/golden/float32/lstm.py).
 *
 * Per step, state row r and unit j, for each gate k (input, forget, cell, output):
 * xk = fin(sum_d x[d] * w_xk[j, d] + b_k[j]) and hk = fin(sum_d h[d] * w_hk[j, d] + 0.0f)
 * (TFLite's float FullyConnected: the sum from 0.0f in increasing d, then the bias; the
 * recurrent one has none; fin: its clamp to [-FLT_MAX, FLT_MAX]), gate = act(xk + hk)
 * with TFLite's float Logistic (1.0f above 16.619047164916992188f, expf(v) below -9.0f,
 * else 1.0f / (1.0f + expf(-v))) for i, f, o and tanhf for the cell gate (the Logistic
 * if cell_sigmoid). Then c = fin(f * c) + fin(i * g), clipped to [-cell_clip, cell_clip]
 * when cell_clip > 0; h = fin(tanhf(c) * o); the step's output row is h (each gate reads
 * the step's old h). Batch-major input [B, T, I]: each batch row runs all its steps;
 * time-major [T, B, I]: all rows step by step. Every float operation is one C operation
 * (C99 without contraction: no fused multiply-add).
 *
 * The state h [B, S] and c [B, S] is read and updated in place: it lives in memory the
 * network keeps across calls (reset to 0 by the network's _reset()). No scratch: a step's
 * new h is written to its output row first, then copied to h. y must not overlap x, h or
 * c.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, recurrent_f32.py): dims
 * > 0, element counts within int32; cell_clip finite and >= 0; weights [S, I] (input) and
 * [S, S] (recurrent), biases [S], buffers of exactly these sizes.
 */
#ifndef TD_LSTM_F32_H
#define TD_LSTM_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n_batch;
    int32_t n_time;
    int32_t n_input;
    int32_t n_state;
    int32_t time_major;          /* 1: x is [T, B, I] */
    int32_t cell_sigmoid;        /* 1: the cell gate uses sigmoid */
    float cell_clip;             /* > 0: clip c to [-cell_clip, cell_clip] */
} td_lstm_f32_args_t;

void td_lstm_f32(const td_lstm_f32_args_t *args, const float *x,
                 const float *w_xi, const float *w_xf, const float *w_xc, const float *w_xo,
                 const float *w_hi, const float *w_hf, const float *w_hc, const float *w_ho,
                 const float *b_i, const float *b_f, const float *b_c, const float *b_o,
                 float *y, float *h, float *c);

#endif /* TD_LSTM_F32_H */
