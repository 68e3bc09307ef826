/* td_sub_s8.c - see td_sub_s8.h and td_elementwise_impl.h. */
#include "td_sub_s8.h"

#define TD_EW_T int8_t
#define TD_EW_COMBINE(ra, rb) ((ra) - (rb))

#include "td_elementwise_impl.h"

void td_sub_s8(const td_sub_s8_args_t *args, const int8_t *a, const int8_t *b, int8_t *out)
{
    ew_run(args, a, b, out);
}
