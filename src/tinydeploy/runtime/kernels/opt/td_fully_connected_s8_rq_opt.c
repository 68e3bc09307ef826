/* td_fully_connected_s8_rq_opt.c - see td_fully_connected_s8_rq_opt.h. */
#include "td_fully_connected_s8_rq_opt.h"

#include <stddef.h>

#include "td_opt_config.h"

/* TD_FC_PATHS (td_opt_config.h, quant/opt/matmul_rq.py): 20 two batch rows per panel,
 * 21 one, 22 + m the requantization modes m, 30 + f the descriptor forms f of mode 2
 * (td_opt_rq.h TD_RQ_FORMS_IN); the code of the others is left out. */
#define FC_HAS(p) TD_OPT_IN(TD_FC_PATHS, p)
#ifndef TD_RQ_FORMS_IN
#define TD_RQ_FORMS_IN TD_RQ_FORMS_OF(TD_FC_PATHS)
#endif

#include "td_opt_mm.h"
#include "td_opt_rq.h"

/* The layer's mode, a constant when the project has one. */
#define FC_MODE_OF(a) (FC_HAS(22) + FC_HAS(23) + FC_HAS(24) > 1 ? (a)->mode               \
                       : FC_HAS(23) ? 1 : FC_HAS(24) ? 2 : 0)
/* The second batch row of row b (NULL: none), NULL when no layer has two. */
#define FC_ROW2(a, b, x) (FC_HAS(20) && (!FC_HAS(21) || (b) + 1 < (a)->batches)             \
                          ? (x) + (a)->in_features : NULL)

/* Mode 2: rows x (and y, unless NULL) times panel p, the sums s + C of its n columns
 * (from c0) requantized by their descriptors (td_opt_rq.h; one inline copy for both
 * rows). */
static void fc_any_block(const td_fully_connected_s8_rq_opt_args_t *a, const td_opt_rqp_t *q,
                         const int8_t *x, const int8_t *y, int32_t p, int32_t n, int8_t *ox)
{
    const int32_t k = a->in_features, c0 = 8 * p;
    uint32_t acc[16];
    if (y != NULL) td_mm_2x8(x, y, a->wts + p * 8 * k, k, acc);
    else td_mm_1x8(x, a->wts + p * 8 * k, k, acc);
    for (int32_t r = 0; r < (y != NULL ? 2 : 1); ++r) {
        int8_t *const o = ox + r * a->out_features + c0;
        for (int32_t j = 0; j < n; ++j) {
            const int32_t c = c0 + j;
            o[j] = (int8_t)td_opt_rq_any((int32_t)(acc[8 * r + j] + (uint32_t)a->kc[2 * c]),
                                         a->chan + c * TD_OPT_CH, q);
        }
    }
}

void td_fully_connected_s8_rq_opt(const td_fully_connected_s8_rq_opt_args_t *args,
                                  const int8_t *input, int8_t *output, void *scratch,
                                  const td_team_t *team)
{
    const td_fully_connected_s8_rq_opt_args_t *a = args;
    const int32_t mode = FC_MODE_OF(a);
    const td_mm_out_t o = {a->kc, a->rq, a->rq_step, mode, a->lo, a->hi, a->out_offset,
                           a->trunc};
    const td_opt_rqp_t q = {1, a->lo, a->hi, a->out_offset, a->rq_fp32, a->rq_rounding,
                            a->rq_mul2, a->gmul, a->gadd, a->gdiv};
    const int32_t k = a->in_features, n = a->out_features;
    int32_t p0, p1;
    (void)scratch;
    td_team_range((n + 7) / 8, td_team_cores(team), td_team_core(team), &p0, &p1);
    for (int32_t b = 0; b < a->batches; b += 2) {
        const int8_t *x = input + b * k;
        const int8_t *y = FC_ROW2(a, b, x);
        int8_t *ox = output + b * n;
        for (int32_t p = p0; p < p1; ++p) {
            const int32_t c0 = 8 * p, left = n - c0;
            if (mode == 2)
                fc_any_block(a, &q, x, y, p, left < 8 ? left : 8, ox);
            else
                td_mm_block(x, y, a->wts + p * 8 * k, k, c0, left < 8 ? left : 8, &o, NULL,
                            ox, ox + n);
        }
    }
}
