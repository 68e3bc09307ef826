/* td_tanh_s16.c - see td_tanh_s16.h. */
#include "td_tanh_s16.h"

static int16_t tanh_one(const td_tanh_s16_args_t *p, int16_t x)
{
    const int32_t rnd = p->input_shift > 0 ? 1 << (p->input_shift - 1) : 0;
    const int32_t v = (x * p->input_multiplier + rnd) >> p->input_shift;
    const uint32_t mag = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = mag >> 8;
    int32_t r = 0xFFFF << 8;                                 /* saturated */
    if (uh < 255) {
        const uint32_t ua = p->table[uh], ub = p->table[uh + 1];
        r = (int32_t)((ua << 8) + (mag & 0xFF) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

void td_tanh_s16(const td_tanh_s16_args_t *args, const int16_t *x, int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) out[i] = tanh_one(args, x[i]);
}
