/* td_softmax_s16.c - see td_softmax_s16.h. */
#include "td_softmax_s16.h"

#include "td_16x8.h"
#include "td_common.h"
#include "td_fixedpoint.h"

static int16_t saturate16(int32_t v)
{
    return (int16_t)td_clamp(v, INT16_MIN, INT16_MAX);
}

static void softmax_row(const td_softmax_s16_args_t *p, const int16_t *x, int16_t *out)
{
    int32_t max = INT16_MIN;
    for (int32_t c = 0; c < p->depth; ++c) max = TD_MAX(max, x[c]);

    int32_t sum = 0;            /* Q16.15; out[] holds the exps meanwhile */
    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t scaled = td_requant(x[c] - max, p->input_multiplier, p->input_shift);
        out[c] = td_lut_s16(saturate16(scaled + 32767), p->exp_lut);
        sum += out[c];
    }
    const int headroom = td_fp_clz32((uint32_t)sum);       /* sum > 0: its max is there */
    const int32_t shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
    const int32_t recip = td_lut_s16(saturate16(shifted - (1 << 15) - (1 << 16)),
                                     p->recip_lut);
    const int right = 31 - headroom;
    for (int32_t c = 0; c < p->depth; ++c) {
        const int64_t y = ((int64_t)out[c] * recip + ((int64_t)1 << (right - 1))) >> right;
        out[c] = (int16_t)(y < 0 ? 0 : (y > INT16_MAX ? INT16_MAX : y));
    }
}

void td_softmax_s16(const td_softmax_s16_args_t *args, const int16_t *x, int16_t *out)
{
    for (int32_t i = 0; i < args->outer; ++i) {
        softmax_row(args, x + (size_t)i * (size_t)args->depth,
                    out + (size_t)i * (size_t)args->depth);
    }
}
