/* td_ilayernorm_s8.c - see td_ilayernorm_s8.h. */
#include "td_ilayernorm_s8.h"

#include "td_integer.h"

void td_ilayernorm_s8(const td_ilayernorm_s8_args_t *args, const int8_t *in,
                      const int32_t *weight, const int32_t *bias, int8_t *out)
{
    const td_ilayernorm_s8_args_t *a = args;
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int32_t sum = 0;
        for (int32_t j = 0; j < a->length; ++j) sum += x[j] + a->x_offset;
        const int32_t mean = sum / a->length;                  /* truncates */
        int32_t sq = 0;
        for (int32_t j = 0; j < a->length; ++j) {
            const int32_t c = x[j] + a->x_offset - mean;
            sq += c * c;
        }
        const int64_t std = td_isqrt_u32((uint32_t)(sq / a->length + 1));
        for (int32_t j = 0; j < a->length; ++j) {
            const int64_t c = (int64_t)(x[j] + a->x_offset - mean);
            const int64_t v = td_floor_shift(c * weight[j] / std + bias[j], a->log2d);
            y[j] = (int8_t)(td_clamp64(v, a->clip_lo, a->clip_hi) + a->out_offset);
        }
    }
}
