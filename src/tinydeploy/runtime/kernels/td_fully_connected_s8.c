/* td_fully_connected_s8.c - reference int8 fully connected layer
 * (see td_fully_connected_s8.h and td_fully_connected_impl.h). */
#include "td_fully_connected_s8.h"

#define TD_FC_ARGS td_fully_connected_s8_args_t
#define TD_FC_T int8_t
#define TD_FC_ACC int32_t
#define TD_FC_TERM(a, w, x) \
    (((int32_t)(w) + (a)->weight_offset) * ((int32_t)(x) + (a)->input_offset))
/* requantized, then offset with the wrap of TFLite's int32 add (unsigned keeps it defined) */
#define TD_FC_OUT(a, acc, o) \
    ((int32_t)((uint32_t)td_requant((acc), (a)->out_mult[o], (a)->out_shift[o]) + \
               (uint32_t)(a)->output_offset))

#include "td_fully_connected_impl.h"

void td_fully_connected_s8(const td_fully_connected_s8_args_t *args, const int8_t *input,
                           const int8_t *weight, const int32_t *bias, int8_t *output)
{
    fc_run(args, input, weight, bias, output);
}
