/* td_batch_matmul_impl.h - the reference BATCH_MATMUL driver, compiled once per element
 * type by the kernel that includes it (td_batch_matmul_s8.c: int8, int32 sums;
 * td_batch_matmul_s16.c: int16, int64 sums; args in td_batch_matmul_s8.h). The includer
 * defines TD_BMM_T (element type), TD_BMM_ACC (accumulator type) and TD_BMM_REQUANT
 * (td_requant or td_requant64); its public function calls bmm_run (a real definition in
 * the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_BATCH_MATMUL_IMPL_H
#define TD_BATCH_MATMUL_IMPL_H

#include "../td_names.h"

#include "td_batch_matmul_s8.h"
#include "td_common.h"

static void bmm_matmul(const td_batch_matmul_s8_args_t *a, const TD_BMM_T *x,
                       const TD_BMM_T *w, TD_BMM_T *y)
{
    for (int32_t m = 0; m < a->m; ++m) {
        for (int32_t n = 0; n < a->n; ++n) {
            TD_BMM_ACC acc = 0;
            for (int32_t k = 0; k < a->k; ++k) {
                acc += (int32_t)(x[m * a->a_row + k * a->a_col] + a->a_offset) *
                       (int32_t)(w[k * a->b_row + n * a->b_col] + a->b_offset);
            }
            const int32_t v = TD_BMM_REQUANT(acc, a->out_multiplier, a->out_shift) +
                              a->out_offset;
            *y++ = (TD_BMM_T)td_clamp(v, a->act_min, a->act_max);
        }
    }
}

static void bmm_run(const td_batch_matmul_s8_args_t *args, const TD_BMM_T *a,
                    const TD_BMM_T *b, TD_BMM_T *out)
{
    const int32_t *d = args->batch;
    for (int32_t b0 = 0; b0 < d[0]; ++b0)
    for (int32_t b1 = 0; b1 < d[1]; ++b1)
    for (int32_t b2 = 0; b2 < d[2]; ++b2) {
        const int32_t oa = b0 * args->a_batch[0] + b1 * args->a_batch[1] + b2 * args->a_batch[2];
        const int32_t ob = b0 * args->b_batch[0] + b1 * args->b_batch[1] + b2 * args->b_batch[2];
        bmm_matmul(args, a + oa, b + ob, out);
        out += args->m * args->n;
    }
}

#endif /* TD_BATCH_MATMUL_IMPL_H */
