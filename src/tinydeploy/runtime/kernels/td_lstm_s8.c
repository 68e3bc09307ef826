/* td_lstm_s8.c - see td_lstm_s8.h; the body is td_lstm_impl.h. */
#include "td_lstm_s8.h"

#define TD_LSTM_ARGS td_lstm_s8_args_t
#define TD_LSTM_T int8_t
#define TD_LSTM_BIAS int32_t
#define TD_LSTM_ACC int32_t
#define TD_LSTM_RQ td_requant
#define TD_LSTM_MIN (-128)
#define TD_LSTM_MAX 127
#include "td_lstm_impl.h"

void td_lstm_s8(const td_lstm_s8_args_t *args, const int8_t *x,
                const int8_t *w_xi, const int8_t *w_xf, const int8_t *w_xc, const int8_t *w_xo,
                const int8_t *w_hi, const int8_t *w_hf, const int8_t *w_hc, const int8_t *w_ho,
                const int32_t *b_i, const int32_t *b_f, const int32_t *b_c, const int32_t *b_o,
                int8_t *y, int8_t *h, int16_t *c, void *scratch, const td_team_t *team)
{
    const td_lstm_gate_t gates[4] = {{w_xi, w_hi, b_i}, {w_xf, w_hf, b_f}, {w_xc, w_hc, b_c},
                                     {w_xo, w_ho, b_o}};
    td_lstm_run(args, gates, x, y, h, c, scratch, team);
}
