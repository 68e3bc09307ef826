/* td_div_s8.c - see td_div_s8.h. */
#include "td_div_s8.h"

#include "td_broadcast.h"
#include "td_common.h"
#include "td_fixedpoint.h"

/* Redundant sign bits of an int32 (GCC's __builtin_clrsb). */
static int clrsb32(int32_t v)
{
    return td_fp_clz32((uint32_t)(v < 0 ? ~v : v)) - 1;
}

/* gemmlowp's RoundingDivideByPOT for 0 <= e <= 63 as x86-64 executes it: for e >= 32 the
 * mask is all ones and the shift count is e - 32 (the hardware takes it modulo 32). */
static int32_t rounding_shift_wide(int32_t x, int e)
{
    const int32_t mask = e >= 32 ? -1 : (int32_t)((1LL << e) - 1);
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> (e & 31)) + ((x & mask) > threshold ? 1 : 0);
}

static int8_t div_one(const td_div_s8_args_t *p, int32_t a, int32_t b)
{
    if (b < 0) {
        a = -a;
        b = -b;
    }
    if (b == 0) {
        const int32_t y = a > 0 ? p->act_max : (a < 0 ? p->act_min : p->out_offset);
        return (int8_t)td_clamp(y, p->act_min, p->act_max);
    }
    int bits;
    const int32_t inv = td_fp_reciprocal(b, 31, &bits);
    const int head = clrsb32(a);
    const int32_t q = td_srdhm((int32_t)((uint32_t)a << head), inv);
    const int32_t y = rounding_shift_wide(td_srdhm(q, p->out_multiplier),
                                          head + bits - p->out_shift) + p->out_offset;
    return (int8_t)td_clamp(y, p->act_min, p->act_max);
}

void td_div_s8(const td_div_s8_args_t *args, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        out[i] = div_one(args, a[it.a] + args->a_offset, b[it.b] + args->b_offset);
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}
