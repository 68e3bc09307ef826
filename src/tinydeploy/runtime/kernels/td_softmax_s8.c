/* td_softmax_s8.c - see td_softmax_s8.h and td_softmax_impl.h. */
#include "td_softmax_s8.h"

#define TD_SM_OUT int8_t
#define TD_SM_BITS 8
#define TD_SM_MIN (-128)
#define TD_SM_MAX 127

#include "td_softmax_impl.h"

void td_softmax_s8(const td_softmax_s8_args_t *args, const int8_t *x, int8_t *out)
{
    softmax_rows(args, x, out);
}
