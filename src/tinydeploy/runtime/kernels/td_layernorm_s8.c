/* td_layernorm_s8.c - see td_layernorm_s8.h. */
#include "td_layernorm_s8.h"

#include "td_integer.h"

void td_layernorm_s8(const td_layernorm_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const td_layernorm_s8_args_t *a = args;
    for (int32_t r = 0; r < a->rows; ++r) {
        const int8_t *x = in + r * a->length;
        int8_t *y = out + r * a->length;
        int64_t s1 = 0, s2 = 0;
        for (int32_t j = 0; j < a->length; ++j) {
            const int64_t d = (int64_t)x[j] + a->x_offset;
            s1 += d;
            s2 += d * d;
        }
        const int64_t v = (int64_t)a->length * s2 - s1 * s1;
        int64_t u = (int64_t)td_isqrt_u64(((uint64_t)v << a->var_shift) + (uint64_t)a->eps);
        u = u < 1 ? 1 : u;
        for (int32_t j = 0; j < a->length; ++j) {
            const int64_t c = (int64_t)a->length * ((int64_t)x[j] + a->x_offset) - s1;
            const int64_t n = td_floor_div((int64_t)((uint64_t)c << a->norm_shift), u);
            const int64_t acc = n * a->gain[j] + a->bias[j];
            y[j] = (int8_t)td_clamp64(td_floor_shift(acc, a->out_shift), -128, 127);
        }
    }
}
