/* td_add_s8_s32.c - see td_add_s8_s32.h. The accumulator is the one of the fused
 * td_add_s8_rq* kernels (td_add_s8_rq.h). */
#include "td_add_s8_s32.h"

#include "td_add_s8_rq.h"

void td_add_s8_s32(const td_add_s8_s32_args_t *args, const int8_t *a, const int8_t *b,
                   int32_t *out)
{
    const td_add_s8_rq_args_t g = {
        .size = args->size, .a_offset = args->a_offset, .b_offset = args->b_offset,
        .a_mult = args->a_mult, .b_mult = args->b_mult,
    };
    for (int32_t i = 0; i < g.size; ++i) {
        out[i] = td_add_s8_rq_acc(&g, a, b, i);
    }
}
