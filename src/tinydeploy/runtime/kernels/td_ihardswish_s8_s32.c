/* td_ihardswish_s8_s32.c - see td_ihardswish_s8_s32.h. The activation is the one of the fused
 * td_ihardswish_s8_*rq kernels (td_ihardswish_s8_rq.h). */
#include "td_ihardswish_s8_s32.h"

#include "td_ihardswish_s8_rq.h"

void td_ihardswish_s8_s32(const td_ihardswish_s8_s32_args_t *args, const int8_t *in, int32_t *out)
{
    const td_ihardswish_s8_rq_args_t p = {
        .size = args->size, .channels = args->channels, .x_offset = args->x_offset,
        .one_over_six = args->one_over_six, .three = args->three, .six = args->six
    };
    for (int32_t i = 0; i < p.size; ++i) out[i] = td_ihardswish_s8_acc(&p, in[i]);
}
