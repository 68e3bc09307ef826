/* td_requantize_s32_s8.c - see td_requantize_s32_s8.h and td_requantize_impl.h. */
#include "td_requantize_s32_s8.h"

#define TD_RQ_IN int32_t
#define TD_RQ_OUT int8_t

#include "td_requantize_impl.h"

void td_requantize_s32_s8(const td_requantize_s32_s8_args_t *args, const int32_t *x, int8_t *out)
{
    rq_run(args, x, out);
}
