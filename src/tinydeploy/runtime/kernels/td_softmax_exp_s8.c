/* td_softmax_exp_s8.c - see td_softmax_exp_s8.h. */
#include "td_softmax_exp_s8.h"

#include "td_integer.h"

void td_softmax_exp_s8(const td_softmax_exp_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const td_softmax_exp_s8_args_t *a = args;
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int32_t max = x[0];
        for (int32_t j = 1; j < a->length; ++j) max = x[j] > max ? x[j] : max;
        int64_t sum = 0;
        for (int32_t j = 0; j < a->length; ++j) sum += a->table[max - x[j]];
        const int64_t den = sum << a->out_shift;
        const int64_t half = sum << (a->out_shift - 1);
        for (int32_t j = 0; j < a->length; ++j) {
            const int64_t q = ((int64_t)a->table[max - x[j]] * a->out_mul + half) / den;
            y[j] = (int8_t)td_clamp64(q + a->out_offset, -128, 127);
        }
    }
}
