/* td_add_s16.c - see td_add_s16.h and td_elementwise_impl.h. */
#include "td_add_s16.h"

#define TD_EW_T int16_t
#define TD_EW_COMBINE(ra, rb) ((ra) + (rb))

#include "td_elementwise_impl.h"

void td_add_s16(const td_add_s16_args_t *args, const int16_t *a, const int16_t *b, int16_t *out)
{
    ew_run(args, a, b, out);
}
