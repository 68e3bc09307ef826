/* td_ilayernorm_s8_opt.c - see td_ilayernorm_s8_opt.h. */
#include "td_ilayernorm_s8_opt.h"

#include "../td_integer.h"

void td_ilayernorm_s8_opt(const td_ilayernorm_s8_opt_args_t *args, const int8_t *input,
                          int8_t *output, void *scratch, const td_team_t *team)
{
    const td_ilayernorm_s8_opt_args_t *a = args;
    const int32_t n = a->length, off = a->x_offset, sh = a->log2d;
    const int32_t lo = a->clip_lo, hi = a->clip_hi, zp = a->out_offset;
    int32_t r0, r1;
    (void)scratch;
    td_team_range(a->rows, td_team_cores(team), td_team_core(team), &r0, &r1);
    for (int32_t r = r0; r < r1; ++r) {
        const int8_t *x = input + r * n;
        int8_t *y = output + r * n;
        int32_t sum = 0;
        for (int32_t j = 0; j < n; ++j) sum += x[j];
        const int32_t mean = (sum + n * off) / n, shift = off - mean;      /* truncates */
        int32_t sq = 0;
        for (int32_t j = 0; j < n; ++j) {
            const int32_t c = x[j] + shift;
            sq += c * c;
        }
        const int32_t std = (int32_t)td_isqrt_u32((uint32_t)(sq / n + 1));
        for (int32_t j = 0; j < n; ++j) {
            const int32_t v = (x[j] + shift) * a->weight[j] / std + a->bias[j];
            int32_t q = v >= 0 ? v >> sh : ~((~v) >> sh);
            q = q < lo ? lo : (q > hi ? hi : q);
            y[j] = (int8_t)(q + zp);
        }
    }
}
