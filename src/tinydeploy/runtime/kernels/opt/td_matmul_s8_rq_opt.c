/* td_matmul_s8_rq_opt.c - see td_matmul_s8_rq_opt.h. */
#include "td_matmul_s8_rq_opt.h"

#include "td_opt_mm.h"

/* Below this many rows the panel would cost as much as the product: direct loops. */
#define TD_MM_DIRECT_ROWS 4

/* Columns c0 .. c0 + 7 of B (those < n; zeros past it) as a panel [k][8]; add8[j] =
 * a_offset * the column's sum (A's offset times B: the part of sum (a + a_offset) * b
 * the raw product leaves out). */
static void td_mm_pack(const td_matmul_s8_rq_opt_args_t *a, const int8_t *b, int32_t c0,
                       int8_t *panel, uint32_t *add8)
{
    for (int32_t j = 0; j < 8; ++j) {
        int8_t *dst = panel + j;
        uint32_t sum = 0;
        if (c0 + j < a->n) {
            const int8_t *src = b + (c0 + j) * a->b_n;
            for (int32_t i = 0; i < a->k; ++i) {
                const int8_t v = src[i * a->b_k];
                dst[8 * i] = v;
                sum += (uint32_t)(int32_t)v;
            }
        } else {
            for (int32_t i = 0; i < a->k; ++i) dst[8 * i] = 0;
        }
        add8[j] = sum * (uint32_t)a->a_offset;
    }
}

/* Few rows (one token of a decode step): no panel, each output a strided dot product. */
static void td_mm_direct(const td_matmul_s8_rq_opt_args_t *p, const int8_t *ab,
                         const int8_t *bb, int32_t q0, int32_t q1, const td_mm_out_t *o,
                         int8_t *y)
{
    const int32_t n = p->n, k = p->k, bk = p->b_k;
    const int32_t c1 = 8 * q1 < n ? 8 * q1 : n;
    for (int32_t r = 0; r < p->m; ++r) {
        const int8_t *x = ab + r * p->a_m;
        for (int32_t c = 8 * q0; c < c1; ++c) {
            const int8_t *w = bb + c * p->b_n;
            uint32_t s = 0, sw = 0;
            for (int32_t i = 0; i < k; ++i, w += bk) {
                s += (uint32_t)(x[i] * *w);
                sw += (uint32_t)(int32_t)*w;
            }
            s += sw * (uint32_t)p->a_offset;
            y[r * n + c] = td_mm_rq(s, c, o);
        }
    }
}

void td_matmul_s8_rq_opt(const td_matmul_s8_rq_opt_args_t *args, const int8_t *a,
                         const int8_t *b, int8_t *output, void *scratch,
                         const td_team_t *team)
{
    const td_matmul_s8_rq_opt_args_t *p = args;
    const td_mm_out_t o = {p->kc, p->rq, p->rq_step, p->mode, p->lo, p->hi,
                           p->out_offset, p->trunc};
    const int32_t *d = p->batch, m = p->m, n = p->n, k = p->k;
    int8_t *panel = (int8_t *)scratch + td_team_core(team) * 8 * k;
    int32_t q0, q1;
    td_team_range((n + 7) / 8, td_team_cores(team), td_team_core(team), &q0, &q1);
    int8_t *y = output;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3, y += m * n) {
        const int8_t *ab = a + i0 * p->a_batch[0] + i1 * p->a_batch[1] +
                           i2 * p->a_batch[2] + i3 * p->a_batch[3];
        const int8_t *bb = b + i0 * p->b_batch[0] + i1 * p->b_batch[1] +
                           i2 * p->b_batch[2] + i3 * p->b_batch[3];
        if (m < TD_MM_DIRECT_ROWS) {
            td_mm_direct(p, ab, bb, q0, q1, &o, y);
            continue;
        }
        for (int32_t q = q0; q < q1; ++q) {
            const int32_t c0 = 8 * q, left = n - c0;
            uint32_t add8[8];
            td_mm_pack(p, bb, c0, panel, add8);
            for (int32_t r = 0; r < m; r += 2) {
                const int8_t *x = ab + r * p->a_m;
                td_mm_block(x, r + 1 < m ? x + p->a_m : NULL, panel, k, c0,
                            left < 8 ? left : 8, &o, p->a_offset ? add8 : NULL,
                            y + r * n, y + (r + 1) * n);
            }
        }
    }
}
