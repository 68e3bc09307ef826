/* td_l2_normalization_s8.c - see td_l2_normalization_s8.h. */
#include "td_l2_normalization_s8.h"

#include <stddef.h>

#include "td_common.h"
#include "td_fixedpoint.h"

/* TFLite's GetInvSqrtQuantizedMultiplierExp(x, reverse_shift = -1): 1/sqrt(x) as a Q31
 * multiplier and a shift (> 0 = left). Sums are done in uint32_t: they stay in range for
 * every x TFLite's kernel gives, and wrap like its int32 arithmetic would. */
static void inv_sqrt(int32_t x, int32_t *mult, int32_t *shift)
{
    if (x <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int s = 11;
    while (x >= (1 << 29)) {
        x /= 4;
        ++s;
    }
    const int pairs = (td_fp_clz32((uint32_t)x) - 1) / 2 - 1;
    s -= pairs;
    x <<= 2 * pairs;
    const int32_t half = td_rdbpot(x >> 1, 1);
    int32_t r = 1 << 28;                                    /* 1.0 in Q3.28 */
    for (int i = 0; i < 5; ++i) {
        const int32_t r3 = td_fp_mul_pot(td_srdhm(td_srdhm(r, r), r), 6);
        const int32_t d = (int32_t)((uint32_t)td_srdhm((1 << 28) + (1 << 27), r) -
                                    (uint32_t)td_srdhm(half, r3));
        r = td_fp_mul_pot(d, 3);
    }
    r = td_srdhm(r, 1518500250);                            /* * sqrt(2) / 2 */
    if (s < 0) {
        r = (int32_t)((uint32_t)r << -s);
        s = 0;
    }
    *mult = r;
    *shift = -s;
}

void td_l2_normalization_s8(const td_l2_normalization_s8_args_t *args, const int8_t *in,
                            int8_t *out)
{
    for (int32_t row = 0; row < args->outer; ++row) {
        const int8_t *x = in + (size_t)row * (size_t)args->depth;
        int8_t *y = out + (size_t)row * (size_t)args->depth;
        int32_t acc = 0;
        for (int32_t c = 0; c < args->depth; ++c) {
            const int32_t v = x[c] - args->input_zero_point;
            acc += v * v;
        }
        int32_t mult, shift;
        inv_sqrt(acc, &mult, &shift);
        for (int32_t c = 0; c < args->depth; ++c) {
            const int32_t v = td_requant(x[c] - args->input_zero_point, mult, shift + 7);
            y[c] = (int8_t)td_clamp(v, INT8_MIN, INT8_MAX);
        }
    }
}
