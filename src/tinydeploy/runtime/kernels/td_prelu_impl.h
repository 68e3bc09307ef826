/* td_prelu_impl.h - the reference PRELU driver (int8 alpha), compiled once per element
 * type by the kernel that includes it (td_prelu_s8.c, td_prelu_s16.c; args in
 * td_prelu_s8.h). The includer defines TD_PRELU_T (element type) and TD_PRELU_MIN /
 * TD_PRELU_MAX (its range); its public function calls prelu_run (a real definition in the
 * .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_PRELU_IMPL_H
#define TD_PRELU_IMPL_H

#include "../td_names.h"

#include "td_broadcast.h"
#include "td_common.h"
#include "td_prelu_s8.h"

static void prelu_run(const td_prelu_s8_args_t *args, const TD_PRELU_T *x, const int8_t *alpha,
                      TD_PRELU_T *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = x[it.a] + args->x_offset;
        int32_t y;
        if (v >= 0) {
            y = td_requant(v, args->mult_pos, args->shift_pos);
        } else {
            y = td_requant(v * (alpha[it.b] + args->alpha_offset), args->mult_neg,
                           args->shift_neg);
        }
        out[i] = (TD_PRELU_T)td_clamp(y + args->out_offset, TD_PRELU_MIN, TD_PRELU_MAX);
        td_bcast_next(&it, args->ndim, args->shape, args->x_strides, args->alpha_strides);
    }
}

#endif /* TD_PRELU_IMPL_H */
