/* td_softmax_s8.c - see td_softmax_s8.h. */
#include "td_softmax_s8.h"

#include "td_common.h"
#include "td_fixedpoint.h"

/* exp(d * beta * input scale) as Q0.31, for d in [diff_min, 0]. */
static int32_t softmax_exp(const td_softmax_s8_args_t *p, int32_t d)
{
    /* diff_min bounds d so that the shift stays inside int32 (TFLite's input radius). */
    const int32_t shifted = (int32_t)((uint32_t)d << p->input_left_shift);
    return td_fp_exp_on_negative_values(td_srdhm(shifted, p->input_multiplier), 5);
}

static void softmax_row(const td_softmax_s8_args_t *p, const int8_t *x, int8_t *out)
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
    const int exponent = TD_MIN(bits_over_unit + 31 - 8, 31);

    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t d = x[c] - max;
        int32_t y = -128;
        if (d >= p->diff_min) {
            y = td_rdbpot(td_srdhm(scale, softmax_exp(p, d)), exponent) - 128;
            y = td_clamp(y, -128, 127);
        }
        out[c] = (int8_t)y;
    }
}

void td_softmax_s8(const td_softmax_s8_args_t *args, const int8_t *x, int8_t *out)
{
    for (int32_t i = 0; i < args->outer; ++i) {
        softmax_row(args, x + (size_t)i * (size_t)args->depth,
                    out + (size_t)i * (size_t)args->depth);
    }
}
