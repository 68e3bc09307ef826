/* td_isoftmax_s8.c - see td_isoftmax_s8.h. */
#include "td_isoftmax_s8.h"

/* e of one value t = x - max(x) <= 0. */
static uint32_t td_isoftmax_exp(const td_isoftmax_s8_args_t *a, int32_t t)
{
    const int32_t z = -t / a->log2;             /* -t >= 0: the division floors */
    const int32_t q = t + z * a->log2 + a->coeff_b;
    const int64_t e = (int64_t)a->coeff_a * q * q + a->coeff_c;
    return (uint32_t)(e >> (z < 31 ? z : 31));
}

void td_isoftmax_s8(const td_isoftmax_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const td_isoftmax_s8_args_t *a = args;
    const uint32_t levels = (uint32_t)(a->n_levels - 1);
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int32_t max = x[0];
        for (int32_t j = 1; j < a->length; ++j) max = x[j] > max ? x[j] : max;
        uint32_t sum = 0;
        for (int32_t j = 0; j < a->length; ++j) sum += td_isoftmax_exp(a, x[j] - max);
        for (int32_t j = 0; j < a->length; ++j) {
            const uint32_t e = td_isoftmax_exp(a, x[j] - max);
            y[j] = (int8_t)((int32_t)(e * levels / sum) + a->out_offset);
        }
    }
}
