/* td_mul_impl.h - the reference MUL driver, compiled once per element type by the kernel
 * that includes it (td_mul_s8.c, td_mul_s16.c; args and arithmetic in td_mul_s8.h). The
 * includer defines TD_MUL_T (element type); its public function calls mul_run (a real
 * definition in the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_MUL_IMPL_H
#define TD_MUL_IMPL_H

#include "../td_names.h"

#include "td_broadcast.h"
#include "td_common.h"
#include "td_mul_s8.h"

static void mul_run(const td_mul_s8_args_t *args, const TD_MUL_T *a, const TD_MUL_T *b,
                    TD_MUL_T *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t prod = (a[it.a] + args->a_offset) * (b[it.b] + args->b_offset);
        const int32_t raw = td_requant(prod, args->out_multiplier, args->out_shift) +
                            args->out_offset;
        out[i] = (TD_MUL_T)td_clamp(raw, args->act_min, args->act_max);
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}

#endif /* TD_MUL_IMPL_H */
