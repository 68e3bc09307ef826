/* td_itamax_s8.c - see td_itamax_s8.h. */
#include "td_itamax_s8.h"

void td_itamax_s8(const td_itamax_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const td_itamax_s8_args_t *a = args;
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int32_t max = x[0];
        for (int32_t j = 1; j < a->length; ++j) max = x[j] > max ? x[j] : max;
        uint32_t sum = 0;
        for (int32_t j = 0; j < a->length; ++j) sum += 256u >> ((max - x[j] + 16) >> 5);
        const uint32_t inv = (255u * 256u) / sum;
        for (int32_t j = 0; j < a->length; ++j) {
            y[j] = (int8_t)((int32_t)(inv >> ((max - x[j] + 16) >> 5)) + a->out_offset);
        }
    }
}
