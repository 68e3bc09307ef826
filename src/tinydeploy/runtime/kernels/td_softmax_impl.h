/* td_softmax_impl.h - TFLite's int8-input softmax, compiled once per output type by the
 * kernel that includes it: td_softmax_s8.c (int8 out: scale 1/256, zero point -128) and
 * td_softmax_s8_s16.c (int16 out: scale 1/65536, zero point -32768). The includer defines
 * TD_SM_OUT (the output type), TD_SM_BITS (its width), TD_SM_MIN and TD_SM_MAX; its public
 * function calls softmax_rows (a real definition in the .c file, so the link-name scan of
 * td_names.h sees it). Arithmetic and preconditions: td_softmax_s8.h.
 */
#ifndef TD_SOFTMAX_IMPL_H
#define TD_SOFTMAX_IMPL_H

#include "../td_names.h"

#include "td_common.h"
#include "td_fixedpoint.h"
#include "td_softmax_s8.h"

/* exp(d * beta * input scale) as Q0.31, for d in [diff_min, 0]. */
static int32_t softmax_exp(const td_softmax_s8_args_t *p, int32_t d)
{
    /* diff_min bounds d so that the shift stays inside int32 (TFLite's input radius). */
    const int32_t shifted = (int32_t)((uint32_t)d << p->input_left_shift);
    return td_fp_exp_on_negative_values(td_srdhm(shifted, p->input_multiplier), 5);
}

static void softmax_row(const td_softmax_s8_args_t *p, const int8_t *x, TD_SM_OUT *out)
{
    int32_t max = -128;
    for (int32_t c = 0; c < p->depth; ++c) max = TD_MAX(max, x[c]);

    int32_t sum = 0;     /* Q12.19 */
    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t d = x[c] - max;
        if (d >= p->diff_min) sum += td_rdbpot(softmax_exp(p, d), 12);
    }
    int bits_over_unit;
    const int32_t scale = td_fp_reciprocal(sum, 12, &bits_over_unit);
    /* TFLite aborts on exponents above 31 (a sum of exps >= 512); saturate instead. */
    const int exponent = TD_MIN(bits_over_unit + 31 - TD_SM_BITS, 31);

    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t d = x[c] - max;
        int32_t y = TD_SM_MIN;
        if (d >= p->diff_min) {
            y = td_rdbpot(td_srdhm(scale, softmax_exp(p, d)), exponent) + TD_SM_MIN;
            y = td_clamp(y, TD_SM_MIN, TD_SM_MAX);
        }
        out[c] = (TD_SM_OUT)y;
    }
}

static void softmax_rows(const td_softmax_s8_args_t *args, const int8_t *x, TD_SM_OUT *out)
{
    for (int32_t i = 0; i < args->outer; ++i) {
        softmax_row(args, x + (size_t)i * (size_t)args->depth,
                    out + (size_t)i * (size_t)args->depth);
    }
}

#endif /* TD_SOFTMAX_IMPL_H */
