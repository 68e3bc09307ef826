/* td_requant_s32_s16.c - see td_requant_s32_s16.h. */
#include "td_requant_s32_s16.h"

#include "td_requant_common.h"

void td_requant_s32_s16(const td_requant_s32_s16_args_t *args, const int32_t *x, int16_t *out)
{
    const td_requant_s32_s16_args_t *a = args;
    int32_t c = 0;
    for (int32_t i = 0; i < a->size; ++i) {
        const int64_t q = td_requant_value(x[i], a->mul[c], a->add[c], a->mul2, a->div[c],
                                           a->fp32, a->rounding, a->clip_lo, a->clip_hi);
        out[i] = (int16_t)(q + a->out_offset);
        if (++c == a->channels) c = 0;
    }
}
