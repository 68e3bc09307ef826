/* td_irmsnorm_s8.c - see td_irmsnorm_s8.h. */
#include "td_irmsnorm_s8.h"

#include "td_integer.h"

void td_irmsnorm_s8(const td_irmsnorm_s8_args_t *args, const int8_t *in,
                    const int32_t *weight, int8_t *out)
{
    const td_irmsnorm_s8_args_t *a = args;
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int32_t sq = 0;
        for (int32_t j = 0; j < a->length; ++j) {
            const int32_t v = x[j] + a->x_offset;
            sq += v * v;
        }
        const int64_t std = td_isqrt_u32((uint32_t)(sq / a->length + 1));
        for (int32_t j = 0; j < a->length; ++j) {
            const int64_t v = (int64_t)(x[j] + a->x_offset) * weight[j] / std;
            const int64_t s = td_floor_shift(v, a->log2d);
            y[j] = (int8_t)(td_clamp64(s, a->clip_lo, a->clip_hi) + a->out_offset);
        }
    }
}
