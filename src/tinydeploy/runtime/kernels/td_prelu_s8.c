/* td_prelu_s8.c - see td_prelu_s8.h and td_prelu_impl.h. */
#include "td_prelu_s8.h"

#define TD_PRELU_T int8_t
#define TD_PRELU_MIN INT8_MIN
#define TD_PRELU_MAX INT8_MAX

#include "td_prelu_impl.h"

void td_prelu_s8(const td_prelu_s8_args_t *args, const int8_t *x, const int8_t *alpha, int8_t *out)
{
    prelu_run(args, x, alpha, out);
}
