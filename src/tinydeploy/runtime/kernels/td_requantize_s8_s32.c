/* td_requantize_s8_s32.c - see td_requantize_s8_s32.h and td_requantize_impl.h. */
#include "td_requantize_s8_s32.h"

#define TD_RQ_IN int8_t
#define TD_RQ_OUT int32_t

#include "td_requantize_impl.h"

void td_requantize_s8_s32(const td_requantize_s8_s32_args_t *args, const int8_t *x, int32_t *out)
{
    rq_run(args, x, out);
}
