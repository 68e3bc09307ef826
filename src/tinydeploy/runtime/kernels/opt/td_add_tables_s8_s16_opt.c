/* td_add_tables_s8_s16_opt.c - see td_add_tables_s8_s16_opt.h. */
#include "td_add_tables_s8_s16_opt.h"

/* out[i] = a[i] * am + b[i] * bm + c modulo 2^32 (four at a time). */
static void td_add16_linear(const int8_t *a, const int8_t *b, int16_t *out, int32_t n,
                            uint32_t am, uint32_t bm, uint32_t c)
{
    int32_t i = 0;
    if (am == 1 && bm == 1) {
        for (; i + 4 <= n; i += 4) {
            const uint32_t v0 = (uint32_t)a[i] + (uint32_t)b[i] + c;
            const uint32_t v1 = (uint32_t)a[i + 1] + (uint32_t)b[i + 1] + c;
            const uint32_t v2 = (uint32_t)a[i + 2] + (uint32_t)b[i + 2] + c;
            const uint32_t v3 = (uint32_t)a[i + 3] + (uint32_t)b[i + 3] + c;
            out[i] = (int16_t)(int32_t)v0;
            out[i + 1] = (int16_t)(int32_t)v1;
            out[i + 2] = (int16_t)(int32_t)v2;
            out[i + 3] = (int16_t)(int32_t)v3;
        }
    }
    for (; i < n; ++i) {
        out[i] = (int16_t)(int32_t)((uint32_t)a[i] * am + (uint32_t)b[i] * bm + c);
    }
}

void td_add_tables_s8_s16_opt(const td_add_tables_s8_s16_opt_args_t *args, const int8_t *a,
                              const int8_t *b, int16_t *output, void *scratch,
                              const td_team_t *team)
{
    const td_add_tables_s8_s16_opt_args_t *p = args;
    const int32_t *ta = p->ta + 128, *tb = p->tb + 128;
    const int32_t sh = p->shift, lo = p->lo, hi = p->hi, off = p->out_offset;
    int32_t i0, i1;
    (void)scratch;
    td_team_range(p->size, td_team_cores(team), td_team_core(team), &i0, &i1);
    if (p->linear) {
        td_add16_linear(a + i0, b + i0, output + i0, i1 - i0, (uint32_t)p->am,
                        (uint32_t)p->bm, (uint32_t)p->c);
        return;
    }
    for (int32_t i = i0; i < i1; ++i) {
        const int32_t v = ta[a[i]] + tb[b[i]];
        int32_t q = v >= 0 ? v >> sh : (p->trunc ? -((-v) >> sh) : ~((~v) >> sh));
        q = q < lo ? lo : (q > hi ? hi : q);
        output[i] = (int16_t)(q + off);
    }
}
