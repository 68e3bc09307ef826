/* td_any_impl.h - the driver of the integer binary ops of any input width (int8, int16 or
 * int32 operands, numpy broadcasting), compiled once per op and output by the kernel that
 * includes it (td_add_any_s32.c, td_mul_any_s32.c: raw int32 out; td_add_any_s8_rq.c,
 * td_mul_any_s8_rq.c: requantized int8 out; args and walk in td_add_any_s32.h and
 * td_add_any_s8_rq.h). Per output element i the offset inputs x, z give the int32
 * acc = TD_ANY_ACC(p, x, z) is stored as is (int32) or, when TD_ANY_RQ is defined,
 * requantized with the rq_* members of channel i % rq_channels. The includer defines
 * TD_ANY_ACC and, for the int8 output, TD_ANY_RQ; its public function calls any_run (a
 * real definition in the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_ANY_IMPL_H
#define TD_ANY_IMPL_H

#include "../td_names.h"

#include "td_broadcast.h"
#include "td_integer.h"

#ifdef TD_ANY_RQ   /* the includer's header has included td_add_any_s8_rq.h */
#define TD_ANY_ARGS td_add_any_s8_rq_args_t
#define TD_ANY_OUT int8_t
#define TD_ANY_CHANNELS(p) ((p)->rq_channels)
#define TD_ANY_STORE(p, c, acc)                                                              \
    ((int8_t)(td_requant_value((acc), (p)->rq_mul[c], (p)->rq_add[c], (p)->rq_mul2,         \
                               (p)->rq_div[c], (p)->rq_fp32, (p)->rq_rounding,               \
                               (p)->rq_clip_lo, (p)->rq_clip_hi) + (p)->rq_out_offset))
#else              /* ... td_add_any_s32.h */
#define TD_ANY_ARGS td_add_any_s32_args_t
#define TD_ANY_OUT int32_t
#define TD_ANY_CHANNELS(p) ((void)(p), 1)
#define TD_ANY_STORE(p, c, acc) ((void)(p), (void)(c), (acc))
#endif

static void any_run(const TD_ANY_ARGS *p, const void *a, const void *b, TD_ANY_OUT *out)
{
    const int32_t skip = 6 - p->ndim;
    const int32_t *shape = p->shape + skip;
    const int32_t n = td_bcast_count(p->ndim, shape);
    td_bcast_iter_t it;
    int32_t c = 0;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t x = td_load_int(a, p->a_bytes, it.a) + p->a_offset;
        const int32_t z = td_load_int(b, p->b_bytes, it.b) + p->b_offset;
        const int32_t acc = TD_ANY_ACC(p, x, z);
        out[i] = TD_ANY_STORE(p, c, acc);
        if (++c == TD_ANY_CHANNELS(p)) c = 0;
        td_bcast_next(&it, p->ndim, shape, p->a_strides + skip, p->b_strides + skip);
    }
}

#endif /* TD_ANY_IMPL_H */
