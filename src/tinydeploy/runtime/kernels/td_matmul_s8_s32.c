/* td_matmul_s8_s32.c - see td_matmul_s8_s32.h. The accumulator is the one of the fused
 * td_matmul_s8_rq* kernels (td_matmul_s8_rq.h). */
#include "td_matmul_s8_s32.h"

#include "td_matmul_s8_rq.h"

void td_matmul_s8_s32(const td_matmul_s8_s32_args_t *args, const int8_t *a, const int8_t *b,
                      const int32_t *bias, int32_t *out)
{
    const td_matmul_s8_rq_args_t p = {
        .m = args->m, .channels = args->channels, .k = args->k,
        .a_offset = args->a_offset, .b_offset = args->b_offset,
        .alpha = args->alpha, .beta = args->beta, .a_m = args->a_m, .a_k = args->a_k,
        .b_k = args->b_k, .b_n = args->b_n, .c_m = args->c_m, .c_n = args->c_n,
        .a_size = args->a_size, .b_size = args->b_size,
        .batch = args->batch, .a_batch = args->a_batch, .b_batch = args->b_batch,
        .c_batch = args->c_batch,
    };
    int32_t *y = out;
    TD_MATMUL_FOR_EACH(&p, i0, i1, i2, i3) {
        const td_matmul_base_t o = td_matmul_base(&p, i0, i1, i2, i3);
        for (int32_t m = 0; m < p.m; ++m) {
            for (int32_t n = 0; n < p.channels; ++n) {
                *y++ = td_matmul_s8_acc(&p, o, a, b, bias, m, n);
            }
        }
    }
}
