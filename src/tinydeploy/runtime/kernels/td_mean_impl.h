/* td_mean_impl.h - the reference MEAN/SUM driver, compiled once per element type by the
 * kernel that includes it (td_mean_s8.c, td_mean_s16.c; args and arithmetic in
 * td_mean_s8.h). The includer defines TD_MEAN_T (element type) and TD_MEAN_MIN /
 * TD_MEAN_MAX (its range); its public function calls mean_run (a real definition in the
 * .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_MEAN_IMPL_H
#define TD_MEAN_IMPL_H

#include "../td_names.h"

#include "td_common.h"
#include "td_mean_s8.h"

/* Sum of the elements of the reduced sub-tensor that starts at x. */
static int32_t mean_sum_reduced(const td_mean_s8_args_t *args, const TD_MEAN_T *x)
{
    const int32_t *d = args->red_dims;
    const int32_t *s = args->red_strides;
    int32_t acc = 0;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4)
    for (int32_t i5 = 0; i5 < d[5]; ++i5) {
        acc += x[(size_t)i0 * s[0] + (size_t)i1 * s[1] + (size_t)i2 * s[2] +
                 (size_t)i3 * s[3] + (size_t)i4 * s[4] + (size_t)i5 * s[5]];
    }
    return acc;
}

static void mean_run(const td_mean_s8_args_t *args, const TD_MEAN_T *in, TD_MEAN_T *out)
{
    const int32_t *d = args->keep_dims;
    const int32_t *s = args->keep_strides;
    const int32_t offset = args->input_zp * args->count;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4)
    for (int32_t i5 = 0; i5 < d[5]; ++i5) {
        const TD_MEAN_T *x = in + ((size_t)i0 * s[0] + (size_t)i1 * s[1] + (size_t)i2 * s[2] +
                                   (size_t)i3 * s[3] + (size_t)i4 * s[4] + (size_t)i5 * s[5]);
        const int32_t sum = mean_sum_reduced(args, x) - offset;
        const int32_t y = td_requant(sum, args->multiplier, args->shift) + args->output_zp;
        *out++ = (TD_MEAN_T)td_clamp(y, TD_MEAN_MIN, TD_MEAN_MAX);
    }
}

#endif /* TD_MEAN_IMPL_H */
