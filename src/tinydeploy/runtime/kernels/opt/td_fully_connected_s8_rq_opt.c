/* td_fully_connected_s8_rq_opt.c - see td_fully_connected_s8_rq_opt.h. */
#include "td_fully_connected_s8_rq_opt.h"

#include "td_opt_mm.h"

void td_fully_connected_s8_rq_opt(const td_fully_connected_s8_rq_opt_args_t *args,
                                  const int8_t *input, int8_t *output, void *scratch,
                                  const td_team_t *team)
{
    const td_fully_connected_s8_rq_opt_args_t *a = args;
    const td_mm_out_t o = {a->kc, a->rq, a->rq_step, a->mode, a->lo, a->hi,
                           a->out_offset, a->trunc};
    const int32_t k = a->in_features, n = a->out_features;
    int32_t p0, p1;
    (void)scratch;
    td_team_range((n + 7) / 8, td_team_cores(team), td_team_core(team), &p0, &p1);
    for (int32_t b = 0; b < a->batches; b += 2) {
        const int8_t *x = input + b * k;
        const int8_t *y = b + 1 < a->batches ? x + k : NULL;
        int8_t *ox = output + b * n;
        for (int32_t p = p0; p < p1; ++p) {
            const int32_t c0 = 8 * p, left = n - c0;
            td_mm_block(x, y, a->wts + p * 8 * k, k, c0, left < 8 ? left : 8, &o, NULL,
                        ox, ox + n);
        }
    }
}
