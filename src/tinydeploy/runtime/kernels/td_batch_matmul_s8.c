/* td_batch_matmul_s8.c - see td_batch_matmul_s8.h. */
#include "td_batch_matmul_s8.h"

#include "td_common.h"

static void matmul(const td_batch_matmul_s8_args_t *a, const int8_t *x, const int8_t *w, int8_t *y)
{
    for (int32_t m = 0; m < a->m; ++m) {
        for (int32_t n = 0; n < a->n; ++n) {
            int32_t acc = 0;
            for (int32_t k = 0; k < a->k; ++k) {
                acc += (int32_t)(x[m * a->a_row + k * a->a_col] + a->a_offset) *
                       (int32_t)(w[k * a->b_row + n * a->b_col] + a->b_offset);
            }
            const int32_t v = td_requant(acc, a->out_multiplier, a->out_shift) + a->out_offset;
            *y++ = (int8_t)td_clamp(v, a->act_min, a->act_max);
        }
    }
}

void td_batch_matmul_s8(const td_batch_matmul_s8_args_t *args, const int8_t *a, const int8_t *b,
                        int8_t *out)
{
    const int32_t *d = args->batch;
    for (int32_t b0 = 0; b0 < d[0]; ++b0)
    for (int32_t b1 = 0; b1 < d[1]; ++b1)
    for (int32_t b2 = 0; b2 < d[2]; ++b2) {
        const int32_t oa = b0 * args->a_batch[0] + b1 * args->a_batch[1] + b2 * args->a_batch[2];
        const int32_t ob = b0 * args->b_batch[0] + b1 * args->b_batch[1] + b2 * args->b_batch[2];
        matmul(args, a + oa, b + ob, out);
        out += args->m * args->n;
    }
}
