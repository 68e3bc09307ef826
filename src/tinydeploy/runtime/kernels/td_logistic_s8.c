/* td_logistic_s8.c - see td_logistic_s8.h. */
#include "td_logistic_s8.h"

#include "td_common.h"
#include "td_fixedpoint.h"

static int8_t logistic_one(const td_logistic_s8_args_t *p, int8_t x)
{
    const int32_t v = x - p->input_zero_point;
    if (v <= -p->input_range_radius) return -128;
    if (v >= p->input_range_radius) return 127;
    const int32_t q4 = td_requant(v, p->input_multiplier, p->input_left_shift);
    const int32_t y = td_rdbpot(td_fp_logistic(q4, 4), 31 - 8) - 128;
    return (int8_t)td_clamp(y, -128, 127);
}

void td_logistic_s8(const td_logistic_s8_args_t *args, const int8_t *x, int8_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) out[i] = logistic_one(args, x[i]);
}
