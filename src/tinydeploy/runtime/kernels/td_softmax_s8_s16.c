/* td_softmax_s8_s16.c - see td_softmax_s8_s16.h and td_softmax_impl.h. */
#include "td_softmax_s8_s16.h"

#define TD_SM_OUT int16_t
#define TD_SM_BITS 16
#define TD_SM_MIN (-32768)
#define TD_SM_MAX 32767

#include "td_softmax_impl.h"

void td_softmax_s8_s16(const td_softmax_s8_s16_args_t *args, const int8_t *x, int16_t *out)
{
    softmax_rows(args, x, out);
}
