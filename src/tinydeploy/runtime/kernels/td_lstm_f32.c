/* td_lstm_f32.c - see td_lstm_f32.h. */
#include "td_lstm_f32.h"

#include <float.h>
#include <math.h>

/* TFLite's ActivationFunctionWithMinMax for kTfLiteActNone: min(max(v, -FLT_MAX), FLT_MAX) */
static float fin(float v)
{
    const float m = v < -FLT_MAX ? -FLT_MAX : v;
    return FLT_MAX < m ? FLT_MAX : m;
}

/* TFLite's reference float Logistic */
static float sigmoid(float v)
{
    if (v > 16.619047164916992188f) return 1.0f;
    if (v < -9.0f) return expf(v);
    return 1.0f / (1.0f + expf(-v));
}

/* a fully-connected output: the sum from 0.0f in increasing d, then the bias */
static float dot(const float *v, const float *w, int32_t n, float bias)
{
    float acc = 0.0f;
    for (int32_t d = 0; d < n; ++d) acc += v[d] * w[d];
    return fin(acc + bias);
}

typedef struct {
    const float *wx, *wh, *b;
} td_lstm_f32_gate_t;

/* one step on rows state rows: x [rows, I], h and c [rows, S]; the new h to y [rows, S] */
static void step(const td_lstm_f32_args_t *a, const td_lstm_f32_gate_t *gates, int32_t rows,
                 const float *x, float *h, float *c, float *y)
{
    const int32_t n_in = a->n_input, n_s = a->n_state;
    const float clip = a->cell_clip;
    for (int32_t r = 0; r < rows; ++r) {
        const float *xr = x + r * n_in, *hr = h + r * n_s;
        for (int32_t j = 0; j < n_s; ++j) {
            float gate[4];
            for (int32_t k = 0; k < 4; ++k) {
                const td_lstm_f32_gate_t *g = &gates[k];
                const float v = dot(xr, g->wx + j * n_in, n_in, g->b[j]) +
                                dot(hr, g->wh + j * n_s, n_s, 0.0f);
                gate[k] = (k == 2 && !a->cell_sigmoid) ? tanhf(v) : sigmoid(v);
            }
            float cv = fin(gate[1] * c[r * n_s + j]) + fin(gate[0] * gate[2]);
            if (clip > 0.0f) {
                const float m = cv < clip ? cv : clip;      /* std::min(clip, cv) */
                cv = m < -clip ? -clip : m;                 /* std::max(m, -clip) */
            }
            c[r * n_s + j] = cv;
            y[r * n_s + j] = fin(tanhf(cv) * gate[3]);
        }
    }
    for (int32_t i = 0; i < rows * n_s; ++i) h[i] = y[i];
}

void td_lstm_f32(const td_lstm_f32_args_t *args, const float *x,
                 const float *w_xi, const float *w_xf, const float *w_xc, const float *w_xo,
                 const float *w_hi, const float *w_hf, const float *w_hc, const float *w_ho,
                 const float *b_i, const float *b_f, const float *b_c, const float *b_o,
                 float *y, float *h, float *c)
{
    const td_lstm_f32_gate_t gates[4] = {{w_xi, w_hi, b_i}, {w_xf, w_hf, b_f},
                                         {w_xc, w_hc, b_c}, {w_xo, w_ho, b_o}};
    const int32_t n_in = args->n_input, n_s = args->n_state;
    if (args->time_major) {
        const int32_t rows = args->n_batch;
        for (int32_t t = 0; t < args->n_time; ++t)
            step(args, gates, rows, x + t * rows * n_in, h, c, y + t * rows * n_s);
        return;
    }
    for (int32_t b = 0; b < args->n_batch; ++b) {
        for (int32_t t = 0; t < args->n_time; ++t) {
            const int32_t row = b * args->n_time + t;
            step(args, gates, 1, x + row * n_in, h + b * n_s, c + b * n_s, y + row * n_s);
        }
    }
}
