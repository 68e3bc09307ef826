/* td_lstm_impl.h - the body of TFLite Micro's integer LSTM (td_lstm_s8.h explains the
 * arithmetic), shared by td_lstm_s8.c and td_lstm_s16.c, which define before including
 * it (and define the kernel itself, calling td_lstm_run):
 *   TD_LSTM_ARGS   its args struct type
 *   TD_LSTM_T      activation type (x, h, y)  TD_LSTM_BIAS  bias type
 *   TD_LSTM_ACC    fully-connected sum type   TD_LSTM_RQ    its requantization (acc, m, s)
 *   TD_LSTM_MIN, TD_LSTM_MAX                  the activation type's range
 * Every function here is static: each kernel file gets its own copy.
 */
#ifndef TD_LSTM_IMPL_H
#define TD_LSTM_IMPL_H

#include "td_16x8.h"
#include "td_common.h"

typedef struct {
    const int8_t *wx;
    const int8_t *wh;
    const TD_LSTM_BIAS *bias;
} td_lstm_gate_t;

static int16_t td_lstm_sat16(int32_t v)
{
    return (int16_t)td_clamp(v, -32768, 32767);
}

/* out[r][s] = act(sat16(fc_x + fc_h)) for `rows` state rows. */
static void td_lstm_gate(const TD_LSTM_ARGS *a, int k, const td_lstm_gate_t *g, int32_t rows,
                         const TD_LSTM_T *x, const TD_LSTM_T *h, int sigmoid, int16_t *out)
{
    const int32_t n_in = a->n_input, n_s = a->n_state;
    for (int32_t r = 0; r < rows; ++r) {
        const TD_LSTM_T *xr = x + r * n_in, *hr = h + r * n_s;
        for (int32_t s = 0; s < n_s; ++s) {
            const int8_t *wx = g->wx + s * n_in, *wh = g->wh + s * n_s;
            TD_LSTM_ACC ax = g->bias[s], ah = 0;
            for (int32_t j = 0; j < n_in; ++j) ax += (TD_LSTM_ACC)wx[j] * (xr[j] + a->x_offset);
            for (int32_t j = 0; j < n_s; ++j) ah += (TD_LSTM_ACC)wh[j] * (hr[j] + a->h_offset);
            const int32_t vx = td_lstm_sat16(TD_LSTM_RQ(ax, a->x_mult[k], a->x_shift[k]));
            const int32_t vh = td_lstm_sat16(TD_LSTM_RQ(ah, a->h_mult[k], a->h_shift[k]));
            const int32_t v = td_rescale_s16(td_lstm_sat16(vx + vh), 3, 0);   /* Q3.12 */
            out[r * n_s + s] = sigmoid ? td_sigmoid_s16(v, a->table)
                                       : td_tanh_from_sigmoid_s16(v, a->table);
        }
    }
}

static void td_lstm_step(const TD_LSTM_ARGS *a, const td_lstm_gate_t *gates, int32_t rows,
                         const TD_LSTM_T *x, TD_LSTM_T *h, int16_t *c, TD_LSTM_T *y,
                         int16_t *buf)
{
    const int32_t n = rows * a->n_state;
    int16_t *ig = buf, *fg = buf + n, *cg = buf + 2 * n, *og = buf + 3 * n;
    td_lstm_gate(a, 0, &gates[0], rows, x, h, 1, ig);
    td_lstm_gate(a, 1, &gates[1], rows, x, h, 1, fg);
    td_lstm_gate(a, 2, &gates[2], rows, x, h, a->cell_sigmoid, cg);
    td_lstm_gate(a, 3, &gates[3], rows, x, h, 1, og);    /* h is only updated below */
    for (int32_t i = 0; i < n; ++i) {
        int32_t v = td_lstm_sat16(td_requant(fg[i] * c[i], a->f_mult, a->f_shift));
        v = td_lstm_sat16(v + td_lstm_sat16(td_requant(ig[i] * cg[i], a->i_mult, a->i_shift)));
        if (a->clip) v = td_clamp(v, -a->cell_clip, a->cell_clip);
        c[i] = (int16_t)v;
        const int32_t t = td_tanh_from_sigmoid_s16(
            td_rescale_s16(c[i], a->tanh_mult, a->tanh_shift), a->table);
        const int32_t o = td_requant(t * og[i], a->o_mult, a->o_shift) + a->h_zp;
        h[i] = (TD_LSTM_T)td_clamp(o, TD_LSTM_MIN, TD_LSTM_MAX);
        y[i] = h[i];
    }
}

/* the kernel: every step of every sequence (gates: input, forget, cell, output) */
static void td_lstm_run(const TD_LSTM_ARGS *args, const td_lstm_gate_t *gates,
                        const TD_LSTM_T *x, TD_LSTM_T *y, TD_LSTM_T *h, int16_t *c,
                        void *scratch, const td_team_t *team)
{
    const int32_t n_in = args->n_input, n_s = args->n_state;
    int16_t *buf = (int16_t *)scratch;
    if (td_team_core(team) != 0) return;
    if (args->time_major) {
        const int32_t rows = args->n_batch;
        for (int32_t t = 0; t < args->n_time; ++t)
            td_lstm_step(args, gates, rows, x + t * rows * n_in, h, c, y + t * rows * n_s, buf);
        return;
    }
    for (int32_t b = 0; b < args->n_batch; ++b) {
        for (int32_t t = 0; t < args->n_time; ++t) {
            const int32_t row = b * args->n_time + t;
            td_lstm_step(args, gates, 1, x + row * n_in, h + b * n_s, c + b * n_s,
                         y + row * n_s, buf);
        }
    }
}

#endif /* TD_LSTM_IMPL_H */
