/* td_itapartialmax_s8.c - see td_itapartialmax_s8.h. */
#include "td_itapartialmax_s8.h"

void td_itapartialmax_s8(const td_itapartialmax_s8_args_t *args, const int8_t *in,
                         int8_t *out)
{
    const td_itapartialmax_s8_args_t *a = args;
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int32_t max = -128;
        uint32_t part = 0;
        for (int32_t g = 0; g < a->length; g += a->group_width) {
            int32_t cur = -128;
            for (int32_t j = g; j < g + a->group_width; ++j) cur = x[j] > cur ? x[j] : cur;
            const int32_t d = cur > max ? (cur - max + 16) >> 5 : 0;
            max = cur > max ? cur : max;
            uint32_t sum = 0;
            for (int32_t j = g; j < g + a->group_width; ++j) {
                sum += 256u >> ((max - x[j] + 16) >> 5);
            }
            part = (part >> d) + sum;
        }
        const uint32_t inv = (127u * 256u) / part;
        for (int32_t j = 0; j < a->length; ++j) {
            y[j] = (int8_t)((int32_t)(inv >> ((max - x[j] + 16) >> 5)) + a->out_offset);
        }
    }
}
