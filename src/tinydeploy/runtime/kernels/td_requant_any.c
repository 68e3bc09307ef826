/* td_requant_any.c - see td_requant_any.h. */
#include "td_requant_any.h"

#include "td_integer.h"
#include "td_requant_common.h"

void td_requant_any(const td_requant_any_args_t *args, const void *x, void *out)
{
    const td_requant_any_args_t *a = args;
    int32_t c = 0;
    for (int32_t i = 0; i < a->size; ++i) {
        const int32_t v = td_load_int(x, a->in_bytes, i) + a->in_offset;
        const int64_t q = td_requant_value(v, a->mul[c], a->add[c], a->mul2, a->div[c],
                                           a->fp32, a->rounding, a->clip_lo, a->clip_hi);
        td_store_int(out, a->out_bytes, i, q + a->out_offset);
        if (++c == a->channels) c = 0;
    }
}
