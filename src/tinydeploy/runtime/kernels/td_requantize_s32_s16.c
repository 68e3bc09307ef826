/* td_requantize_s32_s16.c - see td_requantize_s32_s16.h and td_requantize_impl.h. */
#include "td_requantize_s32_s16.h"

#define TD_RQ_IN int32_t
#define TD_RQ_OUT int16_t

#include "td_requantize_impl.h"

void td_requantize_s32_s16(const td_requantize_s32_s16_args_t *args, const int32_t *x, int16_t *out)
{
    rq_run(args, x, out);
}
