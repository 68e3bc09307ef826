/* td_matmul_f32.c - see td_matmul_f32.h. */
#include "td_matmul_f32.h"

#include "td_f32_common.h"

#include <stddef.h>

void td_matmul_f32(const td_matmul_f32_args_t *args, const float *a, const float *b,
                   const float *c, float *y)
{
    const int32_t m = args->m, n = args->n, k = args->k;
    float *out = y;
    for (int32_t bt = 0; bt < args->batch; ++bt) {
        const float *pa = a + args->a_off[bt];
        const float *pb = b + args->b_off[bt];
        for (int32_t i = 0; i < m; ++i) {
            for (int32_t j = 0; j < n; ++j) {
                float acc = 0.0f;
                const float *ra = pa + i * args->a_rs;
                const float *rb = pb + j * args->b_cs;
                for (int32_t q = 0; q < k; ++q) {
                    acc += ra[q * args->a_cs] * rb[q * args->b_rs];
                }
                if (args->alpha != 1.0f) {
                    acc = args->alpha * acc;
                }
                if (c != NULL) {
                    acc += args->beta * c[args->c_off[bt] + i * args->c_rs + j * args->c_cs];
                }
                *out++ = td_f32_act(acc, args->act);
            }
        }
    }
}
