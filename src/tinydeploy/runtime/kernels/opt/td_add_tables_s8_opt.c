/* td_add_tables_s8_opt.c - see td_add_tables_s8_opt.h. */
#include "td_add_tables_s8_opt.h"

void td_add_tables_s8_opt(const td_add_tables_s8_opt_args_t *args, const int8_t *a,
                          const int8_t *b, int8_t *output, void *scratch,
                          const td_team_t *team)
{
    const td_add_tables_s8_opt_args_t *p = args;
    const int32_t *ta = p->ta + 128, *tb = p->tb + 128;
    const int32_t sh = p->shift, lo = p->lo, hi = p->hi, off = p->out_offset;
    int32_t i0, i1;
    (void)scratch;
    td_team_range(p->size, td_team_cores(team), td_team_core(team), &i0, &i1);
    for (int32_t i = i0; i < i1; ++i) {
        const int32_t v = ta[a[i]] + tb[b[i]];
        int32_t q = v >= 0 ? v >> sh : (p->trunc ? -((-v) >> sh) : ~((~v) >> sh));
        q = q < lo ? lo : (q > hi ? hi : q);
        output[i] = (int8_t)(q + off);
    }
}
