/* td_igelu_s8_s32.c - see td_igelu_s8_s32.h. The activation is the one of the fused
 * td_igelu_s8_*rq kernels (td_igelu_s8_rq.h). */
#include "td_igelu_s8_s32.h"

#include "td_igelu_s8_rq.h"

void td_igelu_s8_s32(const td_igelu_s8_s32_args_t *args, const int8_t *in, int32_t *out)
{
    const td_igelu_s8_rq_args_t p = {
        .size = args->size, .channels = args->channels, .x_offset = args->x_offset,
        .b = args->b, .one = args->one
    };
    for (int32_t i = 0; i < p.size; ++i) out[i] = td_igelu_s8_acc(&p, in[i]);
}
