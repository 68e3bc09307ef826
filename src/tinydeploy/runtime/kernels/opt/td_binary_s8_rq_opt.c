/* td_binary_s8_rq_opt.c - see td_binary_s8_rq_opt.h. */
#include "td_binary_s8_rq_opt.h"

#include "../td_broadcast.h"

static inline int8_t td_bin_out(const td_binary_s8_rq_opt_args_t *p, int32_t v)
{
    const int32_t sh = p->shift;
    int32_t q = v >= 0 ? v >> sh : (p->trunc ? -((-v) >> sh) : ~((~v) >> sh));
    q = q < p->lo ? p->lo : (q > p->hi ? p->hi : q);
    return (int8_t)(q + p->out_offset);
}

void td_binary_s8_rq_opt(const td_binary_s8_rq_opt_args_t *args, const int8_t *a,
                         const int8_t *b, int8_t *output, void *scratch,
                         const td_team_t *team)
{
    const td_binary_s8_rq_opt_args_t *p = args;
    const int32_t skip = 6 - p->ndim, last = p->ndim - 1;
    const int32_t *shape = p->shape + skip, *sa = p->a_strides + skip;
    const int32_t *sb = p->b_strides + skip;
    const int32_t *ta = p->ta + 128, *tb = p->tb + 128;
    const int32_t inner = shape[last], ia = sa[last], ib = sb[last];
    const int32_t rows = td_bcast_count(last, shape);
    int32_t r0, r1;
    (void)scratch;
    td_team_range(rows, td_team_cores(team), td_team_core(team), &r0, &r1);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t r = 0; r < r0; ++r) td_bcast_next(&it, last, shape, sa, sb);
    for (int32_t r = r0; r < r1; ++r) {
        const int8_t *x = a + it.a, *z = b + it.b;
        int8_t *y = output + r * inner;
        if (p->mul) {
            for (int32_t i = 0; i < inner; ++i) y[i] = td_bin_out(p, ta[x[i * ia]] *
                                                                  tb[z[i * ib]] + p->kc);
        } else {
            for (int32_t i = 0; i < inner; ++i) y[i] = td_bin_out(p, ta[x[i * ia]] +
                                                                  tb[z[i * ib]]);
        }
        td_bcast_next(&it, last, shape, sa, sb);
    }
}
