/* td_fully_connected_s16.c - reference 16x8 fully connected layer
 * (see td_fully_connected_s16.h and td_fully_connected_impl.h). */
#include "td_fully_connected_s16.h"

#include "td_16x8.h"

#define TD_FC_ARGS td_fully_connected_s16_args_t
#define TD_FC_T int16_t
#define TD_FC_ACC int64_t
#define TD_FC_TERM(a, w, x) ((void)(a), (int32_t)(w) * (int32_t)(x))
#define TD_FC_OUT(a, acc, o) td_requant64((acc), (a)->out_mult[o], (a)->out_shift[o])

#include "td_fully_connected_impl.h"

void td_fully_connected_s16(const td_fully_connected_s16_args_t *args, const int16_t *input,
                            const int8_t *weight, const int64_t *bias, int16_t *output)
{
    fc_run(args, input, weight, bias, output);
}
