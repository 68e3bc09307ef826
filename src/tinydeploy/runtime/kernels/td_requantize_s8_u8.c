/* td_requantize_s8_u8.c - see td_requantize_s8_u8.h and td_requantize_impl.h. */
#include "td_requantize_s8_u8.h"

#define TD_RQ_IN int8_t
#define TD_RQ_OUT uint8_t

#include "td_requantize_impl.h"

void td_requantize_s8_u8(const td_requantize_s8_u8_args_t *args, const int8_t *x, uint8_t *out)
{
    rq_run(args, x, out);
}
