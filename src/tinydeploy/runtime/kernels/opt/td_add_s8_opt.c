/* td_add_s8_opt.c - int8 add optimized for RV32IMC; see td_add_s8_opt.h. */
#include "td_add_s8_opt.h"

#include "../td_broadcast.h"
#include "../td_common.h"
#include "td_opt_common.h"

/* Elements [i0, i1) of same-shape inputs, fast output requantization. */
TD_OPT_NOINLINE static void add_run(const td_add_s8_opt_args_t *p, const int8_t *a,
                                    const int8_t *b, int8_t *out, int32_t n)
{
    const int32_t *ta = p->ta, *tb = p->tb;
    const uint32_t m4 = (uint32_t)p->q[0];
    const int32_t cp = p->q[1], dn = p->q[2], sh = p->q[3], tl = p->q[4], th = p->q[5];
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t s = ta[(uint8_t)a[i]] + tb[(uint8_t)b[i]];
        TD_OPT_PUT(out + i, s, tl, th, s, m4, cp, dn, sh, lo, hi);
    }
}

static int8_t add_one(const td_add_s8_opt_args_t *p, int8_t a, int8_t b)
{
    const int32_t s = p->ta[(uint8_t)a] + p->tb[(uint8_t)b];
    return (int8_t)td_clamp(td_requant(s, p->out_multiplier, p->out_shift) + p->out_offset,
                            p->act_min, p->act_max);
}

void td_add_s8_opt(const td_add_s8_opt_args_t *args, const int8_t *a, const int8_t *b,
                   int8_t *out, void *scratch, const td_team_t *team)
{
    const td_add_s8_opt_args_t *p = args;
    const int32_t n = td_bcast_count(p->ndim, p->shape);
    int32_t i0, i1;
    td_bcast_iter_t it;
    (void)scratch;
    td_team_range(n, td_team_cores(team), td_team_core(team), &i0, &i1);
    if (p->ndim == 1 && p->a_strides[0] == 1 && p->b_strides[0] == 1 && p->fast) {
        add_run(p, a + i0, b + i0, out + i0, i1 - i0);
        return;
    }
    td_bcast_init(&it);
    for (int32_t i = 0; i < i1; ++i) {
        if (i >= i0) out[i] = add_one(p, a[it.a], b[it.b]);
        td_bcast_next(&it, p->ndim, p->shape, p->a_strides, p->b_strides);
    }
}
