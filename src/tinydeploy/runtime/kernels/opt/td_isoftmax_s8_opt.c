/* td_isoftmax_s8_opt.c - see td_isoftmax_s8_opt.h. */
#include "td_isoftmax_s8_opt.h"

void td_isoftmax_s8_opt(const td_isoftmax_s8_opt_args_t *args, const int8_t *input,
                        int8_t *output, void *scratch, const td_team_t *team)
{
    const td_isoftmax_s8_opt_args_t *a = args;
    const int32_t n = a->length;
    const uint32_t levels = (uint32_t)a->levels;
    int32_t r0, r1;
    (void)scratch;
    td_team_range(a->rows, td_team_cores(team), td_team_core(team), &r0, &r1);
    for (int32_t r = r0; r < r1; ++r) {
        const int8_t *x = input + r * n;
        int8_t *y = output + r * n;
        int32_t max = x[0];
        for (int32_t j = 1; j < n; ++j) max = x[j] > max ? x[j] : max;
        const int32_t *e = a->exp;
        uint32_t sum = 0;
        for (int32_t j = 0; j < n; ++j) sum += (uint32_t)e[max - x[j]];
        for (int32_t j = 0; j < n; ++j) {
            y[j] = (int8_t)((int32_t)((uint32_t)e[max - x[j]] * levels / sum) + a->out_offset);
        }
    }
}
