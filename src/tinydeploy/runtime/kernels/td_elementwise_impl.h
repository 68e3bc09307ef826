/* td_elementwise_impl.h - the reference driver of the rescaled broadcast binary ops (ADD,
 * SUB, SQUARED_DIFFERENCE), compiled once per op and element type by the kernel that
 * includes it (td_add_s8.c, td_add_s16.c, td_sub_s8.c, td_sub_s16.c,
 * td_squared_difference_s8.c, td_squared_difference_s16.c; args in td_add_s8.h). Each
 * input is offset, shifted left by left_shift and rescaled; TD_EW_COMBINE(ra, rb) joins
 * the two rescaled int32 values; the result is requantized, offset and clamped.
 * The includer defines TD_EW_T (element type) and TD_EW_COMBINE; its public function calls
 * ew_run (a real definition in the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_ELEMENTWISE_IMPL_H
#define TD_ELEMENTWISE_IMPL_H

#include "../td_names.h"

#include "td_add_s8.h"
#include "td_broadcast.h"
#include "td_common.h"

static TD_EW_T ew_one(const td_add_s8_args_t *p, TD_EW_T a, TD_EW_T b)
{
    const int32_t x = (a + p->a_offset) * (1 << p->left_shift);
    const int32_t y = (b + p->b_offset) * (1 << p->left_shift);
    const int32_t ra = td_requant(x, p->a_multiplier, p->a_shift);
    const int32_t rb = td_requant(y, p->b_multiplier, p->b_shift);
    const int32_t v = td_requant(TD_EW_COMBINE(ra, rb), p->out_multiplier, p->out_shift) +
                      p->out_offset;
    return (TD_EW_T)td_clamp(v, p->act_min, p->act_max);
}

static void ew_run(const td_add_s8_args_t *args, const TD_EW_T *a, const TD_EW_T *b,
                   TD_EW_T *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        out[i] = ew_one(args, a[it.a], b[it.b]);
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}

#endif /* TD_ELEMENTWISE_IMPL_H */
