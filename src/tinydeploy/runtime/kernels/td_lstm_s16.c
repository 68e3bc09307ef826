/* td_lstm_s16.c - see td_lstm_s16.h; the body is td_lstm_impl.h. */
#include "td_lstm_s16.h"

#define TD_LSTM_ARGS td_lstm_s16_args_t
#define TD_LSTM_T int16_t
#define TD_LSTM_BIAS int64_t
#define TD_LSTM_ACC int64_t
#define TD_LSTM_RQ td_requant64
#define TD_LSTM_MIN (-32768)
#define TD_LSTM_MAX 32767
#include "td_lstm_impl.h"

void td_lstm_s16(const td_lstm_s16_args_t *args, const int16_t *x,
                 const int8_t *w_xi, const int8_t *w_xf, const int8_t *w_xc, const int8_t *w_xo,
                 const int8_t *w_hi, const int8_t *w_hf, const int8_t *w_hc, const int8_t *w_ho,
                 const int64_t *b_i, const int64_t *b_f, const int64_t *b_c, const int64_t *b_o,
                 int16_t *y, int16_t *h, int16_t *c, void *scratch, const td_team_t *team)
{
    const td_lstm_gate_t gates[4] = {{w_xi, w_hi, b_i}, {w_xf, w_hf, b_f}, {w_xc, w_hc, b_c},
                                     {w_xo, w_ho, b_o}};
    td_lstm_run(args, gates, x, y, h, c, scratch, team);
}
